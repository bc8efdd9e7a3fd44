"""Candidates per side of the mix, and their ranking: fit first, then engagement and diversity.

Retrieval: the story's vector against Chroma, unfiltered and over-fetched as far as the roster
table says each side needs (at most 300 results, Chroma Cloud's limit), with the hard filters
applied here; a side too rare for that has its few creators scored exactly from their stored
vectors, or (too many to score) one query with its most selective filter in Chroma's ``where``
(cheap only when it is selective, chroma #7092). BM25 over the local catalog adds creators whose
bios share the brief's words.

The story is embedded without the trade's own words ("creators", "brand", "campaign": they match
every "content creator" bio) and weighted sentence by sentence by specificity
(``retrieval.engine.calibration``). Fit is the calibrated, fused z-score of each encoder's cosine
(with the default local embedder: English MiniLM and a multilingual encoder), so it means the same
whatever the brief, the bio's language or the encoder; engagement, soft preferences and
diversity then order the fits.

Grades (``apply_grades``): a grader (``retrieval.ports.CandidateGrader``, e.g. a language model)
may judge the first ``GRADE_TOP`` candidates a side could pick; a valid grade orders a candidate
before its score does. Grades never change who is a candidate, the fit, the floor or the counts.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from retrieval.contract import Filters, FitLabel, Side
from retrieval.engine.bio_checks import unpickable_reason
from retrieval.engine.calibration import Background, Baselines, part_cosines, weighted_query
from retrieval.engine.mix import SidePlan
from retrieval.engine.stuffing import stuffing_penalty
from retrieval.engine.table import RosterTable
from retrieval.ports import MAX_SEARCH_RESULTS, Embedder, FloatVector, Grade, Hit, SearchIndex
from retrieval.roster.creator import Creator
from retrieval.terms import Term, content_stems, terms, without_frame_words

#: Nearest neighbours fetched unfiltered for the story (at least).
DENSE_FETCH = 150
#: The unfiltered fetch grows (up to WIDE_FETCH, the most one query may return: Chroma Cloud's
#: limit) until each side can expect this many admissible hits: CANDIDATES_PER_SLOT per slot, at
#: least MIN_CANDIDATES, with a margin.
CANDIDATES_PER_SLOT = 3
MIN_CANDIDATES = 16
OVERFETCH_SAFETY = 1.5
WIDE_FETCH = MAX_SEARCH_RESULTS
#: Admissible dense hits loaded per side (best first); lexical hits are loaded as well.
KEEP_PER_SIDE = 60
#: BM25 hits fetched (unfiltered: the catalog's FTS5 index takes no metadata filter).
LEXICAL_FETCH = 60
#: A side too rare for WIDE_FETCH gets a query with its most selective filter in ``where``, if
#: that filter matches at most SELECTIVE_SHARE of the roster. Measured on 100,000 records in
#: embedded Chroma: unfiltered top 150 ~7 ms, top 3,000 ~40 ms; ``where`` on one country ~150 ms,
#: on a follower range or a 33% field 1.5-3 s (chroma #7092), so ranges are never pushed down.
SELECTIVE_SHARE = 0.05
PUSHDOWN_FETCH = 80
#: A side too rare for WIDE_FETCH with at most EXACT_SCAN creators passing the filters has every
#: one of them scored from its stored vector (reads of MAX_SEARCH_RESULTS ids each), instead.
EXACT_SCAN = 1_200
#: Words in a BM25 query: each OR-ed word's postings cost FTS5 time on a large roster, and the
#: eval set ranks the same with 24 words as with the catalog's limit of 64.
LEXICAL_QUERY_WORDS = 32
#: Fit: each encoder part's z-score, fused with these weights (MiniLM, then the multilingual
#: encoder; chosen on the tuning halves of the evaluation sets, see bench/bench_quality.py).
PART_WEIGHTS = (1.0, 1.5)
#: Sentence weighting (``retrieval.calibration.weighted_query``): softmax sharpness over the
#: sentences' specificity (0 turns it off), and the whole brief's share of the search vector.
SENTENCE_SHARPNESS = 1.0
WHOLE_BRIEF_WEIGHT = 0.0
#: Calibrated fit (``Candidate.fit``, standard deviations above the roster sample): a pick needs
#: MIN_FIT; GOOD_FIT and STRONG_FIT name its fit label.
MIN_FIT = 1.5
GOOD_FIT = 3.0
STRONG_FIT = 4.5
#: Engagement nudges fit by at most this much: log2(rate / tier median), clipped to [-1, 1].
ENGAGEMENT_WEIGHT = 0.15
#: A preferred (not required) country or language the creator matches adds this much.
PREFERENCE_BONUS = 0.5
#: Diversity: a candidate whose cosine to an earlier pick exceeds REDUNDANCY_START loses
#: DIVERSITY_WEIGHT times the excess.
REDUNDANCY_START = 0.55
DIVERSITY_WEIGHT = 5.0
#: Candidates per side a grader judges; the grades it may give; the length of its quote.
GRADE_TOP = 10
MAX_GRADE = 3
MIN_QUOTE_CHARS = 3
MAX_QUOTE_CHARS = 200
#: Where an ungraded candidate stands among graded ones: after every grade of 1 or more (the
#: grader judged those on topic), before a grade of 0 (judged off topic).
UNGRADED_STANDING = 0.5


@dataclass(frozen=True)
class Query:
    """The story as retrieval sees it: its vector and its content words."""

    story: str
    vector: FloatVector
    terms: tuple[Term, ...]

    @functools.cached_property
    def keys(self) -> frozenset[str]:
        """The stems of the story's content words."""
        return frozenset(term.stem for term in self.terms)

    def keys_in(self, text: str) -> frozenset[str]:
        """The story's stems that ``text`` contains."""
        return content_stems(text) & self.keys

    @property
    def lexical_text(self) -> str:
        return lexical_text(self.terms)


def lexical_text(story_terms: Iterable[Term]) -> str:
    """The BM25 query: the story's content words, within the catalog's query-word limit."""
    words = dict.fromkeys(term.surface.casefold() for term in story_terms)
    return " ".join(list(words)[:LEXICAL_QUERY_WORDS])


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def sentences(story: str) -> list[str]:
    """The story's sentences that carry at least one content word."""
    parts = (part.strip() for part in _SENTENCE_END.split(story))
    return [part for part in parts if part and any(terms(part))]


def build_query(story: str, embedder: Embedder, background: Background | None = None) -> Query:
    """Embed the story, without the trade's own words, and its sentences in one batch; the
    search vector weighs the sentences by their specificity against ``background``.

    The whole story is embedded only when its vector counts: a story of one sentence, or a
    ``WHOLE_BRIEF_WEIGHT`` above zero (it is the brief's longest text, the largest part of the
    embedding time)."""
    subject = without_frame_words(story)
    parts = sentences(subject) if background is not None and SENTENCE_SHARPNESS else []
    if len(parts) < 2 or background is None:
        return Query(story=story, vector=embedder.embed([subject])[0], terms=tuple(terms(story)))
    whole = [subject] if WHOLE_BRIEF_WEIGHT else []
    embedded = embedder.embed([*whole, *parts])
    vector = weighted_query(
        embedded[0] if whole else embedded.mean(axis=0),
        embedded[len(whole) :],
        background,
        sharpness=SENTENCE_SHARPNESS,
        whole_weight=WHOLE_BRIEF_WEIGHT,
    )
    return Query(story=story, vector=vector, terms=tuple(terms(story)))


@dataclass(frozen=True)
class Constraints:
    """The hard filters, the handles to leave out, the soft preferences, and whether the
    accounts of brands, shops and agencies may be picked."""

    filters: Filters
    exclude: frozenset[str] = frozenset()
    preferred_countries: frozenset[str] = frozenset()
    preferred_languages: frozenset[str] = frozenset()
    include_brands: bool = False

    def holds_back(self, creator: Creator) -> bool:
        """True for a brand account the user did not ask for: it is gathered and scored (to
        say that it was left out) but never picked."""
        return creator.kind == "brand" and not self.include_brands

    def admits(self, creator: Creator) -> bool:
        filters = self.filters
        return (
            (not filters.platform or creator.platform in filters.platform)
            and (not filters.country or creator.country in filters.country)
            and (not filters.language or creator.language in filters.language)
            and creator.handle.casefold() not in self.exclude
            and creator.key.casefold() not in self.exclude
        )


@dataclass
class Candidate:
    """A creator admissible on one side, with every signal the ranking and the reasons use."""

    creator: Creator
    side: Side
    tier: str
    vector: FloatVector
    fit: float = 0.0
    score: float = 0.0
    pickable: bool = True
    held_back: bool = False
    grade: int | None = None
    """A grader's validated grade (0..MAX_GRADE), or ``None``."""
    quote: str | None = None
    """The bio phrase the grade rests on: an exact substring of the bio."""

    @property
    def key(self) -> str:
        return self.creator.key

    @property
    def selectable(self) -> bool:
        """Its bio can be matched and it is not a brand account held back."""
        return self.pickable and not self.held_back

    @property
    def standing(self) -> float:
        """Ranks before ``score``: the grade, or ``UNGRADED_STANDING`` without one."""
        return UNGRADED_STANDING if self.grade is None else self.grade


def gather(
    index: SearchIndex,
    query: Query,
    sides: Sequence[SidePlan],
    constraints: Constraints,
    table: RosterTable,
    lexical_hits: Sequence[Hit] | None = None,
) -> list[Candidate]:
    """The best admissible creators the searches found, each on the side its followers put it.

    The unfiltered fetch is sized from the table so that each side can expect enough admissible
    hits; a side that would need more than ``WIDE_FETCH`` has every admissible creator scored
    (at most ``EXACT_SCAN``), or else gets one more query with its most selective filter in
    Chroma's ``where``, when that filter matches few enough creators to be cheap there.
    ``lexical_hits``: the BM25 search for ``query.lexical_text`` (``LEXICAL_FETCH`` hits), when
    the caller has run it already; else it runs here.
    """
    # Long: the retrieval steps (dense, pushdown, lexical, admission) in the order they
    # run; each is a helper, what remains is how their hits are combined.
    counts = table.side_counts(constraints.filters, sides)
    fetch = DENSE_FETCH
    short_sides: list[Side] = []
    scanned: list[SidePlan] = []
    for plan in sides:
        if not plan.slots or not counts[plan.side]:
            continue
        needed = math.ceil(_wanted(plan) * table.size / counts[plan.side] * OVERFETCH_SAFETY)
        if needed <= WIDE_FETCH:
            fetch = max(fetch, needed)
        elif counts[plan.side] <= EXACT_SCAN:
            scanned.append(plan)
        else:
            fetch = WIDE_FETCH
            short_sides.append(plan.side)
    dense_hits = _dense_hits(index, query, fetch)
    scanned_vectors: dict[str, FloatVector] = {}
    if scanned:
        scanned_vectors = _scanned_vectors(index, constraints, table, scanned)
        dense_hits.extend(_cosine_hits(query, scanned_vectors))
    if short_sides:
        dense_hits.extend(_pushed_down(index, query, constraints, table))
    if lexical_hits is None:
        lexical_hits = index.lexical_search(query.lexical_text, LEXICAL_FETCH)
    keys = _shortlist(_ranked_keys(dense_hits), lexical_hits, sides, constraints, table)
    creators = index.get_many(keys)
    placed = _place(creators.values(), sides, constraints)
    # A scanned side's candidates were read for the scan: only the others are read now.
    vectors = scanned_vectors | index.vectors([key for key in placed if key not in scanned_vectors])
    candidates: list[Candidate] = []
    for key, side in placed.items():
        vector = vectors.get(key)
        if vector is None:
            continue
        candidates.append(
            Candidate(
                creator=creators[key],
                side=side,
                tier=table.tier_of(creators[key].followers),
                vector=vector,
                pickable=unpickable_reason(creators[key].bio) is None,
                held_back=constraints.holds_back(creators[key]),
            )
        )
    return candidates


def _wanted(plan: SidePlan) -> int:
    """Admissible candidates a side should have to choose its picks from."""
    return max(CANDIDATES_PER_SLOT * plan.slots, MIN_CANDIDATES)


def _pushed_down(
    index: SearchIndex, query: Query, constraints: Constraints, table: RosterTable
) -> list[Hit]:
    """Nearest neighbours within the most selective filter, when it is selective enough."""
    selective = table.most_selective(constraints.filters)
    if selective is None or selective[2] > SELECTIVE_SHARE * table.size:
        return []
    name, values, _ = selective
    return index.dense_search(query.vector, PUSHDOWN_FETCH, where={name: {"$in": values}})


def _scanned_vectors(
    index: SearchIndex, constraints: Constraints, table: RosterTable, plans: Sequence[SidePlan]
) -> dict[str, FloatVector]:
    """The vector of every creator the filters leave on ``plans``' sides."""
    return index.vectors(
        [key for plan in plans for key in table.side_keys(constraints.filters, plan)]
    )


def _cosine_hits(query: Query, vectors: Mapping[str, FloatVector]) -> list[Hit]:
    """Each of ``vectors`` scored by cosine to the story."""
    if not vectors:
        return []
    matrix = np.stack(list(vectors.values()))
    norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(query.vector))
    cosines = matrix @ query.vector / np.maximum(norms, 1e-12)
    return [Hit(key, float(cosine)) for key, cosine in zip(vectors, cosines, strict=True)]


def _shortlist(
    dense_ranked: Sequence[str],
    lexical_hits: Sequence[Hit],
    sides: Sequence[SidePlan],
    constraints: Constraints,
    table: RosterTable,
) -> list[str]:
    """Keys worth loading: per side the closest ``KEEP_PER_SIDE`` admissible dense hits, and
    every admissible lexical hit (judged on the table; the stored records are checked after)."""
    lexical = [hit.key for hit in lexical_hits]
    placed = table.sides_of([*dense_ranked, *lexical], constraints.filters, sides)
    by_side: dict[Side, list[str]] = {plan.side: [] for plan in sides}
    for key, side in zip(dense_ranked, placed, strict=False):
        if side is not None and len(by_side[side]) < KEEP_PER_SIDE:
            by_side[side].append(key)
    admitted = [key for key, side in zip(lexical, placed[len(dense_ranked) :], strict=True) if side]
    return list(dict.fromkeys([*(key for keys in by_side.values() for key in keys), *admitted]))


def _dense_hits(index: SearchIndex, query: Query, fetch: int) -> list[Hit]:
    """Nearest neighbours of the story."""
    return index.dense_search(query.vector, fetch)


def _ranked_keys(hits: Iterable[Hit]) -> list[str]:
    """The distinct keys of ``hits``, best score first (a key found twice counts its best)."""
    best: dict[str, float] = {}
    for key, hit_score in hits:
        if hit_score > best.get(key, -math.inf):
            best[key] = hit_score
    return sorted(best, key=best.__getitem__, reverse=True)


def _place(
    creators: Iterable[Creator], sides: Sequence[SidePlan], constraints: Constraints
) -> dict[str, Side]:
    placed: dict[str, Side] = {}
    for creator in creators:
        if not constraints.admits(creator):
            continue
        for plan in sides:
            if plan.admits(creator.followers):
                placed[creator.key] = plan.side
                break
    return placed


def score(
    candidates: Sequence[Candidate],
    query: Query,
    constraints: Constraints,
    tier_medians: Mapping[str, float],
    baselines: Baselines,
) -> None:
    """Set each candidate's ``fit`` (relevance alone: its encoders' cosines as z-scores against
    the roster sample, fused, so that the same fit means the same for every brief, language and
    encoder; damped for keyword-stuffed bios by ``retrieval.engine.stuffing``) and ``score``
    (fit plus marketing signals: engagement against its tier's median rate, and the brief's soft
    preferences)."""
    if not candidates:
        return
    vectors = np.stack([candidate.vector for candidate in candidates])
    cosines = part_cosines(vectors, query.vector, baselines.parts)
    for candidate, row in zip(candidates, cosines, strict=True):
        # A bio listing every niche is not a strong fit for any.
        fused = baselines.fit(row, PART_WEIGHTS)
        candidate.fit = min(fused, fused * (1 - stuffing_penalty(candidate.creator.bio)))
        candidate.score = candidate.fit + _engagement_nudge(candidate, tier_medians)
        if (candidate.creator.country or "") in constraints.preferred_countries:
            candidate.score += PREFERENCE_BONUS
        if (candidate.creator.language or "") in constraints.preferred_languages:
            candidate.score += PREFERENCE_BONUS


def fit_label(fit: float) -> FitLabel:
    """``strong``, ``good`` or ``weak`` for a calibrated ``fit``."""
    if fit >= STRONG_FIT:
        return "strong"
    if fit >= GOOD_FIT:
        return "good"
    return "weak"


def _engagement_nudge(candidate: Candidate, tier_medians: Mapping[str, float]) -> float:
    rate = candidate.creator.engagement_rate
    norm = tier_medians.get(candidate.tier)
    if not rate or not norm:
        return 0.0
    return ENGAGEMENT_WEIGHT * max(-1.0, min(1.0, math.log2(rate / norm)))


def select(
    candidates: Iterable[Candidate],
    slots: int,
    *,
    floor: float | None,
    diverse: bool,
    taken: Collection[str] = (),
    picked: Sequence[Candidate] = (),
    with_held_back: bool = False,
) -> list[Candidate]:
    """Up to ``slots`` best candidates (best first), skipping ``taken`` keys and, unless
    ``with_held_back`` (to count what holding them back cost), held-back brand accounts.

    With a ``floor`` (a calibrated fit), weaker fits are left out rather than padding the
    list; with ``diverse``, each next pick is discounted by its similarity to the picks before
    it (``picked`` included).
    """
    pool = [c for c in candidates if _eligible(c, floor, taken, with_held_back=with_held_back)]
    pool.sort(key=lambda c: (-c.standing, -c.score))
    chosen: list[Candidate] = []
    earlier = list(picked)
    while pool and len(chosen) < slots:
        if diverse and earlier:
            best = max(pool, key=lambda c: (c.standing, c.score - _redundancy(c, earlier)))
        else:
            best = pool[0]
        pool.remove(best)
        chosen.append(best)
        earlier.append(best)
    return chosen


def _eligible(
    candidate: Candidate,
    floor: float | None,
    taken: Collection[str],
    *,
    with_held_back: bool = False,
) -> bool:
    return (
        (candidate.selectable or (with_held_back and candidate.pickable))
        and candidate.key not in taken
        and (floor is None or candidate.fit >= floor)
    )


def grading_window(
    candidates: Iterable[Candidate],
    tier_groups: Sequence[Collection[str]],
    *,
    taken: Collection[str] = (),
) -> list[Candidate]:
    """The first ``GRADE_TOP`` candidates one side could pick (pickable, over ``MIN_FIT``, not
    ``taken``), in the order the side fills its slots: tier group by tier group (the awareness
    side's macro tiers first), best score first within a group."""
    eligible = [c for c in candidates if _eligible(c, MIN_FIT, taken)]
    ordered = [
        candidate
        for names in tier_groups
        for candidate in sorted((c for c in eligible if c.tier in names), key=lambda c: -c.score)
    ]
    return ordered[:GRADE_TOP]


def apply_grades(candidates: Sequence[Candidate], grades: Mapping[str, Grade]) -> list[Candidate]:
    """``candidates`` (copies; the input is left as it is) with each valid grade and its quote
    set, best first: by grade (``Candidate.standing``), then by score.

    A grade counts only for a key among ``candidates``, from 0 to ``MAX_GRADE``, with a quote of
    ``MIN_QUOTE_CHARS`` to ``MAX_QUOTE_CHARS`` characters found exactly in that creator's bio;
    any other grade is dropped and its candidate stays ungraded. The candidates stay the same
    ones: a grade moves a candidate, never adds or removes one.
    """
    graded = []
    for candidate in candidates:
        grade = grades.get(candidate.key)
        quote = _valid_quote(grade, candidate.creator.bio)
        if grade is None or quote is None:
            graded.append(replace(candidate, grade=None, quote=None))
        else:
            graded.append(replace(candidate, grade=grade.grade, quote=quote))
    graded.sort(key=lambda c: (-c.standing, -c.score))
    return graded


def _valid_quote(grade: Grade | None, bio: str) -> str | None:
    """The grade's quote, trimmed, when the grade is in range and the quote is in ``bio``."""
    if grade is None or not isinstance(grade.grade, int) or not 0 <= grade.grade <= MAX_GRADE:
        return None
    quote = grade.quote.strip() if isinstance(grade.quote, str) else ""
    if not MIN_QUOTE_CHARS <= len(quote) <= MAX_QUOTE_CHARS or quote not in bio:
        return None
    return quote


def _redundancy(candidate: Candidate, earlier: Sequence[Candidate]) -> float:
    closest = max(float(candidate.vector @ other.vector) for other in earlier)
    return DIVERSITY_WEIGHT * max(0.0, closest - REDUNDANCY_START)

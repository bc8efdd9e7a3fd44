"""Candidates per side of the mix, and their ranking: fit first, then engagement and diversity.

Retrieval: the story's vector and its translated keywords' vector against Chroma, unfiltered and
over-fetched as far as the roster table says each side needs, with the hard filters applied here;
a side too rare for that gets one query with its most selective filter in Chroma's ``where``
(cheap only when it is selective, chroma #7092). BM25 over the local catalog adds creators whose
bios share the brief's words (or, through the glossary, their translations).

Fit (the ``product`` fusion) is dense-first: the cosine to the story, lifted towards the cosine
to its translated keywords when that is higher (a bio in another language), plus lexical
evidence that saturates with the pool-idf weight of the brief's words the bio shares, so one
shared common word adds little and a paraphrased brief is not dragged down by weak keyword hits.
The plain ``dense``, ``bm25`` and ``rrf`` fusions are the baselines ``bench/`` measures against.

Grades (``apply_grades``): a grader (``retrieval.ports.CandidateGrader``, e.g. a language model)
may judge the first ``GRADE_TOP`` candidates a side could pick; a valid grade orders a candidate
before its score does. Grades never change who is a candidate, the fit, the floor or the counts.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from retrieval.contract import Filters, FitLabel, Side
from retrieval.engine.bio_checks import unpickable_reason
from retrieval.engine.calibration import Background, Baselines, weighted_query
from retrieval.engine.glossary import CONCEPTS, concept_key, concept_of, translations
from retrieval.engine.mix import SidePlan
from retrieval.engine.table import RosterTable
from retrieval.ports import Embedder, FloatMatrix, FloatVector, Grade, Hit, SearchIndex
from retrieval.roster.creator import Creator
from retrieval.terms import Term, content_stems, terms

#: Nearest neighbours fetched unfiltered for the story (at least), and for its keywords.
DENSE_FETCH = 150
KEYWORD_FETCH = 40
#: The unfiltered fetch grows (up to WIDE_FETCH) until each side can expect this many
#: admissible hits: CANDIDATES_PER_SLOT per slot, at least MIN_CANDIDATES, with a margin.
CANDIDATES_PER_SLOT = 3
MIN_CANDIDATES = 16
OVERFETCH_SAFETY = 1.5
WIDE_FETCH = 3_000
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
#: Words in a BM25 query: each OR-ed word's postings cost FTS5 time on a large roster, and the
#: eval set ranks the same with 24 words as with the catalog's limit of 64.
LEXICAL_QUERY_WORDS = 32
#: Product fit = (1 - KEYWORD_WEIGHT) * cos(story)
#:   + KEYWORD_WEIGHT * max(cos(story), cos(translated keywords))
#:   + LEXICAL_WEIGHT * confidence of the shared words (see ``_match_words``).
KEYWORD_WEIGHT = 0.5
LEXICAL_WEIGHT = 0.3
LEXICAL_SATURATION = 5.0
#: Sentence weighting (``retrieval.calibration.weighted_query``): softmax sharpness over the
#: sentences' specificity (0 turns it off), and the whole brief's share of the search vector.
SENTENCE_SHARPNESS = 0.0
WHOLE_BRIEF_WEIGHT = 0.5
#: Pseudo-relevance feedback (``feedback``): bios averaged and their weight (0: off).
FEEDBACK_TOP = 8
FEEDBACK_WEIGHT = 0.0
#: How far a bio's fit is judged against the bios of its own language rather than all bios.
LANGUAGE_WEIGHT = 0.0
#: Calibrated fit (``Candidate.fit``): a pick needs MIN_FIT; GOOD_FIT and STRONG_FIT name its
#: fit label.
MIN_FIT = 0.2
GOOD_FIT = 0.35
STRONG_FIT = 0.5
#: Engagement nudges fit by at most this much: log2(rate / tier median), clipped to [-1, 1].
ENGAGEMENT_WEIGHT = 0.02
#: A preferred (not required) country or language the creator matches adds this much.
PREFERENCE_BONUS = 0.03
#: Diversity: a candidate whose cosine to an earlier pick exceeds REDUNDANCY_START loses
#: DIVERSITY_WEIGHT times the excess.
REDUNDANCY_START = 0.55
DIVERSITY_WEIGHT = 0.5
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
    """The story as retrieval sees it: its vector, its content words, its translated keywords.

    With ``glossary``, words match across languages through ``retrieval.engine.glossary`` concepts.
    """

    story: str
    vector: FloatVector
    terms: tuple[Term, ...]
    glossary: bool = True
    keyword_vector: FloatVector | None = None

    def key(self, stem: str) -> str:
        """What a word must share with the brief's word to match it."""
        return concept_key(stem) if self.glossary else stem

    @functools.cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(self.key(term.stem) for term in self.terms)

    def keys_in(self, text: str) -> frozenset[str]:
        """The brief's match keys that ``text`` contains."""
        return frozenset(map(self.key, content_stems(text))) & self.keys

    @property
    def lexical_text(self) -> str:
        """The BM25 query: the story's content words, then (with the glossary) their
        translations, within the catalog's query-word limit."""
        words = dict.fromkeys(term.surface.casefold() for term in self.terms)
        if self.glossary:
            words.update(dict.fromkeys(_translated_keywords(self.terms).split()))
        return " ".join(list(words)[:LEXICAL_QUERY_WORDS])


class ConceptVectors:
    """Every glossary concept's words embedded once (on first use, in one batch): a brief's
    translated-keyword vector is then the mean of its concepts' vectors, with no model call."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._matrix: FloatMatrix | None = None

    def mean(self, concepts: Iterable[int]) -> FloatVector | None:
        rows = sorted(set(concepts))
        if not rows:
            return None
        if self._matrix is None:
            self._matrix = self._embedder.embed(list(CONCEPTS))
        pooled: FloatVector = self._matrix[rows].mean(axis=0)
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def sentences(story: str) -> list[str]:
    """The story's sentences that carry at least one content word."""
    parts = (part.strip() for part in _SENTENCE_END.split(story))
    return [part for part in parts if part and any(terms(part))]


def build_query(
    story: str,
    embedder: Embedder,
    concepts: ConceptVectors | None,
    background: Background | None = None,
) -> Query:
    """Embed the story and its sentences in one batch; the search vector weighs the sentences
    by specificity against ``background``. With ``concepts`` (the glossary on), add the
    story's translated keywords."""
    story_terms = tuple(terms(story))
    keyword_vector = None
    if concepts is not None:
        found = (concept_of(term.stem) for term in story_terms)
        keyword_vector = concepts.mean(number for number in found if number is not None)
    parts = sentences(story) if background is not None and SENTENCE_SHARPNESS else []
    if len(parts) < 2:
        parts = []
    embedded = embedder.embed([story, *parts])
    vector = embedded[0]
    if parts and background is not None:
        vector = weighted_query(
            embedded[0],
            embedded[1:],
            background,
            sharpness=SENTENCE_SHARPNESS,
            whole_weight=WHOLE_BRIEF_WEIGHT,
        )
    return Query(
        story=story,
        vector=vector,
        terms=story_terms,
        glossary=concepts is not None,
        keyword_vector=keyword_vector,
    )


def _translated_keywords(story_terms: Sequence[Term]) -> str:
    """The glossary's other-language words for the story's words (BM25 then meets a German or
    Spanish bio in words of its own language)."""
    words: dict[str, None] = {}
    for term in story_terms:
        words.update(dict.fromkeys(translations(term.stem)))
    return " ".join(words)


@dataclass(frozen=True)
class Constraints:
    """The hard filters, the handles to leave out, and the soft preferences."""

    filters: Filters
    exclude: frozenset[str] = frozenset()
    preferred_countries: frozenset[str] = frozenset()
    preferred_languages: frozenset[str] = frozenset()

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
    dense: float
    keyword_score: float = 0.0
    dense_rank: int | None = None
    lexical: float = 0.0
    lexical_rank: int | None = None
    matched: frozenset[str] = frozenset()
    coverage: float = 0.0
    fit: float = 0.0
    score: float = 0.0
    pickable: bool = True
    notes: list[str] = field(default_factory=list)
    grade: int | None = None
    """A grader's validated grade (0..MAX_GRADE), or ``None``."""
    quote: str | None = None
    """The bio phrase the grade rests on: an exact substring of the bio."""

    @property
    def key(self) -> str:
        return self.creator.key

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
    *,
    lexical_query: str | None = None,
) -> list[Candidate]:
    """The best admissible creators the searches found, each on the side its followers put it.

    The unfiltered fetch is sized from the table so that each side can expect enough admissible
    hits; a side that would need more than ``WIDE_FETCH`` gets one more query with its most
    selective filter in Chroma's ``where``, when that filter matches few enough creators to be
    cheap there. ``lexical_query`` replaces the query's BM25 text (the baselines use the raw
    story).
    """
    # Long: the retrieval steps (dense, keywords, pushdown, lexical, admission) in the order they
    # run; each is a helper, what remains is how their hits are combined.
    counts = table.side_counts(constraints.filters, sides)
    fetch = DENSE_FETCH
    short_sides: list[Side] = []
    for plan in sides:
        if not plan.slots or not counts[plan.side]:
            continue
        needed = math.ceil(_wanted(plan) * table.size / counts[plan.side] * OVERFETCH_SAFETY)
        if needed <= WIDE_FETCH:
            fetch = max(fetch, needed)
        else:
            short_sides.append(plan.side)
    dense_hits = _dense_hits(index, query, fetch)
    if short_sides:
        dense_hits.extend(_pushed_down(index, query, constraints, table))
    lexical_hits = index.lexical_search(lexical_query or query.lexical_text, LEXICAL_FETCH)
    dense_rank = _ranks(dense_hits)
    keys = _shortlist(list(dense_rank), lexical_hits, sides, constraints, table)
    creators = index.get_many(keys)
    placed = _place(creators.values(), sides, constraints)
    vectors = index.vectors(list(placed))
    lexical_rank = _ranks(lexical_hits)
    lexical_score = {hit.key: hit.score for hit in lexical_hits}
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
                dense=float(vector @ query.vector),
                keyword_score=(
                    0.0 if query.keyword_vector is None else float(query.keyword_vector @ vector)
                ),
                dense_rank=dense_rank.get(key),
                lexical=lexical_score.get(key, 0.0),
                lexical_rank=lexical_rank.get(key),
                pickable=unpickable_reason(creators[key].bio) is None,
            )
        )
    _match_words(candidates, query)
    return candidates


def feedback(candidates: Sequence[Candidate], query: Query) -> None:
    """Pseudo-relevance feedback: move the query towards the mean of the ``FEEDBACK_TOP``
    closest pickable bios (Rocchio, weight ``FEEDBACK_WEIGHT``) and re-measure every
    candidate's cosine against it."""
    if not FEEDBACK_WEIGHT or not candidates:
        return
    ranked = sorted((c for c in candidates if c.pickable), key=lambda c: -c.dense)
    top = ranked[:FEEDBACK_TOP]
    if not top:
        return
    centroid = np.mean([c.vector for c in top], axis=0)
    moved = query.vector + FEEDBACK_WEIGHT * centroid / float(np.linalg.norm(centroid))
    moved /= float(np.linalg.norm(moved))
    for candidate in candidates:
        candidate.dense = float(candidate.vector @ moved)


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
    """Nearest neighbours of the story and of its translated keywords."""
    hits = index.dense_search(query.vector, fetch)
    if query.keyword_vector is not None:
        hits.extend(index.dense_search(query.keyword_vector, KEYWORD_FETCH))
    return hits


def _ranks(hits: Iterable[Hit]) -> dict[str, int]:
    """Rank of each key by its best score among ``hits`` (0 = best), in rank order."""
    best: dict[str, float] = {}
    for key, hit_score in hits:
        if hit_score > best.get(key, -math.inf):
            best[key] = hit_score
    ordered = sorted(best, key=best.__getitem__, reverse=True)
    return {key: rank for rank, key in enumerate(ordered)}


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


def _match_words(candidates: Sequence[Candidate], query: Query) -> None:
    """Which of the brief's words each bio (or topic list) has, and how confident that
    lexical evidence is: ``1 - exp(-matched idf / LEXICAL_SATURATION)``.

    Document frequencies come from the candidate pool: a word most candidates share (the
    brief's broad subject) weighs little, a word few share (its specific angle) weighs a lot.
    The evidence saturates instead of being divided by the brief's length, so a long brief
    does not drown two distinctive shared words.
    """
    wanted = query.keys
    if not wanted or not candidates:
        return
    found = [
        query.keys_in(candidate.creator.bio + "\n" + " ".join(candidate.creator.topics))
        for candidate in candidates
    ]
    pool = len(candidates)
    frequency = {key: sum(key in keys for keys in found) for key in wanted}
    idf = {key: math.log(1 + pool / (1 + count)) for key, count in frequency.items()}
    for candidate, keys in zip(candidates, found, strict=True):
        candidate.matched = keys
        candidate.coverage = 1 - math.exp(-sum(idf[key] for key in keys) / LEXICAL_SATURATION)


def score(
    candidates: Sequence[Candidate],
    constraints: Constraints,
    tier_medians: Mapping[str, float],
    baselines: Baselines,
) -> None:
    """Set each candidate's ``fit`` (relevance alone: its cosine, recalibrated towards the bios
    of its own language so that the same fit means the same in every language) and ``score``
    (fit plus marketing signals: engagement against its tier's median rate, and the brief's
    soft preferences)."""
    for candidate in candidates:
        closest = max(candidate.dense, candidate.keyword_score)
        semantic = (1 - KEYWORD_WEIGHT) * candidate.dense + KEYWORD_WEIGHT * closest
        z = baselines.z(semantic, candidate.creator.language, LANGUAGE_WEIGHT)
        calibrated = baselines.mean + baselines.spread * z
        candidate.fit = calibrated + LEXICAL_WEIGHT * candidate.coverage
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
) -> list[Candidate]:
    """Up to ``slots`` best candidates (best first), skipping ``taken`` keys.

    With a ``floor`` (a calibrated fit), weaker fits are left out rather than padding the
    list; with ``diverse``, each next pick is discounted by its similarity to the picks before
    it (``picked`` included).
    """
    pool = [c for c in candidates if _eligible(c, floor, taken)]
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


def _eligible(candidate: Candidate, floor: float | None, taken: Collection[str]) -> bool:
    return (
        candidate.pickable
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

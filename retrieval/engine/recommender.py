"""The recommendation engine: a brief in, an explained macro/micro mix out, without a model.

``Recommender.recommend`` reads the brief (``brief.py``), plans the slots (``mix.py``), gathers
and ranks candidates per side (``ranking.py``) and explains each pick and the mix
(``explain.py``). With a grader (``retrieval.ports.CandidateGrader``), the first candidates each
side could pick are judged against the brief and ordered by grade before score
(``ranking.apply_grades``); whatever the grader does, the candidates, the floor and the counts
stay the engine's, and on any failure the local order stands. ``lookalikes`` finds creators like
one creator, in its tier; ``swap`` replaces one pick of a recommendation with the next best of
the same side.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from retrieval.contract import Filters, Pick, Recommendation, RecommendRequest, Shortfall, Side
from retrieval.engine.brief import Brief, normalize_exclude, read_brief
from retrieval.engine.calibration import Background, Baselines
from retrieval.engine.explain import explain_mix, explain_pick
from retrieval.engine.grounding import SegmentVectors, ground
from retrieval.engine.mix import SIDE_ROLES, Band, SidePlan, SlotPlan, plan_slots
from retrieval.engine.qualifiers import stressed_qualifiers
from retrieval.engine.ranking import (
    LEXICAL_FETCH,
    MIN_FIT,
    Candidate,
    Constraints,
    Query,
    apply_grades,
    build_query,
    fit_label,
    gather,
    grading_window,
    lexical_text,
    score,
    select,
)
from retrieval.engine.recent import RECENT_BRIEFS, RecentEmbeddings
from retrieval.engine.table import RosterTable
from retrieval.errors import EmptyRosterError, StoryfitError
from retrieval.ports import CandidateGrader, Embedder, GradeCandidate, Hit, RosterIndex
from retrieval.roster.creator import Creator
from retrieval.terms import terms
from retrieval.tiers import MACRO_LIMIT, TierScheme

log = logging.getLogger(__name__)

#: During a write, a roster table rebuild waits this many times the last build's duration.
REBUILD_SPACING = 10.0


class UnknownCreatorError(StoryfitError):
    """No creator on the roster has that key or handle."""


class NotAPickError(StoryfitError):
    """``swap`` was asked to replace a creator the recommendation does not contain."""


@dataclass(frozen=True)
class _Roster:
    """The roster table of one roster revision and the calibration sample drawn from it."""

    revision: str | None
    table: RosterTable
    background: Background
    #: When the build ended (``time.monotonic``) and how long it took, in seconds.
    built_at: float
    build_seconds: float

    def due_for_rebuild_during_a_write(self) -> bool:
        """Whether a rebuild may start while a write is under way: not before ``REBUILD_SPACING``
        times the last build's duration has passed, so that a reader of a large roster spends at
        most about a tenth of a core rebuilding during a long import (at 450,000 creators a build
        takes seconds, and every batch of the import moves the revision)."""
        return time.monotonic() - self.built_at >= REBUILD_SPACING * self.build_seconds


@dataclass(frozen=True)
class _Ranked:
    """Everything one brief's ranking produced; ``recommend`` and ``swap`` both start here."""

    brief: Brief
    plan: SlotPlan
    constraints: Constraints
    query: Query
    lexical_hits: list[Hit]
    candidates: list[Candidate]
    baselines: Baselines
    table: RosterTable

    def side(self, side: Side) -> list[Candidate]:
        return [candidate for candidate in self.candidates if candidate.side == side]


class Recommender:
    """Recommendations over one index; safe to keep for the life of the process."""

    def __init__(
        self,
        index: RosterIndex,
        tiers: TierScheme,
        embedder: Embedder,
        recent_briefs: int = RECENT_BRIEFS,
    ) -> None:
        """``recent_briefs``: how many briefs' embeddings are kept for when they come again."""
        self.index = index
        self.tiers = tiers
        self.embedder = embedder
        self._briefs_embedder = RecentEmbeddings(embedder, recent_briefs)
        self._segments = SegmentVectors(embedder)
        self._roster: _Roster | None = None
        self._first_build = threading.Lock()
        self._rebuild_start = threading.Lock()
        self._rebuilding: threading.Thread | None = None

    def recommend(
        self,
        request: RecommendRequest,
        brief: Brief | None = None,
        grader: CandidateGrader | None = None,
    ) -> Recommendation:
        """The mix for ``request``; ``brief`` is the request already read (e.g. by a language
        model) when the caller has it, else the rules read it; ``grader`` (asked once) orders
        each side's first candidates by how well their bios fit the brief."""
        ranked = self._rank(request, brief)
        ranked = self._graded(ranked, grader, ranked.plan.sides)
        chosen: dict[Side, list[Candidate]] = {}
        picked: list[Candidate] = []
        for plan in ranked.plan.sides:
            chosen[plan.side] = self._fill(ranked, plan, plan.slots, picked=picked)
            picked.extend(chosen[plan.side])
        answer = self._answer(request, ranked, chosen)
        left_out = _brands_left_out(self._picks_with_held_back(ranked))
        return answer.model_copy(update={"notices": [*answer.notices, *left_out]})

    def swap(
        self,
        request: RecommendRequest,
        current: Recommendation,
        key: str,
        brief: Brief | None = None,
        grader: CandidateGrader | None = None,
    ) -> Recommendation:
        """``current`` with the pick ``key`` (``platform:handle``) replaced by the next best
        creator of the same side that is neither picked nor excluded; the other picks stay.

        To swap again later, add ``key`` to the request's ``exclude`` so it cannot come back.
        ``grader`` judges the candidates the replacement may come from.
        """
        keys = [pick.key for pick in current.picks]
        wanted = key.strip().casefold()
        if wanted not in keys:
            shown = ", ".join(f"@{pick.handle}" for pick in current.picks) or "none"
            raise NotAPickError(
                f"{key} is not one of this recommendation's picks (picks: {shown})."
            )
        removed = current.picks[keys.index(wanted)]
        side: Side = "macro" if removed.role == SIDE_ROLES["macro"] else "micro"
        ranked = self._rank(request, brief)
        plan = ranked.plan.macro if side == "macro" else ranked.plan.micro
        ranked = self._graded(ranked, grader, [plan], taken=keys)
        by_key = {candidate.key: candidate for candidate in ranked.candidates}
        chosen: dict[Side, list[Candidate]] = {"macro": [], "micro": []}
        for pick_key, pick in zip(keys, current.picks, strict=True):
            if pick_key != wanted and pick_key in by_key:
                chosen["macro" if pick.role == SIDE_ROLES["macro"] else "micro"].append(
                    by_key[pick_key]
                )
        kept = [c for group in chosen.values() for c in group]
        replacement = self._fill(ranked, plan, 1, picked=kept, taken=keys)
        side_keys = [k for k, p in zip(keys, current.picks, strict=True) if p.role == removed.role]
        slot = sum(1 for k in side_keys[: side_keys.index(wanted)] if k in by_key)
        chosen[side][slot:slot] = replacement
        return self._answer(request, ranked, chosen)

    def lookalikes(self, key: str, n: int = 5, exclude: Iterable[str] = ()) -> list[Pick]:
        """Up to ``n`` creators in the same tier as ``key`` whose bios are closest to its bio."""
        creator = self._creator(key)
        vector = self.index.vectors([creator.key]).get(creator.key)
        if vector is None or not any(terms(creator.bio)):
            raise StoryfitError(
                f"@{creator.handle}'s bio is empty or only a contact line, so there is nothing "
                "to find lookalikes by."
            )
        tier = self.tiers.classify(creator.followers)
        side: Side = "macro" if tier.role == SIDE_ROLES["macro"] else "micro"
        plan = SidePlan(side=side, slots=n, tiers=(tier,), bands=(Band(tier.min, tier.max),))
        query = Query(
            story=creator.bio,
            vector=vector,
            terms=tuple(terms(creator.bio)),
        )
        skipped = frozenset({creator.key.casefold(), *(normalize_exclude(h) for h in exclude)})
        constraints = Constraints(filters=Filters(), exclude=skipped)
        roster = self._current_roster()
        candidates = gather(self.index, query, [plan], constraints, roster.table)
        score(
            candidates,
            query,
            constraints,
            roster.table.tier_medians,
            roster.background.baselines(query.vector),
        )
        chosen = select(candidates, n, floor=MIN_FIT, diverse=True)
        reference = f"@{creator.handle}'s bio"
        return [explain_pick(c, query, plan, self.tiers, reference) for c in chosen]

    # -- internals --------------------------------------------------------------------------

    def _rank(self, request: RecommendRequest, brief: Brief | None) -> _Ranked:
        brief = brief or read_brief(request)
        roster = self._current_roster()
        table, background = roster.table, roster.background
        filters = brief.filters
        plan = plan_slots(
            brief.objective,
            self.tiers,
            macro=brief.macro,
            micro=brief.micro,
            min_followers=filters.min_followers,
            max_followers=filters.max_followers,
        )
        constraints = Constraints(
            filters=filters,
            exclude=brief.exclude,
            preferred_countries=frozenset(brief.preferred_countries),
            preferred_languages=frozenset(brief.preferred_languages),
            include_brands=request.include_brands,
        )
        # BM25 needs only the brief's words: it runs while the brief is embedded (SQLite and
        # onnxruntime let go of the GIL).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="storyfit-bm25") as pool:
            searching = pool.submit(
                self.index.lexical_search, lexical_text(terms(brief.story)), LEXICAL_FETCH
            )
            query = build_query(brief.story, self._briefs_embedder, background)
            lexical_hits = searching.result()
        candidates = gather(self.index, query, plan.sides, constraints, table, lexical_hits)
        baselines = background.baselines(query.vector)
        score(candidates, query, constraints, table.tier_medians, baselines)
        return _Ranked(brief, plan, constraints, query, lexical_hits, candidates, baselines, table)

    def _fill(
        self,
        ranked: _Ranked,
        plan: SidePlan,
        slots: int,
        *,
        picked: Sequence[Candidate],
        taken: Sequence[str] = (),
        with_held_back: bool = False,
    ) -> list[Candidate]:
        """Up to ``slots`` picks for one side, tier group by tier group: the awareness side
        takes macro-tier creators first and mid-tier ones only for the slots macro fits leave.
        ``with_held_back`` lets held-back brand accounts compete (see ``select``)."""
        chosen: list[Candidate] = []
        for names in self._tier_groups(plan):
            chosen += select(
                [c for c in ranked.side(plan.side) if c.tier in names],
                slots - len(chosen),
                floor=MIN_FIT,
                diverse=True,
                taken=taken,
                picked=[*picked, *chosen],
                with_held_back=with_held_back,
            )
            if len(chosen) >= slots:
                break
        return chosen

    def _picks_with_held_back(self, ranked: _Ranked) -> list[Candidate]:
        """The picks had brand accounts been asked for; empty (and free) when no held-back
        brand account fits well enough to be picked."""
        if not any(c.held_back and c.pickable and c.fit >= MIN_FIT for c in ranked.candidates):
            return []
        picked: list[Candidate] = []
        for plan in ranked.plan.sides:
            picked += self._fill(ranked, plan, plan.slots, picked=picked, with_held_back=True)
        return picked

    def _tier_groups(self, plan: SidePlan) -> list[frozenset[str]]:
        """The names of the side's tiers, group by group in the order its slots are filled."""
        return [
            frozenset(tier.name for tier in group)
            for group in self.tiers.preference_groups(plan.role)
        ]

    def _graded(
        self,
        ranked: _Ranked,
        grader: CandidateGrader | None,
        sides: Sequence[SidePlan],
        taken: Sequence[str] = (),
    ) -> _Ranked:
        """``ranked`` with the grader's valid grades on the first candidates each of ``sides``
        could pick (one call for all sides); on any failure of the grader, ``ranked`` as is."""
        if grader is None:
            return ranked
        windows = {
            plan.side: grading_window(ranked.side(plan.side), self._tier_groups(plan), taken=taken)
            for plan in sides
            if plan.slots
        }
        sent = [candidate for window in windows.values() for candidate in window]
        if not sent:
            return ranked
        asked = {side: [_for_grader(c) for c in window] for side, window in windows.items()}
        try:
            graded = {c.key: c for c in apply_grades(sent, grader.grade(ranked.brief.text, asked))}
        except Exception as error:  # an untrusted grader: whatever it raises, rank locally
            log.warning("grading failed (%s); the local order stands", type(error).__name__)
            return ranked
        kept = sum(candidate.grade is not None for candidate in graded.values())
        log.info("grades kept for %d of %d candidates", kept, len(sent))
        return replace(ranked, candidates=[graded.get(c.key, c) for c in ranked.candidates])

    def _current_roster(self) -> _Roster:
        """The roster table and calibration sample to answer with. The first are built here.
        When the roster has changed since, one rebuild runs in the background; while a write is
        still under way (every batch of an import moves the revision) the current ones keep
        answering meanwhile, as the table is a cache whose picks are re-checked against stored
        records (``table.py``); once the roster has settled, the rebuild is waited for."""
        roster = self._roster
        if roster is None:
            with self._first_build:
                if self._roster is None:
                    self._roster = self._build_roster()
                return self._roster
        revision = self.index.revision
        if revision is not None and revision == roster.revision:
            return roster
        if self.index.write_under_way():
            if roster.due_for_rebuild_during_a_write():
                self._revalidate()
            return roster
        # The roster has settled (e.g. an import just ended): the next brief sees all of it.
        self._revalidate().join()
        if self._roster is None:
            raise EmptyRosterError()
        return self._roster

    def _build_roster(self) -> _Roster:
        """Read the revision first: a write during the build moves it, so the next call
        rebuilds again."""
        started = time.monotonic()
        revision = self.index.revision
        table = RosterTable.build(self.index.roster_rows(), self.tiers)
        if table.size == 0:
            raise EmptyRosterError()
        vectors = self.index.vectors(table.sample)
        sample = [vectors[key] for key in table.sample if key in vectors]
        background = Background.of(sample, self.embedder.parts)
        ended = time.monotonic()
        return _Roster(revision, table, background, built_at=ended, build_seconds=ended - started)

    def _revalidate(self) -> threading.Thread:
        """The background rebuild of the roster: the one under way, or one started now."""
        with self._rebuild_start:
            if self._rebuilding is None or not self._rebuilding.is_alive():
                self._rebuilding = threading.Thread(
                    target=self._rebuild, name="storyfit-roster-table", daemon=True
                )
                self._rebuilding.start()
            return self._rebuilding

    def _rebuild(self) -> None:
        try:
            self._roster = self._build_roster()
        except EmptyRosterError:  # every creator removed: the next call says so
            self._roster = None
        except Exception as error:  # keep answering with the current table; the next call retries
            log.warning("The roster table could not be rebuilt (%s); the current one stays", error)

    def _answer(
        self, request: RecommendRequest, ranked: _Ranked, chosen: dict[Side, list[Candidate]]
    ) -> Recommendation:
        brief, plan = ranked.brief, ranked.plan
        chosen_in_order = [c for side in plan.sides for c in chosen[side.side]]
        grounding = ground(
            chosen_in_order, ranked.query, stressed_qualifiers(brief.story), self._segments
        )
        picks = [
            explain_pick(
                candidate,
                ranked.query,
                side,
                self.tiers,
                "the brief",
                fitting=grounding.fitting.get(candidate.key),
                carries=grounding.carries.get(candidate.key, ()),
            )
            for side in plan.sides
            for candidate in chosen[side.side]
        ]
        shortfalls = [
            shortfall
            for side in plan.sides
            if (shortfall := self._shortfall(side, chosen[side.side], ranked)) is not None
        ]
        notices = [*brief.notices, *plan.notices, *self._unknown_excludes(request.exclude)]
        return Recommendation(
            brief=brief.text,
            objective=plan.objective,
            filters=brief.filters,
            picks=picks,
            shortfall=shortfalls,
            explanation=explain_mix(plan, picks, shortfalls, _objective_reason(request, brief)),
            explained_by="rules",
            notices=notices,
            unmet=grounding.unmet,
        )

    def _shortfall(
        self, side: SidePlan, chosen: Sequence[Candidate], ranked: _Ranked
    ) -> Shortfall | None:
        """Why a side has fewer good fits of the tiers asked for than slots, and what to try."""
        groups = self.tiers.preference_groups(side.role)
        preferred = {tier.name for tier in groups[0]} if groups else set()
        good = [c for c in chosen if fit_label(c.fit) != "weak" and c.tier in preferred]
        if len(good) >= side.slots:
            return None
        parts: list[str] = []
        if not any(c.selectable for c in ranked.side(side.side)):
            where = _filters_text(ranked.brief.filters)
            parts.append(
                f"no {side.side}-side creator ({side.bands_text()}) on the roster{where} has a "
                "bio to match"
            )
        else:
            parts.append(f"{len(good)} good fit(s) of {side.slots} asked for")
            weak = sum(fit_label(c.fit) == "weak" for c in chosen)
            if weak:
                parts.append(f"{weak} weak fit(s) are shown as weak")
            lower = sum(c.tier not in preferred for c in chosen)
            if lower:
                names = "/".join(tier.name for tier in groups[0])
                parts.append(
                    f"{lower} smaller awareness creator(s) fill slot(s) no {names}-tier "
                    f"creator ({MACRO_LIMIT:,}+ followers) fits, labelled with their tier"
                )
            if len(chosen) < side.slots:
                parts.append("weaker fits were left out rather than padding the mix")
        parts.extend(self._way_forward(side, ranked))
        return Shortfall(
            tier=side.side, requested=side.slots, found=len(good), reason="; ".join(parts)
        )

    def _way_forward(self, side: SidePlan, ranked: _Ranked) -> list[str]:
        """How many good fits this side would have without the brief's place, language and
        platform filters, when there are such filters and it would have more."""
        filters = ranked.brief.filters
        if not (filters.country or filters.language or filters.platform):
            return []
        loose = Filters(min_followers=filters.min_followers, max_followers=filters.max_followers)
        constraints = replace(ranked.constraints, filters=loose)
        candidates = gather(
            self.index, ranked.query, [side], constraints, ranked.table, ranked.lexical_hits
        )
        score(candidates, ranked.query, constraints, ranked.table.tier_medians, ranked.baselines)
        found = sum(c.selectable and fit_label(c.fit) != "weak" for c in candidates)
        if not found:
            return []
        dropped = ", ".join(
            name
            for name, values in (
                ("country", filters.country),
                ("language", filters.language),
                ("platform", filters.platform),
            )
            if values
        )
        return [f"without the {dropped} filter(s) there are {found} good fit(s) on this side"]

    def _unknown_excludes(self, excluded: Sequence[str]) -> list[str]:
        notices = []
        for handle in excluded:
            bare = normalize_exclude(handle).rpartition(":")[2]
            if not self.index.find_handle(bare):
                notices.append(f"@{bare} is not on the roster, so excluding it changes nothing.")
        return notices

    def _creator(self, key: str) -> Creator:
        text = key.strip()
        creator = self.index.get(text.casefold()) if ":" in text else None
        if creator is None:
            bare = text.rpartition(":")[2].lstrip("@").casefold()
            matches = self.index.find_handle(bare)
            if not matches:
                near = self.index.suggest_handles(bare)
                hint = f" Did you mean {', '.join('@' + h for h in near)}?" if near else ""
                raise UnknownCreatorError(f"No creator {text} is on the roster.{hint}")
            creator = max(matches, key=lambda match: match.followers)
        return creator


def _for_grader(candidate: Candidate) -> GradeCandidate:
    creator = candidate.creator
    return GradeCandidate(
        key=creator.key,
        handle=creator.handle,
        platform=creator.platform,
        tier=candidate.tier,
        followers=creator.followers,
        bio=creator.bio,
    )


def _filters_text(filters: Filters) -> str:
    parts = [
        f"{name} {', '.join(values)}"
        for name, values in (
            ("on", filters.platform),
            ("in country", filters.country),
            ("writing in", filters.language),
        )
        if values
    ]
    return (" " + " and ".join(parts)) if parts else ""


#: Brand accounts named in the notice that they were left out.
NAMED_LEFT_OUT = 3


def _brands_left_out(picks: Sequence[Candidate]) -> list[str]:
    """The notice that held-back brand accounts would have been among ``picks``, if any."""
    held = [candidate.creator.handle for candidate in picks if candidate.held_back]
    if not held:
        return []
    named = ", ".join(f"@{handle}" for handle in held[:NAMED_LEFT_OUT])
    more = f" and {len(held) - NAMED_LEFT_OUT} more" if len(held) > NAMED_LEFT_OUT else ""
    were = "brand account was" if len(held) == 1 else "brand accounts were"
    return [
        f"{len(held)} {were} left out ({named}{more}); brand, shop and agency accounts are "
        "picked only when asked for: add --include-brands (in Slack, tick “Include brand "
        "accounts” in the New brief form) to consider them."
    ]


def _objective_reason(request: RecommendRequest, brief: Brief) -> str:
    if request.objective is not None:
        return "chosen explicitly"
    if brief.objective_cues:
        cues = ", ".join(f"“{cue}”" for cue in brief.objective_cues[:3])
        return f"read from {cues} in the brief"
    return "the default when the brief names no objective"

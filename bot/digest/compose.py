"""A channel's week in Storyfit, as data: briefs and who asked, themes, picks, feedback, roster.

Everything is computed from the history store, deterministically (no LLM): the same week always
gives the same digest. Renderers (Block Kit, terminal text, chart) take the ``Digest`` as it is.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from bot.history.store import History, RosterState, StoredFeedback, StoredRequest
from retrieval.contract import Pick
from retrieval.terms import fold, terms
from retrieval.tiers import Tier, TierScheme

#: How many of each list the digest keeps (the renderers may show fewer).
TOP_THEMES = 6
TOP_CREATORS = 5
TOP_RISING = 5
MAX_LISTED_CHANGES = 25
#: From this many briefs on, a theme must be shared by two of them (before: each brief's words).
SHARED_THEMES_FROM = 3
#: Adjacent content words separated only by these form a phrase ("vegan snacks", "trail-running").
_PHRASE_GAP = frozenset({" ", "-", "‑"})


class Asker(BaseModel):
    user_id: str | None
    """``None`` for briefs from the terminal."""
    briefs: int


class Theme(BaseModel):
    phrase: str
    briefs: int
    """How many of the week's briefs mention it."""


class PickedCreator(BaseModel):
    key: str
    handle: str
    platform: str
    name: str | None
    tier: str
    role: str
    times: int


class NewCreator(BaseModel):
    key: str
    followers: int
    tier: str


class TierMove(BaseModel):
    key: str
    from_tier: str
    to_tier: str
    from_followers: int
    to_followers: int


class RisingCreator(BaseModel):
    """An action-side creator worth a look: growing fast, or picked in briefs people liked."""

    key: str
    tier: str
    followers: int
    growth: int | None
    """Followers gained since the snapshot before the week (``None`` when new this week)."""
    liked_picks: int
    """Times picked in a brief that got a thumbs up this week."""


class RosterChanges(BaseModel):
    """Between the latest roster snapshot before the week and the latest one in it."""

    compared_from: datetime | None
    compared_to: datetime | None
    new_count: int = 0
    new_creators: list[NewCreator] = []
    """The biggest new creators first, at most ``MAX_LISTED_CHANGES``."""
    removed_count: int = 0
    tier_move_count: int = 0
    tier_moves: list[TierMove] = []
    """Moves up first, the biggest change first, at most ``MAX_LISTED_CHANGES``."""

    @property
    def any(self) -> bool:
        return bool(self.new_count or self.removed_count or self.tier_move_count)


class DayTiers(BaseModel):
    day: date
    picks: dict[str, int]
    """Picks suggested that day, by tier."""


class Digest(BaseModel):
    channel_id: str | None
    """``None``: every channel (and the terminal)."""
    start: datetime
    end: datetime
    timezone: str
    tier_order: list[str]
    briefs: int
    askers: list[Asker]
    themes: list[Theme]
    top_creators: list[PickedCreator]
    picks_by_tier: dict[str, int]
    picks_by_role: dict[str, int]
    feedback: dict[str, int]
    roster: RosterChanges
    rising: list[RisingCreator]
    days: list[DayTiers]

    @property
    def quiet(self) -> bool:
        """No brief was asked in the period."""
        return self.briefs == 0

    @property
    def total_picks(self) -> int:
        return sum(self.picks_by_tier.values())


def split_key(key: str) -> tuple[str, str]:
    """``instagram:janecooks`` -> ``("instagram", "janecooks")``."""
    platform, _, handle = key.partition(":")
    return (platform, handle) if handle else ("unknown", platform)


def brief_themes(briefs: Sequence[str], limit: int = TOP_THEMES) -> list[Theme]:
    """The phrases and words most briefs share: two-word phrases beat their words on a tie.

    A phrase from a single brief counts only in a week of one brief; a word from a single brief
    only in a week of fewer than ``SHARED_THEMES_FROM`` briefs.
    """
    document_counts: Counter[tuple[str, ...]] = Counter()
    surfaces: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for brief in briefs:
        seen: set[tuple[str, ...]] = set()
        words = list(terms(brief))
        for index, term in enumerate(words):
            grams: list[tuple[tuple[str, ...], str]] = [((term.stem,), fold(term.surface))]
            after = words[index + 1] if index + 1 < len(words) else None
            if after is not None and set(brief[term.end : after.start]) <= _PHRASE_GAP:
                phrase = f"{fold(term.surface)} {fold(after.surface)}"
                grams.append(((term.stem, after.stem), phrase))
            for key, surface in grams:
                surfaces[key][surface] += 1
                seen.add(key)
        document_counts.update(seen)
    ranked = sorted(
        document_counts,
        key=lambda key: (-document_counts[key], -len(key), surfaces[key].most_common(1)[0][0]),
    )
    chosen: list[tuple[str, ...]] = []
    for key in ranked:
        if len(chosen) == limit:
            break
        if len(key) == 1 and any(key[0] in phrase for phrase in chosen if len(phrase) > 1):
            continue
        single = document_counts[key] < 2
        if single and (len(briefs) >= SHARED_THEMES_FROM or (len(key) > 1 and len(briefs) > 1)):
            continue
        chosen.append(key)
    return [
        Theme(phrase=surfaces[key].most_common(1)[0][0], briefs=document_counts[key])
        for key in chosen
    ]


def _askers(requests: Sequence[StoredRequest]) -> list[Asker]:
    counts = Counter(request.user_id for request in requests)
    return [
        Asker(user_id=user, briefs=count)
        for user, count in sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))
    ]


def _liked_requests(feedback: Iterable[StoredFeedback]) -> set[int]:
    return {item.request_id for item in feedback if item.kind == "thumbs_up"}


def _picked(requests: Sequence[StoredRequest]) -> list[PickedCreator]:
    """Every creator picked in ``requests``, the most picked first (as shown most recently)."""
    times: Counter[str] = Counter()
    shown: dict[str, Pick] = {}
    for request in requests:
        for pick in request.recommendation.picks:
            key = pick.key
            times[key] += 1
            shown[key] = pick
    return [
        PickedCreator(
            key=key,
            handle=shown[key].handle,
            platform=shown[key].platform,
            name=shown[key].name,
            tier=shown[key].tier,
            role=shown[key].role,
            times=times[key],
        )
        for key in sorted(times, key=lambda key: (-times[key], key))
    ]


def _ordered_counts(counts: Counter[str], order: Sequence[str]) -> dict[str, int]:
    names = [name for name in order if counts[name]] + sorted(set(counts) - set(order))
    return {name: counts[name] for name in names}


def _days(
    requests: Sequence[StoredRequest], start: datetime, end: datetime, zone: ZoneInfo
) -> list[DayTiers]:
    """Picks per local date, for every date the period touches."""
    by_day: defaultdict[date, Counter[str]] = defaultdict(Counter)
    for request in requests:
        day = request.created_at.astimezone(zone).date()
        by_day[day].update(pick.tier for pick in request.recommendation.picks)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    dates = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return [DayTiers(day=day, picks=dict(by_day[day])) for day in dates]


class _Classifier:
    """``TierScheme.classify`` by bisection, for classifying whole rosters."""

    def __init__(self, tiers: TierScheme) -> None:
        self._tiers = tiers.tiers
        self._lows = [tier.min for tier in tiers.tiers]
        self.rank = {tier.name: number for number, tier in enumerate(tiers.tiers)}

    def __call__(self, followers: int) -> Tier:
        return self._tiers[max(bisect_right(self._lows, followers) - 1, 0)]


def roster_changes(
    before: RosterState | None, latest: RosterState | None, tiers: TierScheme
) -> RosterChanges:
    """New creators and tier moves between two snapshots (nothing when there is no new one).

    Tiers are those of the scheme in force now, so a changed ``STORYFIT_TIERS`` is not a move.
    """
    if latest is None or (before is not None and latest.snapshot_id == before.snapshot_id):
        return RosterChanges(compared_from=before.taken_at if before else None, compared_to=None)
    old = before.followers if before is not None else {}
    now = latest.followers
    classify = _Classifier(tiers)
    new_keys = sorted((key for key in now if key not in old), key=lambda key: (-now[key], key))
    moves = []
    for key, followers in now.items():
        was_followers = old.get(key)
        if was_followers is None or was_followers == followers:
            continue
        was, is_now = classify(was_followers), classify(followers)
        if was.name != is_now.name:
            moves.append(
                TierMove(
                    key=key,
                    from_tier=was.name,
                    to_tier=is_now.name,
                    from_followers=was_followers,
                    to_followers=followers,
                )
            )
    moves.sort(
        key=lambda move: (
            classify.rank[move.to_tier] < classify.rank[move.from_tier],
            -abs(move.to_followers - move.from_followers),
            move.key,
        )
    )
    return RosterChanges(
        compared_from=before.taken_at if before else None,
        compared_to=latest.taken_at,
        new_count=len(new_keys),
        new_creators=[
            NewCreator(key=key, followers=now[key], tier=classify(now[key]).name)
            for key in new_keys[:MAX_LISTED_CHANGES]
        ],
        removed_count=sum(1 for key in old if key not in now),
        tier_move_count=len(moves),
        tier_moves=moves[:MAX_LISTED_CHANGES],
    )


def rising_creators(
    before: RosterState | None,
    latest: RosterState | None,
    requests: Sequence[StoredRequest],
    liked: set[int],
    tiers: TierScheme,
    limit: int = TOP_RISING,
) -> list[RisingCreator]:
    """Action-side creators picked in liked briefs, then those growing fastest in relative terms.

    Growth is between the two snapshots; a creator now on the awareness side is not "rising micro".
    """
    classify = _Classifier(tiers)
    now = latest.followers if latest is not None else {}
    old = before.followers if before is not None else {}
    liked_picks: Counter[str] = Counter()
    picked_followers: dict[str, int] = {}
    for request in requests:
        for pick in request.recommendation.picks:
            key = pick.key
            picked_followers[key] = pick.followers
            if request.id in liked and pick.role == "action":
                liked_picks[key] += 1
    growing = {key for key, count in now.items() if key in old and count > old[key]}
    ranked = []
    for key in growing | set(liked_picks):
        followers = now.get(key, picked_followers.get(key, 0))
        if classify(followers).role != "action":
            continue
        growth = followers - old[key] if key in old and key in now else None
        relative = (growth or 0) / max(followers - (growth or 0), 1)
        ranked.append((-liked_picks[key], -relative, -(growth or 0), key, followers, growth))
    ranked.sort()
    return [
        RisingCreator(
            key=key,
            tier=classify(followers).name,
            followers=followers,
            growth=growth,
            liked_picks=-liked,
        )
        for liked, _, _, key, followers, growth in ranked[:limit]
    ]


def compose_digest(
    history: History,
    tiers: TierScheme,
    *,
    channel_id: str | None,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> Digest:
    """The digest of ``[start, end)``: one channel's briefs, or every brief when ``channel_id`` is
    ``None``; roster changes are the whole roster's."""
    requests = history.requests_between(start, end, channel_id)
    feedback = history.feedback_between(start, end, channel_id)
    before, latest = history.roster_before(start), history.roster_before(end)
    tier_order = [tier.name for tier in tiers.tiers]
    picks = [pick for request in requests for pick in request.recommendation.picks]
    return Digest(
        channel_id=channel_id,
        start=start,
        end=end,
        timezone=zone.key,
        tier_order=tier_order,
        briefs=len(requests),
        askers=_askers(requests),
        themes=brief_themes([request.request.brief for request in requests]),
        top_creators=_picked(requests)[:TOP_CREATORS],
        picks_by_tier=_ordered_counts(Counter(pick.tier for pick in picks), tier_order),
        picks_by_role=_ordered_counts(
            Counter(pick.role for pick in picks), ["awareness", "action"]
        ),
        feedback=dict(Counter(item.kind for item in feedback).most_common()),
        roster=roster_changes(before, latest, tiers),
        rising=rising_creators(before, latest, requests, _liked_requests(feedback), tiers),
        days=_days(requests, start, end, zone),
    )

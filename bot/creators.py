"""Managing the roster creator by creator: listing filters, and what a removal erased.

The service (``bot.service``) does the work; these are its checks and its answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from bot.history.erasure import HistoryErasure
from retrieval.errors import StoryfitError
from retrieval.roster.creator import Creator, normalize_country
from retrieval.store.catalog import CreatorFilter
from retrieval.tiers import TierScheme


class CreatorListing(BaseModel):
    """The creators a listing shows (most followers first) and how many matched in all."""

    total: int
    shown: list[Creator]

    @property
    def hidden(self) -> int:
        return self.total - len(self.shown)


class AmbiguousHandleError(StoryfitError):
    """The handle is on several platforms and the command needs one creator."""

    def __init__(self, handle: str, platforms: Sequence[str]) -> None:
        self.handle = handle
        self.platforms = list(platforms)
        super().__init__(
            f"@{handle} is on {len(platforms)} platforms: {', '.join(platforms)}. Say which with "
            f"--platform, e.g. --platform {platforms[0]}."
        )


def creator_filter(
    scheme: TierScheme,
    platforms: Sequence[str],
    *,
    tier: str | None = None,
    country: str | None = None,
    platform: str | None = None,
) -> CreatorFilter:
    """The listing filter for these options, or ``StoryfitError`` naming the bad one and the
    values it can take (the scheme's tiers, the roster's platforms)."""
    return CreatorFilter(
        tier=None if tier is None else _tier_name(scheme, tier),
        platform=None if platform is None else _platform(platforms, platform),
        country=None if country is None else _country(country),
    )


def _tier_name(scheme: TierScheme, text: str) -> str:
    names = {tier.name.casefold(): tier.name for tier in scheme.tiers}
    name = names.get(text.strip().casefold())
    if name is None:
        raise StoryfitError(
            f"--tier {text.strip()!r} is not a tier of the {scheme.name} scheme; its tiers are "
            f"{', '.join(tier.name for tier in scheme.tiers)}."
        )
    return name


def _platform(platforms: Sequence[str], text: str) -> str:
    platform = text.strip().lower()
    if platform not in platforms:
        known = ", ".join(platforms) if platforms else "none yet: the roster is empty"
        raise StoryfitError(
            f"--platform {text.strip()!r}: no creator on the roster is on it; the roster's "
            f"platforms are {known}."
        )
    return platform


def _country(text: str) -> str:
    try:
        code = normalize_country(text)
    except ValueError as error:
        raise StoryfitError(f"--country: {error}.") from None
    if code is None:
        raise StoryfitError("--country is empty; give an ISO code like DE or a name like Germany.")
    return code


class CreatorRemoval(BaseModel):
    """What ``creators remove`` erased for one creator."""

    handle: str
    platform: str
    index_record: bool
    catalog_entry: bool
    history: HistoryErasure

    def describe(self) -> str:
        """One sentence: ``Removed @jane (instagram): index record, catalog entry, ...``."""
        erased = self.history
        parts = [
            *(["index record"] if self.index_record else []),
            *(["catalog entry"] if self.catalog_entry else []),
        ]
        if erased.picks:
            parts.append(
                f"{_count(erased.picks, 'pick')} in "
                f"{_count(erased.recommendations, 'stored recommendation')}"
            )
        if erased.mentions:
            parts.append(f"its @handle in {_count(erased.mentions, 'other stored brief')}")
        if erased.feedback:
            parts.append(_count(erased.feedback, "feedback entry", "feedback entries"))
        if erased.snapshot_entries:
            parts.append(
                _count(erased.snapshot_entries, "roster snapshot entry", "roster snapshot entries")
            )
        what = ", ".join(parts) if parts else "nothing was stored for this creator any more"
        return f"Removed @{self.handle} ({self.platform}): {what}."


def _count(number: int, singular: str, plural: str | None = None) -> str:
    if number == 1:
        return f"1 {singular}"
    return f"{number:,} {plural or singular + 's'}"

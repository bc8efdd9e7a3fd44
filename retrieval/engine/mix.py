"""Slot planning: how many awareness ("macro") and action ("micro") creators a mix gets.

The "macro" side is every tier of the scheme whose role is awareness, the "micro" side every tier
whose role is action; follower filters narrow those bands, never widen them.
"""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.contract import Objective, Side
from retrieval.errors import FilterError
from retrieval.tiers import Role, Tier, TierScheme

#: Default ``(macro, micro)`` slots per objective: balanced is "a couple of macro, several micro".
DEFAULT_SLOTS: dict[Objective, tuple[int, int]] = {
    "balanced": (2, 5),
    "awareness": (4, 2),
    "conversion": (1, 8),
}
SIDE_ROLES: dict[Side, Role] = {"macro": "awareness", "micro": "action"}


@dataclass(frozen=True)
class Band:
    """Followers from ``min`` to ``max`` inclusive (``max`` ``None``: no upper bound)."""

    min: int
    max: int | None

    def contains(self, followers: int) -> bool:
        return followers >= self.min and (self.max is None or followers <= self.max)

    def text(self) -> str:
        if self.max is None:
            return f"{self.min:,}+ followers"
        if self.min == 0:
            return f"under {self.max + 1:,} followers"
        return f"{self.min:,}–{self.max:,} followers"


@dataclass(frozen=True)
class SidePlan:
    """One side of the mix: its slots and the follower bands a pick on it may have."""

    side: Side
    slots: int
    tiers: tuple[Tier, ...]
    bands: tuple[Band, ...]

    @property
    def role(self) -> Role:
        return SIDE_ROLES[self.side]

    def admits(self, followers: int) -> bool:
        return any(band.contains(followers) for band in self.bands)

    def tier_names(self) -> str:
        return "/".join(tier.name for tier in self.tiers)

    def bands_text(self) -> str:
        """``10,000+ followers`` for the mid and macro bands together; gaps stay visible."""
        merged: list[Band] = []
        for band in self.bands:
            last = merged[-1] if merged else None
            if last is not None and last.max is not None and last.max + 1 == band.min:
                merged[-1] = Band(last.min, band.max)
            else:
                merged.append(band)
        return " or ".join(band.text() for band in merged)


@dataclass(frozen=True)
class SlotPlan:
    objective: Objective
    macro: SidePlan
    micro: SidePlan
    notices: tuple[str, ...]

    @property
    def sides(self) -> tuple[SidePlan, SidePlan]:
        """Awareness first, as picks are listed."""
        return (self.macro, self.micro)


def plan_slots(
    objective: Objective,
    scheme: TierScheme,
    macro: int | None = None,
    micro: int | None = None,
    min_followers: int | None = None,
    max_followers: int | None = None,
) -> SlotPlan:
    """Slots per side: the objective's defaults unless counts are given; bands within bounds.

    Raises ``FilterError`` when an explicitly requested side cannot exist under the bounds.
    """
    defaults = DEFAULT_SLOTS[objective]
    limit = Band(min_followers or 0, max_followers)
    notices: list[str] = []
    plans: list[SidePlan] = []
    sides: tuple[tuple[Side, int | None, int], ...] = (
        ("macro", macro, defaults[0]),
        ("micro", micro, defaults[1]),
    )
    for side, requested, default in sides:
        tiers = scheme.tiers_for(SIDE_ROLES[side])
        bands = tuple(
            band for tier in tiers if (band := _intersect(Band(tier.min, tier.max), limit))
        )
        slots = default if requested is None else requested
        if slots and not bands:
            reason = _no_band_reason(side, tiers, limit, scheme)
            if requested is not None:
                raise FilterError(f"{requested} {side} creator(s) were asked for, but {reason}.")
            notices.append(f"No {side} slots: {reason}.")
            slots = 0
        plans.append(SidePlan(side=side, slots=slots, tiers=tiers, bands=bands))
    return SlotPlan(objective=objective, macro=plans[0], micro=plans[1], notices=tuple(notices))


def _intersect(tier: Band, limit: Band) -> Band | None:
    low = max(tier.min, limit.min)
    highs = [high for high in (tier.max, limit.max) if high is not None]
    high = min(highs) if highs else None
    if high is not None and low > high:
        return None
    return Band(low, high)


def _no_band_reason(side: Side, tiers: tuple[Tier, ...], limit: Band, scheme: TierScheme) -> str:
    if not tiers:
        return f"the {scheme.name} tier scheme has no {SIDE_ROLES[side]} tiers"
    span = ", ".join(f"{tier.name} {tier.bounds_text()}" for tier in tiers)
    return f"the follower bounds ({limit.text()}) leave out every {side}-side tier ({span})"

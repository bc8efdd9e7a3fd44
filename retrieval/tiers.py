"""Tier schemes: which band a follower count falls in, and the role that band plays in a mix.

The default follows the working rule of the trade: micro creators (under 10,000 followers) drive
action; the tiers above them bring awareness.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ValidationError, model_validator

from retrieval.counts import parse_count

Role = Literal["awareness", "action"]
ROLES: tuple[Role, ...] = ("awareness", "action")

#: Followers below this count are on the action (micro) side unless a scheme says otherwise.
ACTION_SIDE_LIMIT = 10_000
#: "Macro" as users mean it (the source article): 100,000 followers and more. Awareness slots go
#: to tiers from here up first; a lower awareness tier (mid) only fills what they leave.
MACRO_LIMIT = 100_000


class Tier(BaseModel, frozen=True):
    """One band of a scheme: ``min <= followers <= max`` (``max`` is ``None`` for the top band)."""

    name: str
    min: int
    max: int | None
    role: Role

    def contains(self, followers: int) -> bool:
        return followers >= self.min and (self.max is None or followers <= self.max)

    def bounds_text(self) -> str:
        if self.max is None:
            return f"{self.min:,}+ followers"
        return f"{self.min:,}–{self.max:,} followers"


class TierScheme(BaseModel, frozen=True):
    """Contiguous bands from 0 followers upwards, lowest first."""

    name: str
    tiers: tuple[Tier, ...]

    @model_validator(mode="after")
    def _contiguous(self) -> TierScheme:
        if not self.tiers:
            raise ValueError("a tier scheme needs at least one tier")
        if self.tiers[0].min != 0:
            raise ValueError("the lowest tier must start at 0 followers")
        names = [tier.name for tier in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique, got {', '.join(names)}")
        for lower, upper in zip(self.tiers, self.tiers[1:], strict=False):
            if lower.max is None or lower.max + 1 != upper.min:
                raise ValueError(f"tier {upper.name!r} must start right after {lower.name!r} ends")
        if self.tiers[-1].max is not None:
            raise ValueError("the highest tier must have no upper bound")
        return self

    def classify(self, followers: int) -> Tier:
        if followers < 0:
            raise ValueError("follower counts start at 0")
        for tier in self.tiers:
            if tier.contains(followers):
                return tier
        raise AssertionError("contiguous tiers cover every count")  # pragma: no cover

    def tier(self, name: str) -> Tier:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        known = ", ".join(t.name for t in self.tiers)
        raise KeyError(f"no tier called {name!r} in the {self.name} scheme (tiers: {known})")

    def tiers_for(self, role: Role) -> tuple[Tier, ...]:
        return tuple(tier for tier in self.tiers if tier.role == role)

    def preference_groups(self, role: Role) -> tuple[tuple[Tier, ...], ...]:
        """The tiers of ``role`` in the order their slots are filled: on the awareness side the
        tiers from ``MACRO_LIMIT`` up first, then the rest; the action side is one group."""
        tiers = self.tiers_for(role)
        top = tuple(tier for tier in tiers if tier.min >= MACRO_LIMIT)
        rest = tuple(tier for tier in tiers if tier.min < MACRO_LIMIT)
        if role == "action" or not top or not rest:
            return (tiers,) if tiers else ()
        return (top, rest)

    def describe(self) -> str:
        return ", ".join(f"{tier.name} {tier.bounds_text()} ({tier.role})" for tier in self.tiers)


def _scheme(name: str, bands: Sequence[tuple[str, int, str | None]]) -> TierScheme:
    """Build a scheme from ``(tier name, lowest follower count, role or None)``, lowest first.

    A band without a role is on the action side when it starts under ``ACTION_SIDE_LIMIT``.
    """
    tiers = [
        {
            "name": tier_name,
            "min": lower,
            "max": bands[index + 1][1] - 1 if index + 1 < len(bands) else None,
            "role": role or ("action" if lower < ACTION_SIDE_LIMIT else "awareness"),
        }
        for index, (tier_name, lower, role) in enumerate(bands)
    ]
    return TierScheme.model_validate({"name": name, "tiers": tiers})


DEFAULT_SCHEME = _scheme(
    "default", [("micro", 0, None), ("mid", 10_000, None), ("macro", 100_000, None)]
)
INDUSTRY_SCHEME = _scheme(
    "industry",
    [
        ("nano", 0, None),
        ("micro", 1_000, None),
        ("mid", 10_000, None),
        ("macro", 100_000, None),
        ("mega", 1_000_000, None),
    ],
)
PRESETS: dict[str, TierScheme] = {
    scheme.name: scheme for scheme in (DEFAULT_SCHEME, INDUSTRY_SCHEME)
}

CUSTOM_FORMAT_HINT = (
    "use a preset (default, industry) or bands like "
    "'micro:0,mid:10000,macro:100000' (name:lowest follower count[:awareness|action])"
)


def parse_tier_scheme(spec: str) -> TierScheme:
    """Read a scheme from a preset name or ``name:lowest[:role]`` bands separated by commas."""
    text = spec.strip()
    if text.lower() in PRESETS:
        return PRESETS[text.lower()]
    if ":" not in text:
        raise ValueError(f"unknown tier scheme {spec!r}; {CUSTOM_FORMAT_HINT}")
    bands: list[tuple[str, int, str | None]] = []
    for part in text.split(","):
        fields = [field.strip() for field in part.split(":")]
        if len(fields) not in (2, 3) or not fields[0]:
            raise ValueError(f"cannot read tier band {part.strip()!r}; {CUSTOM_FORMAT_HINT}")
        role = fields[2].lower() if len(fields) == 3 else None
        if role is not None and role not in ROLES:
            raise ValueError(f"tier band {part.strip()!r}: role must be awareness or action")
        bands.append((fields[0].lower(), parse_count(fields[1]), role))
    bands.sort(key=lambda band: band[1])
    try:
        return _scheme("custom", bands)
    except ValidationError as error:
        reason = "; ".join(str(detail["msg"]) for detail in error.errors())
        raise ValueError(f"invalid tier scheme {spec!r}: {reason}") from error

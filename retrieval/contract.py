"""The recommendation contract: what a caller asks for and what comes back.

``Recommendation`` serialises to exactly the ``recommend --json`` shape in the design; keys may be
added, never renamed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from retrieval.roster.kind import CreatorKind
from retrieval.tiers import Role

Objective = Literal["awareness", "conversion", "balanced"]
OBJECTIVES: tuple[Objective, ...] = ("awareness", "conversion", "balanced")
Side = Literal["macro", "micro"]
FitLabel = Literal["strong", "good", "weak"]

#: Longest brief we read; longer ones are truncated with a notice.
MAX_BRIEF_CHARS = 4_000


class Filters(BaseModel):
    """Hard constraints: a pick never violates one."""

    platform: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    min_followers: int | None = None
    max_followers: int | None = None


class RecommendRequest(BaseModel):
    """A brief and the options a user gave explicitly (``None`` means "not given")."""

    brief: str
    objective: Objective | None = None
    macro: int | None = Field(default=None, ge=0, le=20)
    micro: int | None = Field(default=None, ge=0, le=50)
    platform: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    min_followers: int | None = Field(default=None, ge=0)
    max_followers: int | None = Field(default=None, ge=0)
    exclude: list[str] = Field(default_factory=list)
    #: Accounts of brands, shops and agencies are picked only when this is true.
    include_brands: bool = False


def creator_key(platform: str, handle: str) -> str:
    """A creator's id in every store, message and button: ``platform:handle``."""
    return f"{platform}:{handle}"


class Pick(BaseModel):
    handle: str
    platform: str
    name: str | None
    followers: int
    tier: str
    role: Role
    score: float
    #: Calibrated fit: the same label means the same in every language and for every bio length.
    #: Picks stored before labels existed load as "weak": never passed off as good.
    fit: FitLabel = "weak"
    why: str
    evidence: list[str]
    engagement_rate: float | None = None
    country: str | None = None
    language: str | None = None
    #: ``brand`` for a brand, shop or agency account (picked only with ``include_brands``).
    kind: CreatorKind = "creator"
    #: The qualifiers the brief stresses ("for mothers", "plastic-free") that this pick's bio
    #: carries, in words or in meaning (see ``Recommendation.unmet``).
    carries: list[str] = Field(default_factory=list)

    @property
    def key(self) -> str:
        return creator_key(self.platform, self.handle)


class Shortfall(BaseModel):
    tier: Side
    requested: int
    found: int
    reason: str


class Unmet(BaseModel):
    """A qualifier the brief stresses that no pick, or only some, carry in its bio."""

    qualifier: str
    #: How many of the picks carry it (their ``carries`` names it), of how many picks.
    found: int
    picks: int
    reason: str


class Recommendation(BaseModel):
    brief: str
    objective: Objective
    filters: Filters
    picks: list[Pick]
    shortfall: list[Shortfall]
    explanation: str
    explained_by: Literal["rules", "llm"]
    notices: list[str] = Field(default_factory=list)
    """Things the user should know about how the brief was read (truncation, inferred filters)."""
    unmet: list[Unmet] = Field(default_factory=list)
    """Qualifiers the brief stresses that no pick (or only some) carry, said plainly."""

    def carriers(self, unmet: Unmet) -> list[str]:
        """The handles of the picks whose bios carry ``unmet``'s qualifier."""
        return [pick.handle for pick in self.picks if unmet.qualifier in pick.carries]

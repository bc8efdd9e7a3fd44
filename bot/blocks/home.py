"""The App Home tab: the roster by tier, the scheme in force, recent briefs, how to use it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.blocks import limits
from bot.blocks.kit import (
    Block,
    context,
    divider,
    escape,
    fields_sections,
    gist,
    header,
    section,
)
from bot.blocks.replies import help_message
from retrieval.tiers import TierScheme

if TYPE_CHECKING:
    pass


#: Recent briefs listed on the App Home tab.
HOME_RECENT_BRIEFS = 5


@dataclass(frozen=True)
class RecentBrief:
    """A past brief as the App Home lists it."""

    brief: str
    created_at: datetime | None
    picks: int


# ---------------------------------------------------------------------------------------------
# App Home.


def home_view(
    tier_counts: dict[str, int] | None,
    scheme: TierScheme,
    recent: Sequence[RecentBrief],
    problem: str | None = None,
) -> dict[str, Any]:
    """The App Home tab: roster by tier, the scheme in force, recent briefs, how to use it.

    ``tier_counts`` is ``None`` when the roster could not be read; ``problem`` says what went wrong.
    """
    blocks: list[Block] = [header("Storyfit")]
    if problem or tier_counts is None:
        blocks.append(section(f":warning: {escape(problem or 'The roster is not available.')}"))
    if tier_counts is not None:
        total = sum(tier_counts.values())
        blocks.append(section(f"*Roster:* {total:,} creators"))
        blocks.extend(
            fields_sections(
                [
                    f"*{escape(tier.name)}* ({tier.bounds_text()}, {tier.role})\n"
                    f"{tier_counts.get(tier.name, 0):,} creators"
                    for tier in scheme.tiers
                ]
            )
        )
    blocks.append(
        context(f"Tier scheme in force: *{escape(scheme.name)}*: {escape(scheme.describe())}")
    )
    blocks.append(divider())
    blocks.append(section("*Your recent briefs*"))
    if not recent:
        blocks.append(context("None yet. Mention me with a brand story to get your first mix."))
    for item in recent[:HOME_RECENT_BRIEFS]:
        when = item.created_at.strftime("%Y-%m-%d %H:%M") if item.created_at else ""
        blocks.append(context(f"“{escape(gist(item.brief, 200))}”", f"{item.picks} picks", when))
    blocks.append(divider())
    blocks.extend(help_message().blocks[1:])
    return {"type": "home", "blocks": blocks[: limits.MAX_BLOCKS_PER_VIEW]}

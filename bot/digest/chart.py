"""The digest's chart: picks suggested per day, stacked by tier, as PNG bytes.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global state), so
it is safe in the server's threads.
"""

from __future__ import annotations

from io import BytesIO

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.digest.compose import Digest
from bot.digest.text import period_label

#: Colours for the tiers, lowest tier first (colour-blind safe, from the Okabe-Ito palette).
TIER_COLOURS = ("#009E73", "#56B4E9", "#0072B2", "#E69F00", "#D55E00", "#CC79A7", "#F0E442")
CHART_FILENAME = "storyfit-digest.png"


def render_tier_chart(digest: Digest) -> bytes | None:
    """A bar per day, stacked by tier; ``None`` when no picks were suggested in the period."""
    if not digest.total_picks:
        return None
    tiers = list(digest.picks_by_tier)
    labels = [f"{day.day:%a} {day.day.day}" for day in digest.days]
    position = {name: number for number, name in enumerate(digest.tier_order)}
    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bottoms = [0] * len(digest.days)
    for number, tier in enumerate(tiers):
        heights = [day.picks.get(tier, 0) for day in digest.days]
        axes.bar(
            labels,
            heights,
            bottom=bottoms,
            label=tier,
            color=TIER_COLOURS[position.get(tier, number) % len(TIER_COLOURS)],
        )
        bottoms = [low + height for low, height in zip(bottoms, heights, strict=True)]
    axes.set_title(f"Creators suggested per day, by tier · {period_label(digest)}")
    axes.set_ylabel("picks")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(title="tier", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

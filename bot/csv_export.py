"""A recommendation's picks as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from retrieval.contract import Pick, Recommendation
from retrieval.roster.formula_guard import guard_formula

COLUMNS = (
    "role",
    "tier",
    "handle",
    "platform",
    "name",
    "followers",
    "engagement_rate",
    "country",
    "language",
    "score",
    "why",
    "evidence",
)


def _text(value: str | None) -> str:
    return guard_formula(value) if value else ""


def _row(pick: Pick) -> list[object]:
    return [
        pick.role,
        _text(pick.tier),
        _text(pick.handle),
        _text(pick.platform),
        _text(pick.name),
        pick.followers,
        "" if pick.engagement_rate is None else pick.engagement_rate,
        _text(pick.country),
        _text(pick.language),
        round(pick.score, 4),
        _text(pick.why),
        _text(" | ".join(pick.evidence)),
    ]


def picks_csv(recommendation: Recommendation) -> str:
    """One row per pick, awareness picks first, as in the result."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_row(pick) for pick in recommendation.picks)
    return out.getvalue()

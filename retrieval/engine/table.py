"""Every creator's filterable fields in memory, as numpy columns.

Search hits are admitted or refused here without a store round trip per hit; the table says how
many creators a filter leaves on each side of the mix (so retrieval knows how far to over-fetch,
and when a filter is selective enough to push into Chroma's ``where``); and it holds each tier's
median engagement rate. It is a cache: a pick is always re-checked against the creator's stored
record, so a table older than the roster can cost a candidate, never break a filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from retrieval.contract import Filters, Side
from retrieval.engine.mix import SidePlan
from retrieval.ports import RosterRow
from retrieval.tiers import TierScheme

#: Bios in the calibration sample (``retrieval.calibration``).
BACKGROUND_SAMPLE = 2_000


@dataclass(frozen=True)
class Row:
    followers: int
    platform: str
    country: str
    language: str
    tier: str


class RosterTable:
    """Build with ``RosterTable.build(index.roster_rows(), scheme)``."""

    def __init__(
        self, rows: Mapping[str, Row], tier_medians: Mapping[str, float], scheme: TierScheme
    ) -> None:
        self._rows = dict(rows)
        self._keys = list(self._rows)
        #: Keys of an even sample of the creators with a bio (the calibration background).
        self.sample: list[str] = []
        self._position = {key: position for position, key in enumerate(self._rows)}
        self._scheme = scheme
        self.tier_medians = dict(tier_medians)
        self._followers = np.array([row.followers for row in rows.values()], dtype=np.int64)
        # Each text column as small integer codes: matching a filter is an integer ``isin``.
        self._codes: dict[str, dict[str, int]] = {}
        self._columns: dict[str, npt.NDArray[np.int32]] = {}
        for name in _FILTERED:
            codes: dict[str, int] = {}
            values = [codes.setdefault(getattr(row, name), len(codes)) for row in rows.values()]
            self._codes[name] = codes
            self._columns[name] = np.array(values, dtype=np.int32)

    @classmethod
    def build(cls, roster: Iterable[RosterRow], scheme: TierScheme) -> RosterTable:
        rows: dict[str, Row] = {}
        rates: dict[str, list[float]] = {}
        told: list[str] = []
        for row in roster:
            if row.has_bio:
                told.append(row.key)
            tier = scheme.classify(row.followers).name
            rows[row.key] = Row(
                followers=row.followers,
                platform=row.platform,
                country=row.country,
                language=row.language,
                tier=tier,
            )
            if row.engagement_rate:
                rates.setdefault(tier, []).append(row.engagement_rate)
        medians = {tier: float(np.median(values)) for tier, values in rates.items()}
        table = cls(rows, medians, scheme)
        step = max(1, len(told) // BACKGROUND_SAMPLE)
        table.sample = told[::step][:BACKGROUND_SAMPLE]
        return table

    @property
    def size(self) -> int:
        return len(self._rows)

    def tier_of(self, followers: int) -> str:
        return self._scheme.classify(followers).name

    def side_counts(self, filters: Filters, sides: Sequence[SidePlan]) -> dict[Side, int]:
        """How many creators pass ``filters`` on each side (exclusions aside)."""
        passing = self._passing(filters)
        counts: dict[Side, int] = {}
        for plan in sides:
            counts[plan.side] = int((passing & self._in_bands(self._followers, plan)).sum())
        return counts

    def side_keys(self, filters: Filters, plan: SidePlan) -> list[str]:
        """Every creator that passes ``filters`` on ``plan``'s side (exclusions aside)."""
        inside = self._passing(filters) & self._in_bands(self._followers, plan)
        return [self._keys[position] for position in np.flatnonzero(inside)]

    @staticmethod
    def _in_bands(followers: npt.NDArray[np.int64], plan: SidePlan) -> npt.NDArray[np.bool_]:
        inside = np.zeros(len(followers), dtype=bool)
        for band in plan.bands:
            upper = np.iinfo(np.int64).max if band.max is None else band.max
            inside |= (followers >= band.min) & (followers <= upper)
        return inside

    def sides_of(
        self, keys: Sequence[str], filters: Filters, sides: Sequence[SidePlan]
    ) -> list[Side | None]:
        """For each key, the side it would be placed on under ``filters``, or ``None`` when it
        is unknown or filtered out (exclusions aside)."""
        positions = np.array([self._position.get(key, -1) for key in keys], dtype=np.int64)
        known = positions >= 0
        rows = positions[known]
        admitted = np.zeros(len(keys), dtype=bool)
        admitted[known] = self._passing(filters)[rows]
        followers = np.zeros(len(keys), dtype=np.int64)
        followers[known] = self._followers[rows]
        placed: list[Side | None] = [None] * len(keys)
        for plan in reversed(sides):
            on_side = admitted & self._in_bands(followers, plan)
            for position in np.flatnonzero(on_side):
                placed[position] = plan.side
        return placed

    def most_selective(self, filters: Filters) -> tuple[str, list[str], int] | None:
        """The platform, country or language filter matching the fewest creators, and how many."""
        options = [
            (name, values, int(self._matching(name, values).sum()))
            for name, values in _filter_values(filters)
            if values
        ]
        return min(options, key=lambda option: option[2]) if options else None

    def _passing(self, filters: Filters) -> npt.NDArray[np.bool_]:
        passing = np.ones(self.size, dtype=bool)
        for name, values in _filter_values(filters):
            if values:
                passing &= self._matching(name, values)
        return passing

    def _matching(self, name: str, values: Sequence[str]) -> npt.NDArray[np.bool_]:
        wanted = [self._codes[name][value] for value in values if value in self._codes[name]]
        return np.isin(self._columns[name], np.array(wanted, dtype=np.int32))


_FILTERED = ("platform", "country", "language")


def _filter_values(filters: Filters) -> tuple[tuple[str, list[str]], ...]:
    return (
        ("platform", filters.platform),
        ("country", filters.country),
        ("language", filters.language),
    )

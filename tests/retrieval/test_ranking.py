"""Candidate retrieval and ranking: the roster table, filtered gathering, and the signals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from retrieval.contract import Filters
from retrieval.engine.mix import plan_slots
from retrieval.engine.ranking import Candidate, Constraints, build_query, gather, score, select
from retrieval.engine.table import RosterTable
from retrieval.ports import Hit
from retrieval.roster.creator import Creator
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME

pytest_plugins = ("tests.support.fixtures_recommend",)


@pytest.fixture(scope="module")
def table(roster: dict[str, Creator]) -> RosterTable:
    return RosterTable.build(roster.values(), DEFAULT_SCHEME)


def test_the_table_counts_what_a_filter_leaves_on_each_side(
    table: RosterTable, roster: dict[str, Creator]
) -> None:
    plan = plan_slots("balanced", DEFAULT_SCHEME)
    counts = table.side_counts(Filters(country=["DE"]), plan.sides)
    german = [c for c in roster.values() if c.country == "DE"]
    assert counts["micro"] == sum(c.followers < 10_000 for c in german)
    assert counts["macro"] == sum(c.followers >= 10_000 for c in german)
    name, values, matching = table.most_selective(Filters(country=["DE"], language=["en"])) or (
        "",
        [],
        0,
    )
    assert (name, values, matching) == ("country", ["DE"], len(german))
    assert table.most_selective(Filters()) is None


def test_tier_medians_are_the_rosters(table: RosterTable, roster: dict[str, Creator]) -> None:
    micro = [c.engagement_rate for c in roster.values() if c.followers < 10_000]
    rates = sorted(rate for rate in micro if rate)
    assert table.tier_medians["micro"] == pytest.approx(float(np.median(rates)))


class RecordingIndex:
    """The real index, with the ``where`` of every dense search it was asked for recorded."""

    def __init__(self, index: CreatorIndex) -> None:
        self.index = index
        self.wheres: list[Mapping[str, Any] | None] = []

    def dense_search(
        self, vector: npt.NDArray[np.floating[Any]], n: int, where: Mapping[str, Any] | None = None
    ) -> list[Hit]:
        self.wheres.append(where)
        return self.index.dense_search(vector, n, where=where)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


def test_a_rare_filter_is_pushed_down_and_never_violated(
    sample_index: CreatorIndex, embedder: LocalMiniLMEmbedder, table: RosterTable
) -> None:
    query = build_query("Cocoa farming and chocolate from the farm.", embedder, None)
    plan = plan_slots("balanced", DEFAULT_SCHEME)
    constraints = Constraints(filters=Filters(country=["GH"]))
    index = RecordingIndex(sample_index)
    candidates = gather(index, query, plan.sides, constraints, table)
    assert [c.key for c in candidates] == ["tiktok:cocoa_and_consent"]
    assert candidates[0].side == "micro" and candidates[0].tier == "micro"
    assert {"country": {"$in": ["GH"]}} in index.wheres  # the filtered query was made


def test_gathering_respects_exclusions_and_sides(
    sample_index: CreatorIndex, embedder: LocalMiniLMEmbedder, table: RosterTable
) -> None:
    query = build_query("Sourdough bread and long fermentation.", embedder, None)
    plan = plan_slots("balanced", DEFAULT_SCHEME, min_followers=1_000, max_followers=500_000)
    constraints = Constraints(
        filters=Filters(min_followers=1_000, max_followers=500_000),
        exclude=frozenset({"wildyeastwendy", "youtube:crumbandcrust"}),
    )
    candidates = gather(sample_index, query, plan.sides, constraints, table)
    assert candidates
    keys = {c.key for c in candidates}
    assert not keys & {"instagram:wildyeastwendy", "youtube:crumbandcrust"}
    for candidate in candidates:
        assert 1_000 <= candidate.creator.followers <= 500_000
        assert (candidate.side == "micro") == (candidate.creator.followers < 10_000)


def candidate(handle: str, vector: list[float], dense: float, rate: float | None) -> Candidate:
    unit = np.array(vector, dtype=np.float32)
    creator = Creator(handle=handle, followers=5_000, bio="x", engagement_rate=rate)
    return Candidate(
        creator=creator, side="micro", tier="micro", vector=unit / np.linalg.norm(unit), dense=dense
    )


def test_engagement_above_the_tier_median_breaks_a_tie() -> None:
    lively = candidate("lively", [1, 0], 0.5, 0.08)
    quiet = candidate("quiet", [0, 1], 0.5, 0.01)
    score([quiet, lively], "product", Constraints(filters=Filters()), {"micro": 0.04})
    assert lively.fit == quiet.fit
    assert lively.score > lively.fit > quiet.score
    assert select([quiet, lively], 1, floor=None, diverse=False)[0] is lively


def test_the_floor_leaves_weak_fits_out_and_diversity_skips_near_duplicates() -> None:
    first = candidate("first", [1, 0, 0], 0.60, None)
    twin = candidate("twin", [1, 0.02, 0], 0.59, None)
    other = candidate("other", [0, 1, 0], 0.50, None)
    weak = candidate("weak", [0, 0, 1], 0.10, None)
    pool = [first, twin, other, weak]
    score(pool, "product", Constraints(filters=Filters()), {})
    assert select(pool, 4, floor=0.3, diverse=False) == [first, twin, other]
    assert select(pool, 2, floor=0.3, diverse=True) == [first, other]

"""Candidate retrieval and ranking: the roster table, filtered gathering, and the signals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from retrieval.contract import Filters
from retrieval.engine import ranking
from retrieval.engine.calibration import Baselines
from retrieval.engine.mix import plan_slots
from retrieval.engine.ranking import (
    MIN_FIT,
    Candidate,
    Constraints,
    Query,
    build_query,
    gather,
    score,
    select,
)
from retrieval.engine.table import RosterTable
from retrieval.ports import Hit, RosterRow
from retrieval.roster.creator import Creator
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME

pytest_plugins = ("tests.support.fixtures_recommend",)


@pytest.fixture(scope="module")
def table(roster: dict[str, Creator]) -> RosterTable:
    return RosterTable.build(map(RosterRow.of, roster.values()), DEFAULT_SCHEME)


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


@pytest.mark.parametrize("exact_scan", [ranking.EXACT_SCAN, 0])
def test_a_rare_filter_is_scanned_or_pushed_down_and_never_violated(
    sample_index: CreatorIndex,
    embedder: LocalMiniLMEmbedder,
    table: RosterTable,
    monkeypatch: pytest.MonkeyPatch,
    exact_scan: int,
) -> None:
    """A side the wide fetch cannot cover: its few creators scored exactly, or (too many to
    scan) a query with the filter in Chroma's ``where``."""
    monkeypatch.setattr(ranking, "EXACT_SCAN", exact_scan)
    query = build_query("Cocoa farming and chocolate from the farm.", embedder)
    plan = plan_slots("balanced", DEFAULT_SCHEME)
    constraints = Constraints(filters=Filters(country=["GH"]))
    index = RecordingIndex(sample_index)
    candidates = gather(index, query, plan.sides, constraints, table)
    assert [c.key for c in candidates] == ["tiktok:cocoa_and_consent"]
    assert candidates[0].side == "micro" and candidates[0].tier == "micro"
    pushed_down = {"country": {"$in": ["GH"]}} in index.wheres
    assert pushed_down == (exact_scan == 0)


def test_gathering_respects_exclusions_and_sides(
    sample_index: CreatorIndex, embedder: LocalMiniLMEmbedder, table: RosterTable
) -> None:
    query = build_query("Sourdough bread and long fermentation.", embedder)
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


def candidate(handle: str, vector: list[float], rate: float | None = None) -> Candidate:
    unit = np.array(vector, dtype=np.float32)
    creator = Creator(handle=handle, followers=5_000, bio="x", engagement_rate=rate)
    unit /= np.linalg.norm(unit)
    return Candidate(creator=creator, side="micro", tier="micro", vector=unit)


def scored(pool: list[Candidate], query: list[float], medians: dict[str, float]) -> None:
    """Score ``pool`` against ``query`` on a plain scale: fit = cosine / 0.1."""
    vector = np.array(query, dtype=np.float32)
    vector /= np.linalg.norm(vector)
    width = len(query)
    baselines = Baselines((width,), np.zeros(1), np.full(1, 0.1))
    story = Query(story="x", vector=vector, terms=())
    score(pool, story, Constraints(filters=Filters()), medians, baselines)


def test_engagement_above_the_tier_median_breaks_a_tie() -> None:
    lively = candidate("lively", [1, 0], 0.08)
    quiet = candidate("quiet", [0, 1], 0.01)
    scored([quiet, lively], [1, 1], {"micro": 0.04})
    assert lively.fit == pytest.approx(quiet.fit)
    assert lively.score > lively.fit > quiet.score
    assert select([quiet, lively], 1, floor=None, diverse=False)[0] is lively


def test_the_floor_leaves_weak_fits_out_and_diversity_skips_near_duplicates() -> None:
    first = candidate("first", [1, 0, 0])
    twin = candidate("twin", [1, 0.02, 0])
    other = candidate("other", [0, 1, 0])
    weak = candidate("weak", [0.05, 0, 1])
    pool = [first, twin, other, weak]
    scored(pool, [1, 1, 0], {})
    assert weak.fit < MIN_FIT < min(first.fit, twin.fit, other.fit)
    assert {c.key for c in select(pool, 4, floor=MIN_FIT, diverse=False)} == {
        first.key,
        twin.key,
        other.key,
    }
    assert select(pool, 2, floor=MIN_FIT, diverse=True) == [twin, other]


def test_a_keyword_stuffed_bio_loses_fit_against_the_same_vector() -> None:
    plain = candidate("plain", [1, 0])
    stuffed = candidate("stuffed", [1, 0])
    stuffed.creator = stuffed.creator.model_copy(
        update={"bio": "coffee, sourdough, trail running, yoga, skincare, gaming, finance, travel"}
    )
    scored([plain, stuffed], [1, 0], {})
    assert stuffed.fit < plain.fit

"""Every store keeps within Chroma Cloud's limits, so one code path runs embedded, on a server and
on Cloud: no query asks for more than 300 results, no get reads or write carries more than 300
records, no record metadata value reaches 4 KiB and no record has more than 32 metadata keys.

A spy wraps the real chromadb ``Collection`` methods and records what each call asked for."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from retrieval.contract import Filters, RecommendRequest
from retrieval.engine.mix import plan_slots
from retrieval.engine.ranking import Constraints, build_query, gather
from retrieval.engine.recommender import Recommender
from retrieval.engine.table import RosterTable
from retrieval.ports import MAX_SEARCH_RESULTS, FloatMatrix, FloatVector, Progress
from retrieval.roster.creator import Creator
from retrieval.store.index import DEFAULT_COLLECTION, CreatorIndex
from retrieval.store.limits import MAX_METADATA_KEYS, MAX_METADATA_VALUE_BYTES, MAX_WRITE_RECORDS
from retrieval.tiers import DEFAULT_SCHEME

DIMENSIONS = 384


class HashEmbedder:
    """A stand-in for the model with the same shape: one fixed unit vector per text, so 700
    creators index in a moment and a brief that repeats a bio finds that bio first."""

    identity = "test:hash-384"
    dimensions = DIMENSIONS
    parts = (DIMENSIONS,)

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        rows = [self.embed_query(text) for text in texts]
        if progress is not None:
            progress(len(texts))
        return np.stack(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)

    def embed_query(self, text: str) -> FloatVector:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
        vector = np.random.default_rng(seed).standard_normal(DIMENSIONS).astype(np.float32)
        return vector / np.linalg.norm(vector)


@dataclass
class ChromaCalls:
    """What the store asked of Chroma: results per query, records per get and per write, and
    every metadata written."""

    n_results: list[int] = field(default_factory=list)
    get_limits: list[int | None] = field(default_factory=list)
    got: list[int] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> ChromaCalls:
    seen = ChromaCalls()

    def spy(name: str, record: Callable[[dict[str, Any], Any], None]) -> None:
        real = getattr(Collection, name)

        def wrapper(self: Collection, *args: Any, **kwargs: Any) -> Any:
            assert not args, f"Collection.{name} is called with keyword arguments here"
            result = real(self, **kwargs)
            record(kwargs, result)
            return result

        monkeypatch.setattr(Collection, name, wrapper)

    def on_query(kwargs: dict[str, Any], _: Any) -> None:
        seen.n_results.append(kwargs["n_results"])

    def on_get(kwargs: dict[str, Any], result: Any) -> None:
        seen.get_limits.append(kwargs.get("limit"))
        seen.got.append(len(result["ids"]))
        if kwargs.get("ids") is not None:
            seen.get_limits[-1] = len(kwargs["ids"])

    def on_write(kwargs: dict[str, Any], _: Any) -> None:
        seen.written.append(len(kwargs["ids"]))
        seen.metadatas.extend(kwargs.get("metadatas") or [])

    spy("query", on_query)
    spy("get", on_get)
    for name in ("add", "upsert", "update"):
        spy(name, on_write)
    return seen


def roster(size: int, *, rare_country: str = "DE", rare: int = 10) -> list[Creator]:
    """``size`` micro creators in the US, then ``rare`` macro creators in ``rare_country``."""
    creators = [
        Creator(
            handle=f"maker{number}",
            platform="instagram",
            followers=1_000 + number,
            country="US",
            bio=f"Maker number {number} shares weekend woodworking projects.",
        )
        for number in range(size)
    ]
    creators += [
        Creator(
            handle=f"alpine{number}",
            platform="instagram",
            followers=200_000 + number,
            country=rare_country,
            bio=f"Alpine trail runner {number} racing mountain ultras.",
        )
        for number in range(rare)
    ]
    return creators


def metadata_bytes(value: object) -> int:
    return len(value.encode("utf-8")) if isinstance(value, str) else len(json.dumps(value))


def assert_within_cloud_limits(calls: ChromaCalls) -> None:
    assert max(calls.n_results, default=0) <= MAX_SEARCH_RESULTS
    assert all(limit is not None and limit <= MAX_SEARCH_RESULTS for limit in calls.get_limits)
    assert max(calls.got, default=0) <= MAX_SEARCH_RESULTS
    assert max(calls.written, default=0) <= MAX_WRITE_RECORDS
    for metadata in calls.metadatas:
        assert len(metadata) <= MAX_METADATA_KEYS
        assert all(metadata_bytes(value) < MAX_METADATA_VALUE_BYTES for value in metadata.values())


def move_revision(data_dir: Path) -> None:
    """Change the collection's revision behind the index, so the next open rebuilds its catalog
    from Chroma (as another machine's write would)."""
    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_collection(DEFAULT_COLLECTION)
    collection.modify(
        metadata={**(collection.metadata or {}), "storyfit_revision": uuid.uuid4().hex}
    )
    client.close()  # type: ignore[attr-defined]


@pytest.fixture
def indexed(tmp_path: Path) -> Iterator[tuple[Path, list[Creator]]]:
    creators = roster(690)
    with CreatorIndex.open(tmp_path, HashEmbedder(), DEFAULT_SCHEME) as index:
        index.upsert(creators)
    yield tmp_path, creators


def test_writes_reads_and_rebuilds_of_700_creators_stay_within_300(
    indexed: tuple[Path, list[Creator]], calls: ChromaCalls
) -> None:
    data_dir, creators = indexed
    move_revision(data_dir)
    with CreatorIndex.open(data_dir, HashEmbedder(), DEFAULT_SCHEME) as index:
        assert index.count() == 700  # rebuilt from Chroma, page by page
        keys = [creator.key for creator in creators]
        assert len(index.vectors(keys)) == 700
        vector = HashEmbedder().embed_query("anything")
        assert len(index.dense_search(vector, 3_000)) == MAX_SEARCH_RESULTS
        updated = [c.model_copy(update={"name": "New name"}) for c in creators[:400]]
        assert len(index.upsert(updated).updated) == 400
        assert len(index.remove(keys[:400]).index) == 400
        assert index.count() == 300
    assert len(calls.got) >= 3  # the rebuild read 700 records in pages
    assert calls.n_results == [MAX_SEARCH_RESULTS]
    assert_within_cloud_limits(calls)


def test_a_filtered_brief_on_a_rare_side_asks_for_at_most_300(
    indexed: tuple[Path, list[Creator]], calls: ChromaCalls
) -> None:
    data_dir, _ = indexed
    with CreatorIndex.open(data_dir, HashEmbedder(), DEFAULT_SCHEME) as index:
        engine = Recommender(index, DEFAULT_SCHEME, HashEmbedder())
        answer = engine.recommend(
            RecommendRequest(
                brief="Alpine trail runner 3 racing mountain ultras.",
                macro=2,
                micro=0,
                country=["DE"],
            )
        )
    # 10 of 700 creators are macro in DE: the old over-fetch asked for 1,680 results.
    assert answer.picks[0].handle == "alpine3"
    assert {pick.handle[:6] for pick in answer.picks} == {"alpine"}
    assert_within_cloud_limits(calls)


def test_a_long_record_is_split_below_4_kib_and_read_back_whole(
    tmp_path: Path, calls: ChromaCalls
) -> None:
    long = Creator(
        handle="storyteller",
        platform="youtube",
        followers=52_000,
        bio="Tales of the sea, told slowly. " * 350 + "Ünïcödé ✓ " * 300,
        extra={f"note{number}": "x" * 2_000 for number in range(20)},
    )
    assert len(long.model_dump_json().encode()) > 10 * MAX_METADATA_VALUE_BYTES
    with CreatorIndex.open(tmp_path, HashEmbedder(), DEFAULT_SCHEME) as index:
        index.upsert([long, *roster(3, rare=0)])
    assert_within_cloud_limits(calls)
    move_revision(tmp_path)
    with CreatorIndex.open(tmp_path, HashEmbedder(), DEFAULT_SCHEME) as index:
        assert index.get(long.key) == long


def test_a_record_stored_whole_by_an_older_storyfit_is_still_read(tmp_path: Path) -> None:
    long = Creator(handle="oldtimer", platform="tiktok", followers=900, bio="Knots. " * 2_000)
    with CreatorIndex.open(tmp_path, HashEmbedder(), DEFAULT_SCHEME) as index:
        index.upsert([long])
    client = chromadb.PersistentClient(
        path=str(tmp_path / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_collection(DEFAULT_COLLECTION)
    stored = collection.get(ids=[long.key], include=["metadatas"])["metadatas"]
    assert stored is not None
    old = {k: v for k, v in stored[0].items() if not re.fullmatch(r"record(_\d+|_parts)?", k)}
    assert set(stored[0]) - set(old) == {
        "record",
        "record_1",
        "record_2",
        "record_3",
        "record_parts",
    }
    old["record"] = long.model_dump_json()  # one value of 14 KB, as Storyfit wrote it before
    collection.delete(ids=[long.key])
    collection.add(
        ids=[long.key], embeddings=[HashEmbedder().embed_query("x").tolist()], metadatas=[old]
    )
    collection.modify(
        metadata={**(collection.metadata or {}), "storyfit_revision": uuid.uuid4().hex}
    )
    client.close()  # type: ignore[attr-defined]
    with CreatorIndex.open(tmp_path, HashEmbedder(), DEFAULT_SCHEME) as index:
        assert index.get(long.key) == long


def test_a_record_too_big_for_the_store_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    huge = Creator(
        handle="overflow", platform="tiktok", followers=5, extra={"notes": "word " * 40_000}
    )
    long_id = Creator(handle="x" * 130, platform="tiktok", followers=5)
    with CreatorIndex.open(tmp_path, HashEmbedder(), DEFAULT_SCHEME) as index:
        with pytest.raises(ValueError) as refused:
            index.upsert([*roster(2, rare=0), huge, long_id])
        assert index.count() == 0
    message = str(refused.value)
    assert message.startswith("tiktok:overflow: this creator's values take 200,")
    assert "notes is the largest (200,000 characters)" in message
    assert "would take 137 bytes, more than the index's 128;" in message
    assert message.endswith("nothing was written")


class TopicEmbedder(HashEmbedder):
    """``HashEmbedder`` leaning towards one axis by how often a text says "ultra": a brief of
    four "ultra"s is nearest to bios saying it four times, then once, then never."""

    identity = "test:topic-384"

    def embed_query(self, text: str) -> FloatVector:
        axis = np.zeros(DIMENSIONS, dtype=np.float32)
        axis[0] = text.count("ultra")
        vector = 0.2 * super().embed_query(text) + axis
        return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_a_rare_filtered_side_beyond_the_300_nearest_is_scored_exactly(
    tmp_path: Path, calls: ChromaCalls
) -> None:
    clones = [
        Creator(
            handle=f"clone{n}", followers=2_000, country="US", bio=f"ultra ultra ultra ultra {n}"
        )
        for n in range(400)
    ]
    others = [
        Creator(handle=f"maker{n}", followers=3_000, country="US", bio=f"Woodwork {n}")
        for n in range(300)
    ]
    german = [
        Creator(handle=f"alpine{n}", followers=300_000, country="DE", bio=f"Alpine views {n}")
        for n in range(39)
    ]
    best = Creator(handle="trailbest", followers=250_000, country="DE", bio="An ultra trail runner")
    roster = [*clones, *others, *german, best]
    embedder = TopicEmbedder()
    scheme = DEFAULT_SCHEME
    with CreatorIndex.open(tmp_path, embedder, scheme) as index:
        index.upsert(roster)
        table = RosterTable.build(index.roster_rows(), scheme)
        query = build_query("ultra ultra ultra ultra", embedder)
        # The 400 clones are nearer than any German creator: all 300 results are clones.
        nearest = index.dense_search(query.vector, MAX_SEARCH_RESULTS)
        assert {hit.key.rstrip("0123456789") for hit in nearest} == {"unknown:clone"}
        calls.n_results.clear()
        constraints = Constraints(filters=Filters(country=["DE"]))
        candidates = gather(index, query, plan_slots("balanced", scheme).sides, constraints, table)
    assert best.key in {c.key for c in candidates}
    assert {c.creator.country for c in candidates} == {"DE"}
    assert max(calls.n_results) <= MAX_SEARCH_RESULTS

"""An import's batches: the next one is embedded while the last one is written (issue 12)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chromadb.api.models.Collection import Collection
from chromadb.errors import InternalError

from retrieval.errors import UpsertInterrupted
from retrieval.roster.creator import Creator
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.index import CreatorIndex, UpsertReport
from tests.retrieval.test_index import ROSTER, FailingEmbedder, Store, _store
from tests.support.chroma_server import chroma_server  # noqa: F401 (a pytest fixture)


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> LocalMiniLMEmbedder:
    return LocalMiniLMEmbedder(model_dir=model_dir)


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def store(request: pytest.FixtureRequest, tmp_path: Path, embedder: LocalMiniLMEmbedder) -> Store:
    return _store(request, tmp_path, embedder)


#: Three batches: new creators; more, plus the first batch's first creator with a new bio (its
#: batch may still be in flight); the first batch's second creator with one more follower.
BATCHES = [
    ROSTER[:4],
    [*ROSTER[4:], ROSTER[0].model_copy(update={"bio": "Vegan cakes and gluten-free bread."})],
    [ROSTER[1].model_copy(update={"followers": ROSTER[1].followers + 1})],
]
KEYS = sorted({creator.key for creator in ROSTER})


def _stored(index: CreatorIndex) -> tuple[dict[str, Any], dict[str, Creator], dict[str, Any]]:
    """What Chroma holds (ids, vectors, metadata, documents) and what the catalog holds."""
    chroma = index._collection.get(include=["embeddings", "metadatas", "documents"])
    by_id = {
        key: (np.asarray(vector).tolist(), metadata, document)
        for key, vector, metadata, document in zip(
            chroma["ids"],
            chroma["embeddings"],
            chroma["metadatas"] or [],
            chroma["documents"] or [],
            strict=True,
        )
    }
    vectors = {key: vector.tolist() for key, vector in index.vectors(KEYS).items()}
    return by_id, index.get_many(KEYS), vectors


def test_batches_written_in_the_background_store_what_one_upsert_at_a_time_stores(
    store: Store, tmp_path: Path
) -> None:
    one_at_a_time = dataclasses.replace(
        store, data_dir=tmp_path / "one-at-a-time", collection=f"{store.collection}-b"
    )
    with one_at_a_time.open() as index:
        expected = [index.upsert(batch) for batch in BATCHES]
        expected_store = _stored(index)
    with store.open() as index:
        reports = list(index.upsert_batches(BATCHES))
        assert reports == expected
        assert _stored(index) == expected_store
    assert [len(report.added) for report in reports] == [4, 5, 0]
    assert [report.updated for report in reports] == [[], [ROSTER[0].key], [ROSTER[1].key]]


def test_ctrl_c_while_the_next_batch_embeds_keeps_the_batch_being_written(
    store: Store, embedder: LocalMiniLMEmbedder
) -> None:
    with store.open(FailingEmbedder(embedder, fail_on=2)) as index:
        reported: list[UpsertReport] = []
        with pytest.raises(UpsertInterrupted) as stopped:
            reported.extend(index.upsert_batches(BATCHES))
        assert (reported, stopped.value.kept) == ([], 4)
        assert index.count() == 4
    with store.open() as index:
        assert index.count() == 4
        assert [report.embedded for report in index.upsert_batches(BATCHES)] == [0, 6, 0]


def test_a_failed_write_is_raised_and_the_batches_before_it_are_kept(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_upsert = Collection.upsert
    writes: list[int] = []

    def failing_second_write(collection: Collection, **records: Any) -> None:
        writes.append(len(records["ids"]))
        if len(writes) == 2:
            raise InternalError("database or disk is full")
        real_upsert(collection, **records)

    with store.open() as index:
        monkeypatch.setattr(Collection, "upsert", failing_second_write)
        reported: list[UpsertReport] = []
        with pytest.raises(InternalError, match="disk is full"):
            reported.extend(index.upsert_batches(BATCHES))
        assert writes == [4, 6], "nothing written after the failure"
        assert [len(report.added) for report in reported] == [4]
        assert index.count() == 4 == index.heartbeat()
        monkeypatch.undo()
    with store.open() as index:
        assert [len(report.added) for report in index.upsert_batches(BATCHES)] == [0, 5, 0]
        assert index.count() == len(KEYS)

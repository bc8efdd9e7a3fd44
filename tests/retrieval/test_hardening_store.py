"""No record and no failed re-index makes the creator store unusable (issue 10).

Real embedded Chroma, a real ``chroma run`` server and the real model.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

import retrieval.store.index
from retrieval.contract import RecommendRequest
from retrieval.engine.recommender import Recommender
from retrieval.ports import FloatMatrix
from retrieval.roster.creator import Creator
from retrieval.store.catalog import Catalog
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.index import DEFAULT_COLLECTION, CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME
from tests.retrieval.test_index import ROSTER, FailingEmbedder, Store, _store
from tests.support.chroma_server import chroma_server  # noqa: F401 (a pytest fixture)

BIGSHOT = "tiktok:bigshot"


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def store(request: pytest.FixtureRequest, tmp_path: Path, embedder: LocalMiniLMEmbedder) -> Store:
    return _store(request, tmp_path, embedder)


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> LocalMiniLMEmbedder:
    return LocalMiniLMEmbedder(model_dir=model_dir)


def write_behind_the_importer(data_dir: Path, key: str, metadata: dict[str, object]) -> None:
    """Add a record straight into the embedded collection and move its revision, as a writer
    would, so the next open rebuilds the catalog from it."""
    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_collection(DEFAULT_COLLECTION)
    neighbour = collection.get(limit=1, include=["embeddings"])["embeddings"]
    assert neighbour is not None
    collection.add(ids=[key], embeddings=[neighbour[0]], metadatas=[metadata])  # type: ignore[list-item]
    revision = {**(collection.metadata or {}), "storyfit_revision": uuid.uuid4().hex}
    collection.modify(metadata=revision)
    client.close()  # type: ignore[attr-defined]


def huge_record() -> dict[str, object]:
    record = {"handle": "bigshot", "platform": "tiktok", "followers": 10**20, "bio": "Everything."}
    return {
        "platform": "tiktok",
        "handle": "bigshot",
        "followers": 10**20,
        "tier": "macro",
        "record": json.dumps(record),
        "record_hash": "x",
        "embed_hash": "y",
    }


# -- one record can never make the store unopenable ----------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"note": "written by another tool"}, "not written by Storyfit"),
        ({**huge_record(), "record": "{not json"}, "not valid"),
        ({**huge_record(), "record": json.dumps({"handle": "x", "followers": 1})}, "another"),
    ],
)
def test_a_record_storyfit_cannot_read_is_left_out_not_fatal(
    tmp_path: Path,
    embedder: LocalMiniLMEmbedder,
    metadata: dict[str, object],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        index.upsert(ROSTER)
    write_behind_the_importer(tmp_path, BIGSHOT, metadata)
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        assert index.count() == len(ROSTER)
        assert index.tier_counts() == {"micro": 5, "mid": 2, "macro": 2}
    (warning,) = [r.getMessage() for r in caplog.records if BIGSHOT in r.getMessage()]
    assert reason in warning and "storyfit ingest --reindex" in warning


def test_an_upsert_refuses_a_count_the_catalog_cannot_hold_before_writing(store: Store) -> None:
    huge = Creator.model_construct(**{**ROSTER[0].model_dump(), "followers": 2**63})
    with store.open() as index:
        with pytest.raises(ValueError, match="nothing was written"):
            index.upsert([*ROSTER[1:], huge])
        assert index.count() == 0
    with store.open() as index:
        assert index.upsert(ROSTER).embedded == len(ROSTER)


# -- a re-index is built beside the index in use -------------------------------------------------


class BrokenEmbedder(FailingEmbedder):
    """The real model whose second batch fails, like an embedding service going away."""

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> FloatMatrix:
        if self.calls == 1:
            raise RuntimeError("the embedding service went away")
        return super().embed(texts, progress)


def _vegan_picks(index: CreatorIndex, embedder: LocalMiniLMEmbedder) -> list[str]:
    answer = Recommender(index, DEFAULT_SCHEME, embedder).recommend(
        RecommendRequest(brief="vegan cakes and dairy-free desserts")
    )
    return [pick.handle for pick in answer.picks]


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_a_failed_reindex_leaves_the_old_index_whole(
    store: Store,
    embedder: LocalMiniLMEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    failure: type[BaseException],
) -> None:
    monkeypatch.setattr(retrieval.store.index, "UPSERT_CHUNK", 4)
    with store.open() as index:
        index.upsert(ROSTER)
        before = _vegan_picks(index, embedder)
    assert "veganbakes" in before
    failing = (
        BrokenEmbedder(embedder, fail_on=0)
        if failure is RuntimeError
        else FailingEmbedder(embedder, fail_on=2)
    )
    others = [c.model_copy(update={"handle": f"new{n}"}) for n, c in enumerate(ROSTER)]
    with pytest.raises(failure):
        CreatorIndex.reindex(
            store.data_dir, failing, DEFAULT_SCHEME, others, store.url, store.collection
        )
    assert failing.calls >= 1  # the build had started embedding

    with store.open() as index:
        assert index.count() == len(ROSTER)
        assert index.find_handle("new0") == []
        assert _vegan_picks(index, embedder) == before
    client = (
        chromadb.HttpClient(port=int(store.url.rsplit(":", 1)[1]))
        if store.url
        else chromadb.PersistentClient(path=str(store.data_dir / "chroma"))
    )
    names = [c.name for c in client.list_collections() if c.name.startswith(store.collection)]
    assert names == [store.collection]  # the partial build was dropped
    assert len(list(store.data_dir.glob("catalog*.sqlite3"))) == 1  # and its catalog too


def test_a_complete_reindex_replaces_the_index(store: Store, embedder: LocalMiniLMEmbedder) -> None:
    with store.open() as index:
        index.upsert(ROSTER)
    reindexed, report = CreatorIndex.reindex(
        store.data_dir, embedder, DEFAULT_SCHEME, ROSTER[:3], store.url, store.collection
    )
    with reindexed as index:
        assert sorted(report.added) == sorted(c.key for c in ROSTER[:3])
        assert index.count() == 3 and index.find_handle("catmomlife") == []
    with store.open() as index:
        assert index.count() == 3
        assert "veganbakes" in _vegan_picks(index, embedder)


def test_a_reindex_stopped_between_its_renames_gets_the_old_index_back(
    tmp_path: Path, embedder: LocalMiniLMEmbedder
) -> None:
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        index.upsert(ROSTER)
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    client.get_collection(DEFAULT_COLLECTION).modify(name=f"{DEFAULT_COLLECTION}.old-0123456789ab")
    client.close()  # type: ignore[attr-defined]
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        assert index.count() == len(ROSTER)
        assert "veganbakes" in _vegan_picks(index, embedder)


class InterruptedAfterBegin:
    """A catalog's connection on which one Ctrl-C lands just after ``BEGIN`` returns."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.interrupted = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def execute(self, sql: str, *parameters: Any) -> sqlite3.Cursor:
        cursor = self._db.execute(sql, *parameters)
        if sql == "BEGIN IMMEDIATE" and not self.interrupted:
            self.interrupted = True
            raise KeyboardInterrupt
        return cursor


def test_a_ctrl_c_right_after_a_transaction_began_does_not_break_later_writes(
    tmp_path: Path,
) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    catalog._db = InterruptedAfterBegin(catalog._db)  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        catalog.set_revision("first")
    catalog.set_revision("second")  # was: "cannot start a transaction within a transaction"
    assert catalog.revision == "second"
    catalog.close()

"""The creator index over real Chroma (embedded and a `chroma run` server) and the real model."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chromadb.api.fastapi import FastAPI
from chromadb.api.models.Collection import Collection

import retrieval.store.index
from retrieval.ports import FloatMatrix, FloatVector
from retrieval.roster.creator import Creator
from retrieval.store.chroma import ChromaUnavailableError, StoreBusyError
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.index import DEFAULT_COLLECTION, CreatorIndex, EmbedderMismatchError
from retrieval.tiers import DEFAULT_SCHEME, INDUSTRY_SCHEME, TierScheme
from tests.conftest import REPO, free_port
from tests.support.chroma_server import chroma_server, running_chroma  # noqa: F401 (chroma_server is a pytest fixture)
from tests.support.waiting import eventually

ROSTER = [
    Creator(
        handle="veganbakes",
        platform="instagram",
        followers=8_400,
        name="Mia Baker",
        country="DE",
        bio="Plant-based baker sharing vegan cakes, sourdough and dairy-free desserts.",
    ),
    Creator(
        handle="trailmatt",
        platform="youtube",
        followers=240_000,
        bio="Mountain biking, trail building and downhill races across the Alps.",
    ),
    Creator(
        handle="cryptocarla",
        platform="tiktok",
        followers=55_000,
        bio="Bitcoin charts, DeFi explainers and daily crypto market news.",
    ),
    Creator(
        handle="catmomlife",
        platform="instagram",
        followers=3_100,
        bio="Two rescue cats, cozy apartment life and pet adoption tips.",
    ),
    Creator(
        handle="lenslaura",
        platform="instagram",
        followers=120_000,
        bio="Street photographer. Film cameras, night shots of Tokyo, Leica love.",
    ),
    Creator(
        handle="fitwithomar",
        platform="tiktok",
        followers=9_000,
        topics=["fitness", "meal prep"],
        bio="Home workouts and calisthenics for busy dads.",
    ),
    Creator(
        handle="veganbakes",
        platform="tiktok",
        followers=1_200,
        bio="Vegan baking shorts 🌱 cupcakes & cookies",
    ),
    Creator(
        handle="cafe_amelie",
        platform="instagram",
        followers=15_000,
        bio="Café culture in Paris: crème brûlée, espresso and pastry reviews.",
    ),
    Creator(handle="quietcoder", platform="youtube", followers=700, bio=""),
]
KEYS = [creator.key for creator in ROSTER]


def changed(key: str, **fields: Any) -> list[Creator]:
    """ROSTER with the creator ``key`` changed."""
    return [c.model_copy(update=fields) if c.key == key else c for c in ROSTER]


class RenamedEmbedder:
    """The real model under another identity, as if another embedder were configured."""

    def __init__(self, inner: LocalMiniLMEmbedder, identity: str) -> None:
        self._inner = inner
        self._identity = identity

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> FloatMatrix:
        return self._inner.embed(texts, progress)

    def embed_query(self, text: str) -> FloatVector:
        return self._inner.embed_query(text)


class FailingEmbedder(RenamedEmbedder):
    """The real model that fails on its ``fail_on``-th call to ``embed`` (an interrupted run)."""

    def __init__(self, inner: LocalMiniLMEmbedder, fail_on: int) -> None:
        super().__init__(inner, inner.identity)
        self.calls = 0
        self._fail_on = fail_on

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> FloatMatrix:
        self.calls += 1
        if self.calls == self._fail_on:
            raise KeyboardInterrupt
        return super().embed(texts, progress)


class PausingEmbedder(RenamedEmbedder):
    """The real model that signals ``entered`` and waits for ``release`` before embedding."""

    def __init__(self, inner: LocalMiniLMEmbedder) -> None:
        super().__init__(inner, inner.identity)
        self.entered = threading.Event()
        self.release = threading.Event()

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> FloatMatrix:
        self.entered.set()
        self.release.wait(timeout=5)
        return super().embed(texts, progress)


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> LocalMiniLMEmbedder:
    return LocalMiniLMEmbedder(model_dir=model_dir)


@dataclass
class Store:
    """Where a test's index lives: a data dir, and a server collection in server mode."""

    data_dir: Path
    url: str | None
    collection: str
    embedder: LocalMiniLMEmbedder

    def open(
        self,
        embedder: Any = None,
        tiers: TierScheme = DEFAULT_SCHEME,
        data_dir: Path | None = None,
        **options: Any,
    ) -> CreatorIndex:
        return CreatorIndex.open(
            data_dir or self.data_dir,
            embedder or self.embedder,
            tiers,
            chroma_url=self.url,
            collection=self.collection,
            **options,
        )


def _store(request: pytest.FixtureRequest, folder: Path, embedder: LocalMiniLMEmbedder) -> Store:
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        return Store(folder / "data", url, f"test-{uuid.uuid4().hex[:12]}", embedder)
    return Store(folder / "data", None, DEFAULT_COLLECTION, embedder)


BACKENDS = ["embedded", pytest.param("server", marks=pytest.mark.server)]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path, embedder: LocalMiniLMEmbedder) -> Store:
    return _store(request, tmp_path, embedder)


@pytest.fixture(params=[pytest.param("server", marks=pytest.mark.server)])
def server_store(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: LocalMiniLMEmbedder
) -> Store:
    return _store(request, tmp_path, embedder)


@pytest.fixture(scope="module", params=BACKENDS)
def index(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    embedder: LocalMiniLMEmbedder,
) -> Iterator[CreatorIndex]:
    """ROSTER, indexed once per backend for the tests that only read."""
    store = _store(request, tmp_path_factory.mktemp("read-only"), embedder)
    with store.open() as opened:
        opened.upsert(ROSTER)
        yield opened


# -- upserts ------------------------------------------------------------------------------------


def test_upsert_embeds_only_new_or_rewritten_text(store: Store) -> None:
    progress: list[tuple[int, int]] = []
    with store.open() as index:
        first = index.upsert(ROSTER, progress=lambda done, total: progress.append((done, total)))
        assert (first.added, first.updated, first.unchanged, first.embedded) == (KEYS, [], [], 9)
        assert index.count() == 9
        assert progress[-1] == (9, 9)

        again = index.upsert(ROSTER)
        assert (again.added, again.updated, again.unchanged, again.embedded) == ([], [], KEYS, 0)

        new_bio = "Now all about sourdough bread and rye starters."
        rewritten = index.upsert(changed("tiktok:cryptocarla", bio=new_bio))
        assert (rewritten.updated, rewritten.embedded) == (["tiktok:cryptocarla"], 1)
        assert len(rewritten.unchanged) == 8
        assert index.get("tiktok:cryptocarla") == changed("tiktok:cryptocarla", bio=new_bio)[2]
        stored = index.vectors(["tiktok:cryptocarla"])["tiktok:cryptocarla"]
        expected = store.embedder.embed([new_bio])[0]
        assert float(stored @ expected) > 0.999


def test_follower_change_updates_tier_without_embedding(store: Store) -> None:
    with store.open() as index:
        index.upsert(ROSTER)
        before = index.vectors(["instagram:catmomlife"])["instagram:catmomlife"]
        assert index.tier_counts() == {"micro": 5, "mid": 2, "macro": 2}

        report = index.upsert(changed("instagram:catmomlife", followers=50_000))

        assert (report.updated, report.embedded) == (["instagram:catmomlife"], 0)
        creator = index.get("instagram:catmomlife")
        assert creator is not None and creator.followers == 50_000
        assert index.tier_counts() == {"micro": 4, "mid": 3, "macro": 2}
        # Chroma's own metadata moved too: a `where` on the new tier finds the creator.
        hits = index.dense_search(before, n=3, where={"tier": "mid"})
        assert hits[0].key == "instagram:catmomlife"
        after = index.vectors(["instagram:catmomlife"])["instagram:catmomlife"]
        assert np.array_equal(before, after)


def test_repeated_key_in_one_upsert_keeps_the_last(store: Store) -> None:
    with store.open() as index:
        first, last = ROSTER[1], ROSTER[1].model_copy(update={"followers": 5})
        report = index.upsert([first, last])
        assert (report.added, report.embedded) == (["youtube:trailmatt"], 1)
        assert index.get("youtube:trailmatt") == last


def test_writes_respect_the_servers_batch_limit(
    server_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FastAPI, "get_max_batch_size", lambda self: 3)
    monkeypatch.setattr(retrieval.store.index, "UPSERT_CHUNK", 4)
    progress: list[tuple[int, int]] = []
    with server_store.open() as index:
        # The client now rejects more than 3 records per call, so the test cannot pass vacuously.
        with pytest.raises(ValueError, match="batch size"):
            index._collection.upsert(
                ids=list("abcd"), embeddings=np.zeros((4, 384), dtype=np.float32)
            )

        report = index.upsert(ROSTER, progress=lambda done, total: progress.append((done, total)))
        assert report.embedded == 9 and index.count() == 9
        assert progress[-1] == (9, 9)
        assert [done for done, _ in progress] == sorted(done for done, _ in progress)

        moved = [c.model_copy(update={"followers": c.followers + 1}) for c in ROSTER]
        assert index.upsert(moved).updated == KEYS
        assert index.get_many(KEYS) == {c.key: c for c in moved}


def test_interrupted_upsert_keeps_finished_chunks(
    store: Store, embedder: LocalMiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrieval.store.index, "UPSERT_CHUNK", 4)
    with store.open(FailingEmbedder(embedder, fail_on=2)) as index:
        with pytest.raises(KeyboardInterrupt):
            index.upsert(ROSTER)
        assert index.count() == 4
    with store.open() as index:
        assert index.count() == 4
        assert index.upsert(ROSTER).embedded == 5


def test_reads_answer_from_the_catalog_while_an_upsert_runs(
    store: Store, embedder: LocalMiniLMEmbedder
) -> None:
    pausing = PausingEmbedder(embedder)
    with store.open(pausing) as index:
        index.revision_check_interval = 0
        writer = threading.Thread(target=index.upsert, args=(ROSTER,))
        writer.start()
        try:
            assert pausing.entered.wait(timeout=10)
            # Neither blocked behind the write nor rebuilt from its half-written collection.
            assert index.count() == 0
            assert index.lexical_search("tokyo", 1) == []
        finally:
            pausing.release.set()
            writer.join()
        assert index.count() == 9


# -- the catalog follows Chroma -----------------------------------------------------------------


def test_missing_catalog_is_rebuilt_from_chroma(store: Store) -> None:
    with store.open() as index:
        index.upsert(ROSTER)
    catalogs = list(store.data_dir.glob("catalog*.sqlite3*"))
    assert catalogs
    for path in catalogs:
        path.unlink()

    with store.open() as index:
        assert index.count() == 9
        assert index.get("instagram:veganbakes") == ROSTER[0]
        assert [c.key for c in index.find_handle("trailmatt")] == ["youtube:trailmatt"]
        assert index.lexical_search("tokyo", 3)[0].key == "instagram:lenslaura"
        assert index.upsert(ROSTER).embedded == 0


def test_vectors_are_read_locally_and_are_the_ones_chroma_holds(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def chroma_get(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read from Chroma")

    with store.open() as index:
        index.upsert(ROSTER)
        index.upsert(changed("tiktok:cryptocarla", bio="Now all about sourdough and rye."))
        with monkeypatch.context() as patched:
            patched.setattr(Collection, "get", chroma_get)
            written = index.vectors(KEYS)
    for path in store.data_dir.glob("catalog*.sqlite3*"):
        path.unlink()

    with store.open() as index, monkeypatch.context() as patched:
        if not index.is_server:  # a catalog rebuilt from a server has no vectors: Chroma's
            patched.setattr(Collection, "get", chroma_get)
        rebuilt = index.vectors(KEYS)

    assert sorted(written) == sorted(rebuilt) == sorted(KEYS)
    # A server's catalog keeps the vectors as sent: an ulp apart at most from Chroma's copy.
    same = np.array_equal if store.url is None else partial(np.allclose, rtol=0, atol=1e-6)
    assert all(same(written[key], rebuilt[key]) for key in KEYS)


def test_server_changes_from_another_machine_reach_this_catalog(
    server_store: Store, tmp_path: Path
) -> None:
    with (
        server_store.open() as here,
        server_store.open(data_dir=tmp_path / "other-machine") as there,
    ):
        changed_creator = changed("instagram:lenslaura", followers=99)[4]
        here.revision_check_interval = 0
        assert here.count() == 0
        there.upsert(ROSTER)
        assert eventually(lambda: here.count() == 9)
        there.upsert(changed("instagram:lenslaura", followers=99))
        assert eventually(lambda: here.get("instagram:lenslaura") == changed_creator)


def test_new_tier_scheme_retiers_records_without_embedding(store: Store) -> None:
    with store.open() as index:
        index.upsert(ROSTER)
    with store.open(tiers=INDUSTRY_SCHEME) as index:
        assert index.tier_counts() == {"nano": 1, "micro": 4, "mid": 2, "macro": 2, "mega": 0}
        query = index.vectors(["youtube:quietcoder"])["youtube:quietcoder"]
        assert [hit.key for hit in index.dense_search(query, 5, where={"tier": "nano"})] == [
            "youtube:quietcoder"
        ]
        assert index.upsert(ROSTER).embedded == 0


# -- opening: embedder, lock, server ------------------------------------------------------------


def test_other_embedder_is_refused_with_how_to_reindex(
    store: Store, embedder: LocalMiniLMEmbedder
) -> None:
    with store.open() as index:
        index.upsert(ROSTER)
    other = RenamedEmbedder(embedder, "local:another-model")

    with pytest.raises(EmbedderMismatchError) as refused:
        store.open(other)
    message = str(refused.value)
    assert "built with the embedder local:all-MiniLM-L6-v2" in message
    assert "local:another-model is configured" in message
    assert "storyfit ingest --reindex PATH" in message and "STORYFIT_EMBEDDING" in message

    # The refused open released the store: a re-index can start right away.
    reindexed, report = CreatorIndex.reindex(
        store.data_dir, other, DEFAULT_SCHEME, ROSTER[:2], store.url, store.collection
    )
    with reindexed as index:
        assert index.embedder_identity == "local:another-model"
        assert report.embedded == 2 and index.count() == 2
    with pytest.raises(EmbedderMismatchError):
        store.open()


OWNER_SCRIPT = """
import sys
from pathlib import Path
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME

index = CreatorIndex.open(Path(sys.argv[1]), LocalMiniLMEmbedder(Path(sys.argv[2])), DEFAULT_SCHEME)
print("ready", flush=True)
sys.stdin.read()
"""


def test_second_process_is_refused_at_once_while_the_first_holds_the_store(
    tmp_path: Path, embedder: LocalMiniLMEmbedder, model_dir: Path
) -> None:
    data_dir = tmp_path / "data"
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, str(data_dir), str(model_dir)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "ready"
        started = time.monotonic()
        with pytest.raises(StoreBusyError) as busy:
            CreatorIndex.open(data_dir, embedder, DEFAULT_SCHEME)
        assert time.monotonic() - started < 2
        message = str(busy.value)
        assert f"process {owner.pid}" in message and "-c" in message
        assert "STORYFIT_CHROMA_URL" in message
    finally:
        owner.kill()
        owner.wait()
    # A crashed owner leaves no stale lock behind.
    with CreatorIndex.open(data_dir, embedder, DEFAULT_SCHEME) as index:
        assert index.count() == 0


def test_second_open_in_the_same_process_is_refused_until_the_first_closes(
    tmp_path: Path, embedder: LocalMiniLMEmbedder
) -> None:
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME), pytest.raises(StoreBusyError):
        CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME)
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        assert not index.is_server


def test_dead_server_is_reported_not_waited_for(
    tmp_path: Path, embedder: LocalMiniLMEmbedder
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ChromaUnavailableError) as unavailable:
        CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME, chroma_url=url)
    assert time.monotonic() - started < 2
    message = str(unavailable.value)
    assert f"Cannot reach the Chroma server at {url}" in message
    assert "chroma run" in message and "STORYFIT_CHROMA_URL" in message


@pytest.mark.server
def test_server_lost_mid_session_is_reported_not_raised_raw(
    tmp_path: Path, embedder: LocalMiniLMEmbedder
) -> None:
    with running_chroma(tmp_path / "server") as url:
        index = CreatorIndex.open(tmp_path / "data", embedder, DEFAULT_SCHEME, chroma_url=url)
        index.upsert(ROSTER[:2])
        query = index.vectors([ROSTER[0].key])[ROSTER[0].key]
    with index:
        with pytest.raises(
            ChromaUnavailableError, match=f"Cannot reach the Chroma server at {url}"
        ):
            index.dense_search(query, 3)
        with pytest.raises(ChromaUnavailableError):
            index.upsert(ROSTER)


def test_url_without_scheme_is_explained(tmp_path: Path, embedder: LocalMiniLMEmbedder) -> None:
    with pytest.raises(ChromaUnavailableError, match="write it like http://localhost:8000"):
        CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME, chroma_url="localhost:8000")


def test_server_mode_reports_itself(server_store: Store) -> None:
    with server_store.open() as index:
        assert index.is_server
        assert index.embedder_identity == "local:all-MiniLM-L6-v2"


def test_invalid_collection_name_is_refused(tmp_path: Path, embedder: LocalMiniLMEmbedder) -> None:
    with pytest.raises(ValueError, match="invalid Chroma collection name 'x!'"):
        CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME, collection="x!")


def test_a_collection_name_is_held_to_chroma_clouds_128_bytes(
    tmp_path: Path, embedder: LocalMiniLMEmbedder
) -> None:
    longest = "c" * 128
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME, collection=longest) as index:
        assert index.count() == 0
    with pytest.raises(ValueError, match=r"use 3-128 letters, digits, '\.', '_' or '-'"):
        CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME, collection=longest + "c")


# -- reads --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vegan cupcakes and dairy-free desserts", {"instagram:veganbakes", "tiktok:veganbakes"}),
        ("downhill mountain bike racing", {"youtube:trailmatt"}),
        ("analog film photography at night", {"instagram:lenslaura"}),
    ],
)
def test_dense_search_puts_the_obvious_creator_first(
    index: CreatorIndex, embedder: LocalMiniLMEmbedder, query: str, expected: set[str]
) -> None:
    hits = index.dense_search(embedder.embed_query(query), n=5)
    assert hits[0].key in expected
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True) and -1 <= scores[-1] <= scores[0] <= 1


def test_dense_search_filters_and_bounds(
    index: CreatorIndex, embedder: LocalMiniLMEmbedder
) -> None:
    query = embedder.embed_query("vegan baking")
    youtube = index.dense_search(query, n=5, where={"platform": "youtube"})
    assert {hit.key for hit in youtube} == {"youtube:trailmatt", "youtube:quietcoder"}
    assert len(index.dense_search(query, n=50)) == 9
    assert index.dense_search(query, n=0) == []
    with pytest.raises(ValueError, match="384 dimensions"):
        index.dense_search(np.zeros(3, dtype=np.float32), n=5)


@pytest.mark.parametrize(
    "query",
    [
        'vegan "cakes" AND *',
        "VEGAN NEAR( cakes",
        "cakes OR OR",
        "vegan's cakes!!",
        "🌱 vegan -cakes",
    ],
)
def test_lexical_search_takes_user_text_literally(index: CreatorIndex, query: str) -> None:
    hits = index.lexical_search(query, 3)
    assert hits[0].key == "instagram:veganbakes"
    assert all(hit.score > 0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


@pytest.mark.parametrize("query", ["🌱🌱", '"', "*", "OR", "", "   ", "NEAR(", "'", "-"])
def test_lexical_search_without_matches_is_empty_not_an_error(
    index: CreatorIndex, query: str
) -> None:
    assert index.lexical_search(query, 5) == []


def test_lexical_search_ignores_accents_and_reads_names_and_topics(index: CreatorIndex) -> None:
    assert {hit.key for hit in index.lexical_search("AND", 9)} == {
        c.key for c in ROSTER if " and " in c.bio
    }
    assert index.lexical_search("creme brulee", 3)[0].key == "instagram:cafe_amelie"
    assert index.lexical_search("Mia", 3)[0].key == "instagram:veganbakes"
    assert index.lexical_search("meal prep", 3)[0].key == "tiktok:fitwithomar"


def test_find_handle_is_case_insensitive_across_platforms(index: CreatorIndex) -> None:
    assert [c.key for c in index.find_handle("@VeganBakes ")] == [
        "instagram:veganbakes",
        "tiktok:veganbakes",
    ]
    assert index.find_handle("nobody") == []


def test_suggest_handles_offers_near_misses(index: CreatorIndex) -> None:
    assert index.suggest_handles("@trailmat")[0] == "trailmatt"
    assert index.suggest_handles("vegnbakes")[0] == "veganbakes"
    assert index.suggest_handles("cafe-amelie", limit=1) == ["cafe_amelie"]
    assert index.suggest_handles("zzzzqqq") == []


def test_reads_cover_every_creator_and_tier(index: CreatorIndex) -> None:
    assert [c.key for c in index.iter_creators()] == sorted(KEYS)
    assert index.get("instagram:nobody") is None
    assert set(index.get_many(["youtube:trailmatt", "instagram:nobody"])) == {"youtube:trailmatt"}
    assert index.tier_counts() == {"micro": 5, "mid": 2, "macro": 2}
    vectors = index.vectors([*KEYS, "instagram:nobody"])
    assert set(vectors) == set(KEYS)
    norms = [float(np.linalg.norm(vector)) for vector in vectors.values()]
    assert all(abs(norm - 1) < 1e-4 for norm in norms)


def test_empty_index_answers_empty(store: Store, embedder: LocalMiniLMEmbedder) -> None:
    with store.open() as index:
        assert index.count() == 0
        assert index.dense_search(embedder.embed_query("anything"), n=5) == []
        assert index.lexical_search("anything", 5) == []
        assert index.tier_counts() == {"micro": 0, "mid": 0, "macro": 0}
        assert index.suggest_handles("jane") == []


def _as_schema_2(catalog_file: Path) -> None:
    """Turn a catalog into the version before the vectors table (what older releases wrote)."""
    with closing(sqlite3.connect(catalog_file)) as db, db:
        db.execute("DROP TABLE vectors")
        db.execute("PRAGMA user_version = 2")


def test_an_older_catalog_is_upgraded_in_place_on_a_server_and_rebuilt_when_embedded(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.open() as index:
        index.upsert(ROSTER)
    [catalog_file] = store.data_dir.glob("catalog*.sqlite3")
    _as_schema_2(catalog_file)

    def chroma_get(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the catalog was rebuilt from Chroma")

    with monkeypatch.context() as patched:
        if store.url is not None:  # a server's catalog keeps its rows: no page is read back
            patched.setattr(Collection, "get", chroma_get)
        with store.open() as index:
            assert index.count() == 9
            assert [c.key for c in index.find_handle("trailmatt")] == ["youtube:trailmatt"]
    with closing(sqlite3.connect(catalog_file)) as db:
        kept_vectors = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    # Embedded: rebuilt from Chroma with every creator's vector; a server's keeps its rows only.
    assert kept_vectors == (9 if store.url is None else 0)

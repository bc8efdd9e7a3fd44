"""Readers during a long import: another process sharing the data dir's catalog keeps answering
from what is committed, without rebuilding the catalog while a live writer on this machine keeps
it up to date (its lease), and the recommender answers with its roster table while a newer one
is built in the background."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest

import retrieval.engine.recommender
import retrieval.store.catalog
import retrieval.store.index
from retrieval.contract import RecommendRequest
from retrieval.engine.recommender import Recommender
from retrieval.engine.table import RosterTable
from retrieval.ports import Embedder, RosterIndex, RosterRow
from retrieval.roster.creator import Creator
from retrieval.store.catalog import Catalog, StoredPage
from retrieval.store.index import DEFAULT_COLLECTION, CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME
from tests.conftest import REPO
from tests.support.chroma_server import chroma_server  # noqa: F401 (a pytest fixture)
from tests.support.waiting import eventually

pytest_plugins = ("tests.support.fixtures_recommend",)

#: Creators per chunk while these tests write: the 12-creator import commits three chunks.
CHUNK = 4
ROSTER = [
    Creator(handle=f"baker{n}", followers=2_000 + n, country="FR", bio=f"Sourdough loaf {n}")
    for n in range(12)
]
#: A writer that is killed (SIGKILL) mid-write: its first chunk committed, its second embedded.
DYING_WRITER = f"""
import os, signal, sys
from pathlib import Path
import retrieval.store.index
from retrieval.roster.creator import Creator
from retrieval.store.embeddings import build_embedder
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME

retrieval.store.index.UPSERT_CHUNK = {CHUNK}
data_dir, model_dir, collection, url = sys.argv[1:5]
embedder = build_embedder("local", Path(model_dir), None, "unused")
index = CreatorIndex.open(
    Path(data_dir), embedder, DEFAULT_SCHEME, chroma_url=url or None, collection=collection
)
roster = [
    Creator(handle=f"baker{{n}}", followers=2_000 + n, country="FR", bio=f"Sourdough loaf {{n}}")
    for n in range(12)
]

def killed_mid_write(done: int, total: int) -> None:
    if done == {2 * CHUNK}:
        os.kill(os.getpid(), signal.SIGKILL)

index.upsert(roster, progress=killed_mid_write)
"""


class Rebuilds:
    """Counts the catalog's rebuilds from Chroma (``Catalog.replace_all``, which still runs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = Catalog.replace_all

        def counted(catalog: Catalog, pages: Iterable[StoredPage], revision: str) -> None:
            self.count += 1
            original(catalog, pages, revision)

        monkeypatch.setattr(Catalog, "replace_all", counted)


class Store:
    """One data dir and collection (on the test server, or embedded); closes what it opened."""

    def __init__(self, data_dir: Path, embedder: Embedder, url: str | None) -> None:
        self.data_dir = data_dir
        self.embedder = embedder
        self.url = url
        self.collection = f"test-{uuid.uuid4().hex[:12]}" if url else DEFAULT_COLLECTION
        self.opened: list[CreatorIndex] = []

    def open(self) -> CreatorIndex:
        index = CreatorIndex.open(
            self.data_dir,
            self.embedder,
            DEFAULT_SCHEME,
            chroma_url=self.url,
            collection=self.collection,
        )
        self.opened.append(index)
        return index


@pytest.fixture
def server_store(
    tmp_path: Path,
    embedder: Embedder,
    chroma_server: str,  # noqa: F811 (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Store]:
    monkeypatch.setattr(retrieval.store.index, "UPSERT_CHUNK", CHUNK)
    store = Store(tmp_path / "data", embedder, chroma_server)
    yield store
    for index in store.opened:
        index.close()


@pytest.mark.server
def test_a_reader_trusts_the_catalog_a_live_writer_here_keeps(
    server_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = server_store.open()
    rebuilds = Rebuilds(monkeypatch)
    seen_mid_write: list[int] = []

    def open_a_reader(done: int, total: int) -> None:
        if done == 2 * CHUNK:  # the first chunk is committed, the collection mid-write
            reader = server_store.open()
            reader.revision_check_interval = 0
            seen_mid_write.append(reader.count())

    writer.upsert(ROSTER, progress=open_a_reader)
    reader = server_store.opened[-1]
    assert seen_mid_write == [CHUNK]
    assert eventually(lambda: reader.count() == len(ROSTER))
    time.sleep(0.3)  # a few more refresher rounds, now that the write is over
    assert rebuilds.count == 0
    assert reader.revision == writer.revision is not None


@pytest.mark.server
def test_a_reader_trusts_a_live_writer_here_whatever_revision_it_saw(
    server_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A look at the collection can be out of step with the writer's lease (a 450,000-row import
    failed when a reader rebuilt the shared catalog on one): a live writer here keeps the
    catalog, so readers do not rebuild while it writes."""
    writer = server_store.open()
    rebuilds = Rebuilds(monkeypatch)
    seen_mid_write: list[int] = []

    def out_of_step(done: int, total: int) -> None:
        if done == 2 * CHUNK:
            writer._stamp_revision("a-revision-no-lease-names")
            seen_mid_write.append(server_store.open().count())

    writer.upsert(ROSTER, progress=out_of_step)
    assert seen_mid_write == [CHUNK]
    assert rebuilds.count == 0


@pytest.mark.server
def test_a_writer_on_another_host_still_makes_readers_rebuild(
    server_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = server_store.open()
    rebuilds = Rebuilds(monkeypatch)
    seen_mid_write: list[int] = []
    with monkeypatch.context() as elsewhere:
        elsewhere.setattr(retrieval.store.catalog.socket, "gethostname", lambda: "build-box")

        def open_a_reader(done: int, total: int) -> None:
            if done == 2 * CHUNK:
                elsewhere.undo()  # the lease says "build-box"; the reader runs on this host
                seen_mid_write.append(server_store.open().count())

        writer.upsert(ROSTER, progress=open_a_reader)
    assert seen_mid_write == [CHUNK]
    assert rebuilds.count == 1


@pytest.mark.parametrize("mode", ["embedded", pytest.param("server", marks=pytest.mark.server)])
def test_a_writer_killed_mid_write_makes_the_next_reader_rebuild(
    mode: str,
    tmp_path: Path,
    embedder: Embedder,
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    url = request.getfixturevalue("chroma_server") if mode == "server" else None
    store = Store(tmp_path / "data", embedder, url)
    command = [
        sys.executable,
        "-c",
        DYING_WRITER,
        str(store.data_dir),
        str(model_dir),
        store.collection,
        url or "",
    ]
    died = subprocess.run(command, cwd=REPO, capture_output=True, timeout=120, check=False)
    assert died.returncode == -9, died.stderr.decode()
    catalog = Catalog(next(store.data_dir.glob("catalog*.sqlite3")))
    lease = catalog.lease()
    catalog.close()
    assert lease is not None and lease.pid > 0  # left behind by the killed writer
    rebuilds = Rebuilds(monkeypatch)
    with store.open() as reader:
        assert rebuilds.count == 1
        assert reader.count() == CHUNK
        assert reader.upsert(ROSTER).embedded == len(ROSTER) - CHUNK


# -- the roster table ------------------------------------------------------------------------


def test_the_table_read_from_sql_is_the_one_read_from_creators(
    tmp_path: Path, embedder: Embedder
) -> None:
    roster = [
        *ROSTER,
        Creator(handle="quiet", followers=50, bio=""),
        Creator(handle="rated", followers=900_000, bio="Travel", engagement_rate=0.031),
        Creator(handle="zero", followers=1_200_000, bio="Travel", engagement_rate=0.0),
        Creator(handle="lang", followers=40_000, bio="Mode", country="DE", language="de"),
        Creator(handle="ünï", platform="tiktok", followers=7, bio="  Café  ", language="fr"),
    ]
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        index.upsert(roster)
        from_sql = list(index.roster_rows())
        from_creators = [RosterRow.of(creator) for creator in index.iter_creators()]
    assert from_sql == from_creators
    assert len(from_sql) == len(roster)
    by_sql = RosterTable.build(from_sql, DEFAULT_SCHEME)
    by_creators = RosterTable.build(from_creators, DEFAULT_SCHEME)
    assert by_sql.sample == by_creators.sample and "unknown:quiet" not in by_sql.sample
    assert by_sql.tier_medians == by_creators.tier_medians


class GatedRows:
    """The real index; while ``gate`` is closed, reading the roster's rows waits for it."""

    def __init__(self, index: CreatorIndex) -> None:
        self.index = index
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)

    def roster_rows(self) -> Iterator[RosterRow]:
        if not self.gate.is_set():
            self.waiting.set()
            self.gate.wait(timeout=30)
        return self.index.roster_rows()


BRIEF = RecommendRequest(brief="Sourdough loaf baking in Reykjavik", country=["IS"])
#: The one creator that fits ``BRIEF``: committed by an import's batch before the next one.
NEWCOMER = Creator(handle="reykjavikloaf", followers=3_000, country="IS", bio=BRIEF.brief)


@contextmanager
def next_batch_under_way(index: CreatorIndex) -> Iterator[None]:
    """An import's next batch (one creator from Lyon) held mid-write on another thread."""
    writing, finish = threading.Event(), threading.Event()

    def hold_the_batch(done: int, total: int) -> None:
        writing.set()
        finish.wait(timeout=30)

    next_batch = [Creator(handle="lyonloaf", followers=3_000, country="FR", bio="Lyon bakes")]
    writer = threading.Thread(
        target=index.upsert, args=(next_batch,), kwargs={"progress": hold_the_batch}
    )
    writer.start()
    try:
        assert writing.wait(timeout=30)
        yield
    finally:
        finish.set()
        writer.join()


def test_during_an_import_the_recommender_answers_with_its_table_while_a_newer_one_is_built(
    tmp_path: Path, embedder: Embedder
) -> None:
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        index.upsert(ROSTER)
        gated = GatedRows(index)
        engine = Recommender(cast(RosterIndex, gated), DEFAULT_SCHEME, embedder)
        assert engine.recommend(BRIEF).picks == []
        index.upsert([NEWCOMER])  # one batch of an import, committed
        gated.gate.clear()
        try:
            with next_batch_under_way(index):
                # Answered from the table in hand, not held up by the rebuild it started.
                assert engine.recommend(BRIEF).picks == []
                assert gated.waiting.wait(timeout=10)
                gated.gate.set()
                assert eventually(
                    lambda: [pick.key for pick in engine.recommend(BRIEF).picks] == [NEWCOMER.key]
                )
        finally:
            gated.gate.set()


def test_a_slow_roster_table_is_not_rebuilt_after_every_batch_of_an_import(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 450,000 creators a table takes seconds to build and every batch moves the revision: a
    reader rebuilding after each would spend a core on it. Spacing as if the last build were slow,
    calls during a write answer from the table in hand and start no rebuild; once the import is
    over, the next call sees every creator."""
    monkeypatch.setattr(retrieval.engine.recommender, "REBUILD_SPACING", 1e9)
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        index.upsert(ROSTER)
        counted = CountedRows(index)
        engine = Recommender(cast(RosterIndex, counted), DEFAULT_SCHEME, embedder)
        assert engine.recommend(BRIEF).picks == []
        index.upsert([NEWCOMER])  # one batch of an import, committed
        with next_batch_under_way(index):
            for _ in range(3):
                assert engine.recommend(BRIEF).picks == []
            assert counted.reads == 1
        assert [pick.key for pick in engine.recommend(BRIEF).picks] == [NEWCOMER.key]
        assert counted.reads == 2


class CountedRows:
    """The real index, counting how often the roster's rows are read (one read per table)."""

    def __init__(self, index: CreatorIndex) -> None:
        self.index = index
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)

    def roster_rows(self) -> Iterator[RosterRow]:
        self.reads += 1
        return self.index.roster_rows()


def test_an_import_is_under_way_between_its_batches_and_not_after_it(
    tmp_path: Path, embedder: Embedder
) -> None:
    """A bot asked between two batches of an import answers from its table instead of waiting
    for a rebuild: the import's lease lasts from its first batch to its last, not a write."""
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        assert not index.write_under_way()
        batches = index.upsert_batches([ROSTER[:6], ROSTER[6:]])
        first = next(batches)  # the first batch committed; nothing in flight
        assert first.added_count == 6 and index.count() == 6
        assert index.write_under_way()
        assert [report.added_count for report in batches] == [6]
        assert not index.write_under_way()
        assert index.count() == 12


@pytest.mark.server
def test_a_reader_that_looked_just_before_the_next_batch_does_not_rebuild(
    server_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race a 450,000-row import hit: a reader fetched the collection's revision, then the
    importer committed another batch (catalog and lease moved on) before the reader compared.
    It rebuilt the whole catalog, holding it for minutes, and the import's next write failed
    with 'database is locked'. The catalog mirrored that revision: no rebuild."""
    writer = server_store.open()
    writer.upsert(ROSTER[:6])
    reader = server_store.open()
    reader.revision_check_interval = 3600  # the test drives the reader's check itself
    rebuilds = Rebuilds(monkeypatch)
    looked = reader._fresh_collection

    def look_then_the_next_batch_lands() -> Any:
        collection = looked()  # the revision as it was...
        writer.upsert(ROSTER[6:])  # ...then the import's next batch is committed here
        return collection

    monkeypatch.setattr(reader, "_fresh_collection", look_then_the_next_batch_lands)
    reader._sync(force=True)
    assert rebuilds.count == 0
    assert reader.count() == len(ROSTER)

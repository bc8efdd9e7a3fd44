"""Two processes sharing a catalog when one rebuilds it from Chroma (one write transaction of
minutes at 400,000 creators from a server): the other waits for that rebuild and says so,
instead of failing with SQLite's "database is locked" after 30 s; a rebuilder that died is not
waited for; and a write that still waits too long is told who holds the catalog."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import retrieval.store.catalog
from retrieval.ports import Embedder
from retrieval.roster.creator import Creator
from retrieval.store.catalog import Catalog, CatalogBusyError
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME
from tests.conftest import REPO
from tests.support.chroma_server import chroma_server  # noqa: F401 (a pytest fixture)
from tests.support.waiting import eventually

pytest_plugins = ("tests.support.fixtures_recommend",)

ROSTER = [
    Creator(handle=f"potter{n}", followers=3_000 + n, country="DE", bio=f"Stoneware mugs {n}")
    for n in range(6)
]
#: Another process holding the catalog's write lock, as a rebuild (announced, see
#: ``Catalog.replace_all``) or as an import's write (under its lease): it prints "holding" and
#: holds the lock until the release file appears ("die": it is killed).
HOLDER = """
import os, signal, sqlite3, sys, time
from pathlib import Path
from retrieval.store.catalog import Catalog

path, release, by = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

def held():
    print("holding", flush=True)
    while not release.exists():
        time.sleep(0.05)
    if release.read_text() == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    yield from ()

catalog = Catalog(path)
if by == "rebuild":
    catalog.replace_all(held(), "a-revision-the-collection-never-had")
else:
    catalog.take_lease(["an-import-batch"])
    writing = sqlite3.connect(path, isolation_level=None)
    writing.execute("BEGIN IMMEDIATE")
    list(held())
"""
#: Longer than the busy time these tests give SQLite (``BUSY_SECONDS``).
HELD_SECONDS = 2.5


@pytest.fixture
def data_dir(tmp_path: Path, embedder: Embedder) -> Path:
    """An embedded store holding ``ROSTER``, closed, with its catalog file."""
    data = tmp_path / "data"
    with CreatorIndex.open(data, embedder, DEFAULT_SCHEME) as index:
        index.upsert(ROSTER)
    return data


@pytest.fixture
def stale_catalog(data_dir: Path) -> Path:
    """The store's catalog emptied and marked as mirroring a revision the collection never had,
    as another machine's writes leave it: the next process to open the store rebuilds it."""
    catalog_path = data_dir / "catalog.sqlite3"
    catalog = Catalog(catalog_path)
    catalog.replace_all([], "stale")
    catalog.close()
    return catalog_path


@contextmanager
def held_elsewhere(catalog_path: Path, tmp_path: Path, by: str = "rebuild") -> Iterator[Path]:
    """A live process rebuilding ``catalog_path`` (or, ``by="import"``, writing to it under an
    import's lease); write ``"done"`` or ``"die"`` to the yielded file to end it."""
    release = tmp_path / "release"
    command = [sys.executable, "-c", HOLDER, str(catalog_path), str(release), by]
    holder = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        yield release
    finally:
        if not release.exists():
            release.write_text("done")
        holder.wait(timeout=60)


def said(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    """What ``logger`` warned while ``caplog`` listened."""
    return [record.getMessage() for record in caplog.records if record.name == logger]


def release_after(release: Path, seconds: float, how: str) -> None:
    threading.Timer(seconds, release.write_text, args=(how,)).start()


@pytest.fixture(autouse=True)
def short_busy_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrieval.store.catalog, "BUSY_SECONDS", 0.5)


def reopened(
    data_dir: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> tuple[float, list[str]]:
    """Open the store as the next command would and check it holds the roster: the seconds
    opening took, and the warnings it gave."""
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="retrieval.store.index"),
        CreatorIndex.open(data_dir, embedder, DEFAULT_SCHEME) as index,
    ):
        seconds = time.monotonic() - started
        assert index.count() == len(ROSTER)
    return seconds, said(caplog, "retrieval.store.index")


def test_a_rebuild_in_another_process_is_waited_for_and_said(
    stale_catalog: Path, tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    with held_elsewhere(stale_catalog, tmp_path) as release:
        release_after(release, HELD_SECONDS, "done")
        # The other rebuild mirrors a revision the collection never had: rebuilt again here.
        waited, warnings = reopened(stale_catalog.parent, embedder, caplog)
    assert waited >= HELD_SECONDS - 0.2  # well past SQLite's busy time, without failing
    assert len(warnings) == 1
    assert "Another Storyfit process (pid" in warnings[0]
    assert "rebuilding the creator catalog from Chroma since" in warnings[0]


def test_a_rebuilder_that_died_is_not_waited_for(
    stale_catalog: Path, tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    with held_elsewhere(stale_catalog, tmp_path) as release:
        release.write_text("die")
    catalog = Catalog(stale_catalog)
    left = catalog.rebuild_under_way()
    catalog.close()
    assert left is not None and not left.holder_alive()  # the killed rebuilder's mark
    took, warnings = reopened(stale_catalog.parent, embedder, caplog)
    assert took < 20  # it would wait for ever on a dead rebuilder's mark
    assert warnings == []
    catalog = Catalog(stale_catalog)
    assert catalog.rebuild_under_way() is None  # rebuilt here: the dead one's mark is gone
    catalog.close()


def test_a_catalog_opened_while_another_process_holds_it_is_read_not_thrown_away(
    data_dir: Path, tmp_path: Path
) -> None:
    """Opening used to take the write lock to check the schema, and took "database is locked"
    for a damaged file: the catalog was deleted under the rebuilding process."""
    catalog_path = data_dir / "catalog.sqlite3"
    with held_elsewhere(catalog_path, tmp_path) as release:
        catalog = Catalog(catalog_path)
        try:
            assert catalog.count() == len(ROSTER)  # what was committed before the rebuild
        finally:
            catalog.close()
        release.write_text("die")
    catalog = Catalog(catalog_path)
    assert catalog.count() == len(ROSTER)
    catalog.close()


def test_a_write_waits_for_a_rebuild_elsewhere_then_goes_through(
    data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An import's next batch must not fail because a reader began rebuilding the shared catalog
    (the 450,000-row import died of it: "database is locked" after 30 s)."""
    catalog_path = data_dir / "catalog.sqlite3"
    catalog = Catalog(catalog_path)
    try:
        with (
            held_elsewhere(catalog_path, tmp_path) as release,
            caplog.at_level(logging.WARNING, logger="retrieval.store.catalog"),
        ):
            release_after(release, HELD_SECONDS, "done")
            started = time.monotonic()
            catalog.set_revision("after-the-rebuild")
            waited = time.monotonic() - started
        assert waited >= HELD_SECONDS - 0.2
        assert catalog.revision == "after-the-rebuild"
        [warning] = said(caplog, "retrieval.store.catalog")
        assert "has been rebuilding the creator catalog" in warning
        assert warning.endswith("this write waits for it.")
    finally:
        catalog.close()


def test_a_write_held_up_past_the_busy_time_says_who_holds_the_catalog(
    data_dir: Path, tmp_path: Path
) -> None:
    catalog_path = data_dir / "catalog.sqlite3"
    catalog = Catalog(catalog_path)
    try:
        revision = catalog.revision
        with held_elsewhere(catalog_path, tmp_path, by="import") as release:
            with pytest.raises(CatalogBusyError) as busy:
                catalog.set_revision("another")
            release.write_text("die")
        message = str(busy.value)
        assert message.startswith(f"The creator catalog {catalog_path} stayed locked for 0.5 s:")
        assert "Storyfit process" in message and "is writing to it (an import)" in message
        assert message.endswith("Nothing was changed; try again when it has finished.")
        assert catalog.revision == revision
        assert catalog.count() == len(ROSTER)
    finally:
        catalog.close()


@pytest.mark.server
def test_closing_an_index_ends_its_wait_for_a_rebuild_elsewhere(
    tmp_path: Path,
    embedder: Embedder,
    chroma_server: str,  # noqa: F811 (the fixture)
    caplog: pytest.LogCaptureFixture,
) -> None:
    data, collection = tmp_path / "data", f"test-{uuid.uuid4().hex[:12]}"
    writer = CreatorIndex.open(
        data, embedder, DEFAULT_SCHEME, chroma_url=chroma_server, collection=collection
    )
    reader = CreatorIndex.open(
        data, embedder, DEFAULT_SCHEME, chroma_url=chroma_server, collection=collection
    )
    assert reader._refresher is not None
    refresher = reader._refresher.ident

    def reader_waits() -> bool:
        return any(
            record.thread == refresher and "waiting for it to finish" in record.getMessage()
            for record in caplog.records
        )

    try:
        writer.upsert(ROSTER)
        catalog_path = next(data.glob("catalog-*.sqlite3"))
        with (
            caplog.at_level(logging.WARNING, logger="retrieval.store.index"),
            held_elsewhere(catalog_path, tmp_path) as release,
        ):
            writer._stamp_revision("moved-by-another-machine")  # the reader's refresher follows
            assert eventually(reader_waits)
            started = time.monotonic()
            reader.close()
            assert time.monotonic() - started < 2  # not REFRESHER_STOP_TIMEOUT, not the rebuild
            release.write_text("die")
    finally:
        reader.close()
        writer.close()

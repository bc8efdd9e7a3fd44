"""The local catalog: a SQLite mirror of the indexed creators, with an FTS5 lexical index.

Chroma holds the truth; the catalog is a cache that can always be rebuilt from it. It answers the
lookups Chroma is slow or unable to answer (handles, tier counts, BM25 over bios, the candidates'
vectors) and remembers the collection revision it mirrors, so a stale or missing catalog is
noticed and rebuilt.

A creator's vector (kept for the embedded store, see ``index.py``) is stored with the embed hash
of the record it was written with and is read only while the creator's row has that hash, so a
vector never outlives its bio; a creator without one is read from Chroma.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from retrieval.errors import StoryfitError
from retrieval.ports import RosterRow
from retrieval.roster.creator import Creator

#: Bump when the tables change: an old catalog is then dropped and rebuilt from Chroma.
SCHEMA_VERSION = 3
log = logging.getLogger(__name__)

#: The largest follower count a catalog row holds (SQLite's INTEGER is a signed 64-bit number).
MAX_FOLLOWERS = 2**63 - 1
#: Bytes the write-ahead log keeps on disk between writes.
_WAL_SIZE_LIMIT = 64 * 1024 * 1024
#: Revisions a catalog remembers having mirrored (``Catalog.has_mirrored``): an import commits a
#: batch every few seconds, a reader's look at the collection is older by a round trip at most.
RECENT_REVISIONS = 64
#: Seconds a write waits for another process's write to end before ``CatalogBusyError``; a
#: catalog rebuild in another process is waited for in full instead (``rebuild_under_way``).
BUSY_SECONDS = 30.0
#: Rows per statement when looking up many keys (SQLite caps bound parameters).
_KEYS_PER_QUERY = 500
#: Query words kept for a lexical search; a longer brief adds noise, not recall.
_MAX_QUERY_WORDS = 64
_QUERY_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_VECTORS_TABLE = (
    "CREATE TABLE vectors (id INTEGER PRIMARY KEY, embed_hash TEXT NOT NULL, vector BLOB NOT NULL)"
)
_SCHEMA = f"""
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE creators (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    handle TEXT NOT NULL,
    handle_folded TEXT NOT NULL,
    followers INTEGER NOT NULL,
    tier TEXT NOT NULL,
    record TEXT NOT NULL,
    record_hash TEXT NOT NULL,
    embed_hash TEXT NOT NULL
);
{_VECTORS_TABLE};
CREATE TABLE skipped (key TEXT PRIMARY KEY, reason TEXT NOT NULL);
CREATE INDEX creators_handle ON creators (handle_folded);
CREATE INDEX creators_tier ON creators (tier);
CREATE VIRTUAL TABLE creators_text USING fts5 (
    bio, name, topics, tokenize = 'unicode61 remove_diacritics 2'
);
"""
#: Indexes added after a schema version: created in place, so no catalog is rebuilt for them.
_ADDED_INDEXES = {
    "creators_by_followers": "CREATE INDEX IF NOT EXISTS creators_by_followers"
    " ON creators (followers, key)",
}
#: Older versions a catalog can be brought to ``SCHEMA_VERSION`` from in place, keeping its rows.
#: Version 2 lacks only the vectors table.
_IN_PLACE_UPGRADES = {2: _VECTORS_TABLE}
_DROP = """
DROP TABLE IF EXISTS skipped;
DROP TABLE IF EXISTS vectors;
DROP TABLE IF EXISTS creators_text;
DROP TABLE IF EXISTS creators;
DROP TABLE IF EXISTS meta;
"""


class CatalogEntry(NamedTuple):
    """One indexed creator as both stores keep it."""

    creator: Creator
    tier: str
    record_hash: str
    embed_hash: str


class SkippedRecord(NamedTuple):
    """A Chroma record the catalog cannot hold (unreadable, or a count past ``MAX_FOLLOWERS``)."""

    key: str
    reason: str


class StoredPage(NamedTuple):
    """One page of Chroma records read for a rebuild: those the catalog holds, those it skips,
    and the vectors Chroma sent, by key."""

    entries: list[CatalogEntry]
    skipped: list[SkippedRecord]
    vectors: Mapping[str, npt.NDArray[np.float32]] | None = None


class CreatorFilter(NamedTuple):
    """Which creators a listing keeps: each set field must match (canonical values)."""

    tier: str | None = None
    platform: str | None = None
    country: str | None = None

    def sql(self) -> tuple[str, list[str]]:
        """A ``WHERE`` condition on ``creators`` and its parameters (``1`` when nothing is set)."""
        columns = {
            "tier": "tier",
            "platform": "platform",
            "country": "json_extract(record, '$.country')",
        }
        chosen = [(columns[name], value) for name, value in self._asdict().items() if value]
        condition = " AND ".join(f"{column} = ?" for column, _ in chosen)
        return condition or "1", [value for _, value in chosen]


class WriterLease(NamedTuple):
    """A process on some host that writes to the collection and keeps this catalog up to date as
    it goes: the revisions it stamps on the collection during its write, taken before the first
    stamp and released with the catalog's new revision."""

    revisions: tuple[str, ...]
    pid: int
    host: str
    started: str | None

    def explains(self, revision: str) -> bool:
        """True when ``revision`` is one this lease's writer stamps and that writer is alive on
        this host: the catalog then holds every batch it has committed."""
        return revision in self.revisions and self.holder_alive()

    def holder_alive(self) -> bool:
        """True when the writer runs on this host and is still alive (its pid not reused)."""
        return _alive_here(self.pid, self.host, self.started)


class RebuildUnderWay(NamedTuple):
    """A process rebuilding this catalog from Chroma now (``Catalog.replace_all``): one long
    transaction, minutes for a large collection from a server (~14 min at 400,000 creators)."""

    pid: int
    host: str
    started: str | None
    since: float

    def holder_alive(self) -> bool:
        """True when the rebuilder runs on this host and is still alive (its pid not reused)."""
        return _alive_here(self.pid, self.host, self.started)

    def began(self) -> str:
        """The local time the rebuild began (``HH:MM:SS``)."""
        return time.strftime("%H:%M:%S", time.localtime(self.since))


class CatalogBusyError(StoryfitError):
    """Another process held the catalog's write lock for longer than this one would wait."""


class StoredHashes(NamedTuple):
    record_hash: str
    embed_hash: str


def fold_handle(handle: str) -> str:
    """The form handles are compared in: no surrounding blanks, no leading ``@``, case-folded."""
    return handle.strip().lstrip("@").casefold()


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression OR-ing the words of ``query``, or None when it has no words.

    Every word is quoted, so user text (quotes, ``AND``, ``*``, ``NEAR(``, emoji) is never syntax.
    """
    words = dict.fromkeys(word.casefold() for word in _QUERY_WORD.findall(query))
    if not words:
        return None
    return " OR ".join(f'"{word}"' for word in list(words)[:_MAX_QUERY_WORDS])


class Catalog:
    """The SQLite file beside (or instead of) the embedded Chroma store; safe across threads."""

    def __init__(
        self, path: Path, *, upgrade_in_place: bool = False, busy_seconds: float | None = None
    ) -> None:
        """``upgrade_in_place``: an older catalog keeps its rows where an upgrade allows it
        (``_IN_PLACE_UPGRADES``) instead of being emptied to be rebuilt. ``busy_seconds``: how
        long a write waits for another process's write before ``CatalogBusyError``."""
        self.path = path
        self._upgrade_in_place = upgrade_in_place
        self._busy_seconds = BUSY_SECONDS if busy_seconds is None else busy_seconds
        self._lock = threading.RLock()
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            db = self._open_schema()
        except sqlite3.DatabaseError as error:
            if _is_busy(error):  # another process writes it (a rebuild: minutes); not damage
                raise CatalogBusyError(
                    f"The creator catalog {self.path} stayed locked for"
                    f" {self._busy_seconds:g} s while this process needed to upgrade it: another"
                    " Storyfit process is writing to it. Nothing was changed; try again when it"
                    " has finished."
                ) from None
            # A cache that cannot be read is rebuilt, not repaired.
            _remove_files(self.path)
            db = self._open_schema()
        return db

    def _open_schema(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, check_same_thread=False, timeout=self._busy_seconds, isolation_level=None
        )
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            # A rebuild writes the whole catalog in one transaction (~500 MB of vectors at
            # 100,000 creators): the write-ahead log goes back to this size once checkpointed.
            db.execute(f"PRAGMA journal_size_limit = {_WAL_SIZE_LIMIT}")
            # Looked at first without the write lock: another process may hold it for minutes
            # (a rebuild) while this one only needs to read a catalog that is already current.
            if not _schema_current(db):
                with _transaction(db):
                    self._upgrade_schema(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _upgrade_schema(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            upgrade = _IN_PLACE_UPGRADES.get(version) if self._upgrade_in_place else None
            for statement in (upgrade or _DROP + _SCHEMA).split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        for statement in _ADDED_INDEXES.values():
            db.execute(statement)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._lock, _transaction(self._db, begin=self._begin_write):
            yield

    def _begin_write(self) -> None:
        """Take SQLite's write lock, waiting ``busy_seconds`` for another process's write, and
        for as long as it takes while another live process here rebuilds the catalog (one
        transaction of minutes): an import must not fail because a reader rebuilt."""
        told = False
        while True:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                rebuild = self.rebuild_elsewhere()
                if rebuild is None:
                    raise self._busy_error() from None
                if not told:
                    log.warning(
                        "Storyfit process %d has been rebuilding the creator catalog %s from"
                        " Chroma since %s; this write waits for it.",
                        rebuild.pid,
                        self.path,
                        rebuild.began(),
                    )
                    told = True

    def _busy_error(self) -> CatalogBusyError:
        """What to tell a user whose write waited ``busy_seconds`` for another process's."""
        rebuild, lease = self.rebuild_elsewhere(), self.lease()
        if rebuild is not None:
            holder = (
                f"Storyfit process {rebuild.pid} has been rebuilding it from Chroma since"
                f" {rebuild.began()}"
            )
        elif lease is not None and lease.holder_alive():
            holder = f"Storyfit process {lease.pid} is writing to it (an import)"
        else:
            holder = "another process is writing to it"
        return CatalogBusyError(
            f"The creator catalog {self.path} stayed locked for {self._busy_seconds:g} s:"
            f" {holder}. Nothing was changed; try again when it has finished."
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def delete(self) -> None:
        """Close the catalog and remove its files."""
        self.close()
        _remove_files(self.path)

    # -- revision ---------------------------------------------------------------------------

    @property
    def revision(self) -> str | None:
        """The collection revision this catalog mirrors; None when it mirrors none."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def set_revision(self, revision: str | None, *, keep_lease: bool = False) -> None:
        """Mark the catalog as mirroring ``revision``, ending this process's write lease unless
        ``keep_lease`` (more writes of one import follow: see ``end_lease``)."""
        with self._writing():
            self._mark_mirrored(revision, earlier=self._mirrored())
            if not keep_lease:
                self._drop_own_lease()

    def has_mirrored(self, revision: str) -> bool:
        """True when this catalog has mirrored the collection at ``revision``, now or since its
        last rebuild (one of the ``RECENT_REVISIONS`` latest): it holds what the collection held
        then, plus the writes made through it after. A reader that saw the collection at
        ``revision`` just before a writer here committed another batch must not rebuild (it did,
        on a 450,000-row import: its rebuild held the catalog for minutes, failing the import's
        next write with 'database is locked')."""
        with self._lock:
            return revision in self._mirrored()

    def _mirrored(self) -> list[str]:
        row = self._db.execute("SELECT value FROM meta WHERE name = 'mirrored'").fetchone()
        try:
            return [str(revision) for revision in json.loads(row[0])]
        except (TypeError, ValueError):  # none yet, or not a list this version wrote
            return []

    def _mark_mirrored(self, revision: str | None, earlier: list[str]) -> None:
        """The catalog now mirrors ``revision`` after ``earlier`` (the revisions it mirrored
        before, since its last rebuild); None: it mirrors nothing known, and forgets them all."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('revision', ?)", (revision,))
        mirrored = [] if revision is None else [*earlier, revision][-RECENT_REVISIONS:]
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('mirrored', ?)", (json.dumps(mirrored),)
        )

    def end_lease(self) -> None:
        """End this process's write lease, if it holds one."""
        with self._writing():
            self._drop_own_lease()

    def _drop_own_lease(self) -> None:
        self._drop_own_mark("writer")

    def _drop_own_mark(self, name: str) -> None:
        self._db.execute(
            "DELETE FROM meta WHERE name = ? AND json_extract(value, '$.pid') = ?",
            (name, os.getpid()),
        )

    def take_lease(self, revisions: Sequence[str]) -> None:
        """Tell other processes sharing this catalog that this one is about to stamp
        ``revisions`` on the collection and keeps the catalog up to date while it writes."""
        self._mark("writer", revisions=list(revisions))

    def lease(self) -> WriterLease | None:
        """The lease of the process writing through this catalog, if one holds it."""
        held = self._marked("writer")
        try:
            revisions = tuple(str(revision) for revision in held["revisions"])
            return WriterLease(revisions, *_holder(held))
        except (TypeError, ValueError, KeyError):  # none, or not one this version wrote
            return None

    def _mark(self, name: str, **fields: Any) -> None:
        """Record in ``meta`` under ``name`` that this process (pid, host, start) is at it."""
        pid = os.getpid()
        mark = {"pid": pid, "host": socket.gethostname(), "started": _process_start(pid)}
        with self._writing():
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, json.dumps(mark | fields))
            )

    def _marked(self, name: str) -> Any:
        """The mark ``_mark`` recorded under ``name``, as JSON; None when there is none."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        try:
            return None if row is None else json.loads(row[0])
        except ValueError:  # not JSON this version wrote
            return None

    def replace_all(self, pages: Iterable[StoredPage], revision: str) -> None:
        """Empty the catalog, fill it from ``pages`` and mark it as mirroring ``revision``.

        One transaction, which holds SQLite's write lock for as long as ``pages`` take (minutes
        from a large server collection); it is announced first (``rebuild_under_way``) so that
        another process sharing the file waits for it instead of failing on the lock."""
        self._mark("rebuilding", since=time.time())
        try:
            with self._writing():
                for table in ("creators", "creators_text", "vectors", "skipped"):
                    self._db.execute(f"DELETE FROM {table}")
                for page in pages:
                    self._write(page.entries, page.vectors or {})
                    self._db.executemany(
                        "INSERT OR REPLACE INTO skipped VALUES (?, ?)", page.skipped
                    )
                self._mark_mirrored(revision, earlier=[])
                self._drop_own_mark("rebuilding")
        except BaseException:
            with suppress(sqlite3.Error), self._writing():
                self._drop_own_mark("rebuilding")
            raise

    def rebuild_under_way(self) -> RebuildUnderWay | None:
        """The rebuild announced by ``replace_all`` that has not ended, if any (its process may
        have died since: see ``RebuildUnderWay.holder_alive``)."""
        held = self._marked("rebuilding")
        try:
            return RebuildUnderWay(*_holder(held), since=float(held["since"]))
        except (TypeError, ValueError, KeyError):  # none, or not one this version wrote
            return None

    def rebuild_elsewhere(self) -> RebuildUnderWay | None:
        """The rebuild under way in another live process on this machine, if any: worth waiting
        for (a dead rebuilder's transaction was rolled back; this process's own is not)."""
        rebuild = self.rebuild_under_way()
        if rebuild is None or rebuild.pid == os.getpid() or not rebuild.holder_alive():
            return None
        return rebuild

    # -- writes -----------------------------------------------------------------------------

    def put(
        self,
        entries: Sequence[CatalogEntry],
        vectors: Mapping[str, npt.NDArray[np.float32]] | None = None,
    ) -> None:
        """Insert or replace ``entries`` in one transaction, with their ``vectors`` (by key, as
        Chroma holds them) when given; a creator without one keeps the vector its embed hash
        had, if any."""
        with self._writing():
            self._write(entries, vectors or {})

    def _write(
        self, entries: Sequence[CatalogEntry], vectors: Mapping[str, npt.NDArray[np.float32]]
    ) -> None:
        for entry in entries:
            creator = entry.creator
            self._db.execute("DELETE FROM skipped WHERE key = ?", (creator.key,))
            (row_id,) = self._db.execute(
                "INSERT INTO creators (key, platform, handle, handle_folded, followers, tier,"
                " record, record_hash, embed_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET platform = excluded.platform,"
                " handle = excluded.handle, handle_folded = excluded.handle_folded,"
                " followers = excluded.followers, tier = excluded.tier,"
                " record = excluded.record, record_hash = excluded.record_hash,"
                " embed_hash = excluded.embed_hash RETURNING id",
                (
                    creator.key,
                    creator.platform,
                    creator.handle,
                    fold_handle(creator.handle),
                    creator.followers,
                    entry.tier,
                    creator.model_dump_json(),
                    entry.record_hash,
                    entry.embed_hash,
                ),
            ).fetchone()
            self._db.execute("DELETE FROM creators_text WHERE rowid = ?", (row_id,))
            self._db.execute(
                "INSERT INTO creators_text (rowid, bio, name, topics) VALUES (?, ?, ?, ?)",
                (row_id, creator.bio, creator.name or "", " ".join(creator.topics)),
            )
            vector = vectors.get(creator.key)
            if vector is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                    (row_id, entry.embed_hash, _float32_bytes(vector)),
                )

    def remove(self, keys: Sequence[str]) -> list[str]:
        """Delete the creators ``keys`` (and any skipped record of theirs); return those held."""
        held = [key for (key,) in self._rows_for_keys("key", keys)]
        with self._writing():
            for start in range(0, len(keys), _KEYS_PER_QUERY):
                part = list(keys[start : start + _KEYS_PER_QUERY])
                marks = ", ".join("?" * len(part))
                for table, column in (("creators_text", "rowid"), ("vectors", "id")):
                    self._db.execute(
                        f"DELETE FROM {table} WHERE {column} IN "
                        f"(SELECT id FROM creators WHERE key IN ({marks}))",
                        part,
                    )
                self._db.execute(f"DELETE FROM creators WHERE key IN ({marks})", part)
                self._db.execute(f"DELETE FROM skipped WHERE key IN ({marks})", part)
        return held

    def set_tiers(self, tiers: dict[str, str]) -> None:
        """Set the tier of each key in ``tiers`` (key -> tier name)."""
        with self._writing():
            self._db.executemany(
                "UPDATE creators SET tier = ? WHERE key = ?",
                [(tier, key) for key, tier in tiers.items()],
            )

    # -- reads ------------------------------------------------------------------------------

    def skipped(self) -> list[SkippedRecord]:
        """The records of the collection this catalog left out, by key."""
        with self._lock:
            rows = self._db.execute("SELECT key, reason FROM skipped ORDER BY key").fetchall()
        return [SkippedRecord(key, reason) for key, reason in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM creators").fetchone()[0])

    def hashes(self, keys: Sequence[str]) -> dict[str, StoredHashes]:
        rows = self._rows_for_keys("key, record_hash, embed_hash", keys)
        return {key: StoredHashes(record_hash, embed_hash) for key, record_hash, embed_hash in rows}

    def followers_by_key(self) -> dict[str, tuple[int, str]]:
        """Every key with its follower count and stored tier."""
        with self._lock:
            rows = self._db.execute("SELECT key, followers, tier FROM creators").fetchall()
        return {key: (followers, tier) for key, followers, tier in rows}

    def get_many(self, keys: Sequence[str]) -> dict[str, Creator]:
        rows = self._rows_for_keys("key, record", keys)
        return {key: Creator.model_validate_json(record) for key, record in rows}

    def vectors(self, keys: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The vector kept for each of ``keys`` whose record still has the vector's embed hash."""
        rows = self._rows_for_keys(
            "creators.key, vectors.vector",
            keys,
            join="JOIN vectors ON vectors.id = creators.id"
            " AND vectors.embed_hash = creators.embed_hash",
        )
        return {key: np.frombuffer(vector, dtype=np.float32) for key, vector in rows}

    def _rows_for_keys(
        self, columns: str, keys: Sequence[str], join: str = ""
    ) -> list[tuple[Any, ...]]:
        unique = list(dict.fromkeys(keys))
        rows: list[tuple[Any, ...]] = []
        with self._lock:
            for start in range(0, len(unique), _KEYS_PER_QUERY):
                part = unique[start : start + _KEYS_PER_QUERY]
                marks = ", ".join("?" * len(part))
                rows += self._db.execute(
                    f"SELECT {columns} FROM creators {join} WHERE creators.key IN ({marks})", part
                ).fetchall()
        return rows

    def find_handle(self, handle: str) -> list[Creator]:
        with self._lock:
            rows = self._db.execute(
                "SELECT record FROM creators WHERE handle_folded = ? ORDER BY platform",
                (fold_handle(handle),),
            ).fetchall()
        return [Creator.model_validate_json(record) for (record,) in rows]

    def handles(self) -> list[str]:
        """Every distinct handle, as first written."""
        with self._lock:
            rows = self._db.execute(
                "SELECT min(handle) FROM creators GROUP BY handle_folded"
            ).fetchall()
        return [handle for (handle,) in rows]

    def tier_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT tier, count(*) FROM creators GROUP BY tier").fetchall()
        return {tier: int(count) for tier, count in rows}

    def iter_creators(self, page_size: int = 1000) -> Iterator[Creator]:
        """Every creator in key order, read a page at a time (safe to interleave with writes)."""
        for _, record in self._in_key_order("record", page_size):
            yield Creator.model_validate_json(record)

    def roster_rows(self, page_size: int = 10_000) -> Iterator[RosterRow]:
        """Every creator's ``RosterRow`` in key order, straight from SQL (no record is parsed:
        ~3x faster than reading creators), a page at a time."""
        columns = (
            "followers, platform,"
            " coalesce(json_extract(record, '$.country'), ''),"
            " coalesce(json_extract(record, '$.language'), ''),"
            " json_extract(record, '$.engagement_rate'),"
            # A stored bio is stripped (``Creator``): it has words or is empty.
            " coalesce(json_extract(record, '$.bio'), '') != ''"
        )
        for key, followers, platform, country, language, rate, has_bio in self._in_key_order(
            columns, page_size
        ):
            rate = None if rate is None else float(rate)
            yield RosterRow(key, followers, platform, country, language, rate, bool(has_bio))

    def _in_key_order(self, columns: str, page_size: int) -> Iterator[tuple[Any, ...]]:
        """``(key, *columns)`` of every creator in key order, a page per query (each page read
        under the lock, so writes can interleave between pages)."""
        after = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    f"SELECT key, {columns} FROM creators WHERE key > ? ORDER BY key LIMIT ?",
                    (after, page_size),
                ).fetchall()
            if not rows:
                return
            yield from rows
            after = rows[-1][0]

    def platforms(self) -> list[str]:
        """Every platform on the roster, alphabetically."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT platform FROM creators ORDER BY 1").fetchall()
        return [platform for (platform,) in rows]

    def extra_columns(self) -> list[str]:
        """The extra columns any creator holds, alphabetically."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT extra.key FROM creators, json_each(creators.record, '$.extra')"
                " AS extra ORDER BY 1"
            ).fetchall()
        return [column for (column,) in rows]

    def count_matching(self, where: CreatorFilter) -> int:
        condition, parameters = where.sql()
        with self._lock:
            row = self._db.execute(
                f"SELECT count(*) FROM creators WHERE {condition}", parameters
            ).fetchone()
        return int(row[0])

    def by_followers(
        self, where: CreatorFilter, limit: int | None = None, page_size: int = 1000
    ) -> Iterator[Creator]:
        """The creators ``where`` keeps, most followers first (ties by key, descending), read a
        page at a time; at most ``limit`` of them."""
        condition, parameters = where.sql()
        after: tuple[int, str] | None = None
        left = limit
        while left is None or left > 0:
            page = page_size if left is None else min(page_size, left)
            # A row-value bound: SQLite seeks the (followers, key) index straight to the page.
            after_clause = " AND (followers, key) < (?, ?)" if after else ""
            with self._lock:
                rows = self._db.execute(
                    f"SELECT followers, key, record FROM creators WHERE {condition}"
                    f"{after_clause} ORDER BY followers DESC, key DESC LIMIT ?",
                    [*parameters, *(after or ()), page],
                ).fetchall()
            if not rows:
                return
            for _, _, record in rows:
                yield Creator.model_validate_json(record)
            after = (rows[-1][0], rows[-1][1])
            left = None if left is None else left - len(rows)

    def lexical_search(self, query: str, n: int) -> list[tuple[str, float]]:
        """``(key, positive BM25)`` for the ``n`` best matches, best first."""
        expression = match_expression(query)
        if expression is None or n <= 0:
            return []
        # The best n first, then their keys: joining every match before the sort cost ~40%
        # more at 100,000 creators (same rows, same order).
        with self._lock:
            rows = self._db.execute(
                "SELECT creators.key, hits.score FROM (SELECT rowid, -bm25(creators_text) AS score"
                " FROM creators_text WHERE creators_text MATCH ? ORDER BY score DESC LIMIT ?)"
                " AS hits JOIN creators ON creators.id = hits.rowid ORDER BY hits.score DESC",
                (expression, n),
            ).fetchall()
        return [(key, float(score)) for key, score in rows]


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (Linux), so that a lease is not
    taken over by a new process given a dead writer's pid; ``None`` where /proc has no answer."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else None


def _schema_current(db: sqlite3.Connection) -> bool:
    """True when the catalog has this version's schema and every index added since."""
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        return False
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return indexes.issuperset(_ADDED_INDEXES)


def _is_busy(error: sqlite3.Error) -> bool:
    """True for SQLite's "database is locked": another connection holds the lock it waited for."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _holder(held: Any) -> tuple[int, str, str | None]:
    """``(pid, host, started)`` of a mark ``Catalog._mark`` recorded."""
    started = held["started"]
    return int(held["pid"]), str(held["host"]), None if started is None else str(started)


def _alive_here(pid: int, host: str, started: str | None) -> bool:
    """True when process ``pid`` runs on this host and is the one that started at ``started``."""
    return host == socket.gethostname() and _process_start(pid) == started and _is_alive(pid)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True


def _float32_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _remove_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def _transaction(db: sqlite3.Connection, begin: Callable[[], None] | None = None) -> Iterator[None]:
    """One write transaction, taking SQLite's write lock up front (several processes may share);
    ``begin`` takes it when given (``BEGIN IMMEDIATE`` with the connection's busy timeout if not).

    A Ctrl-C that lands just after ``BEGIN`` returns (before the ``try``) or inside ``ROLLBACK``
    leaves a transaction open on the connection; it is rolled back here rather than failing every
    later write with "cannot start a transaction within a transaction"."""
    if db.in_transaction:
        db.execute("ROLLBACK")
    if begin is None:
        db.execute("BEGIN IMMEDIATE")
    else:
        begin()
    try:
        yield
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")

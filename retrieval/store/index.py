"""The creator index: one Chroma record per creator, mirrored by a local SQLite catalog.

Chroma (embedded in the data dir, a ``chroma run`` server or Chroma Cloud) is the source of truth.
Each record holds the creator's vector, bio, filterable metadata and full JSON, the JSON split over
metadata values below Chroma Cloud's 4 KiB (``record``, ``record_1``, ...). Every read and write
keeps within Cloud's limits (``retrieval.store.limits``), whatever the store. The catalog
(``catalog.py``) mirrors the records for handle lookups, tier counts and BM25; it follows the
collection's ``storyfit_revision`` and is rebuilt from Chroma whenever the two disagree, except
while a live process on this machine writes through the same catalog file (a long import beside a
running bot): its lease names the revisions it stamps, and it keeps the catalog up to date batch by
batch (``_writing``, ``_written_here``). With the
embedded store it keeps every creator's vector too, as Chroma returns it, so ranking reads
candidates' vectors locally: a ``get`` of 120 vectors from embedded Chroma took ~24 ms of a
recommendation at 100,000 creators (bench/bench_recommend.py). A server's vectors stay there (a
vector the catalog lacks is read from Chroma).

The embedded store is not process-safe (chroma #7040), so its owner holds an exclusive lock on the
data dir and a second process fails at once with ``StoreBusyError`` instead of hanging.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import numpy as np
import numpy.typing as npt
from chromadb.api.client import Client as ChromaClient
from chromadb.api.collection_configuration import CreateCollectionConfiguration
from chromadb.api.models.Collection import Collection
from chromadb.api.types import GetResult
from pydantic import BaseModel, ValidationError
from rapidfuzz import fuzz, process, utils

from retrieval.errors import StoryfitError, UpsertInterrupted
from retrieval.ports import MAX_SEARCH_RESULTS, Embedder, FloatVector, Hit, RosterRow
from retrieval.roster.creator import Creator, is_thin_bio
from retrieval.roster.stream import MAX_LISTED_ROWS
from retrieval.store.catalog import (
    MAX_FOLLOWERS,
    Catalog,
    CatalogEntry,
    CreatorFilter,
    SkippedRecord,
    StoredHashes,
    StoredPage,
)
from retrieval.store.chroma import (
    ServerAccess,
    StoreLock,
    connect,
    drop_collection,
    drop_side_collections,
    reaching,
    restore_interrupted_switch,
    side_collection_name,
    switch_collection,
)
from retrieval.store.limits import (
    MAX_COLLECTION_NAME_BYTES,
    MAX_RECORD_PARTS,
    MAX_WRITE_RECORDS,
    record_parts,
    record_problem,
)
from retrieval.tiers import TierScheme

DEFAULT_COLLECTION = "storyfit-creators"
#: Creators embedded and written per step: bounds memory; an interruption keeps finished chunks.
UPSERT_CHUNK = 512
#: Records per ``get`` when the catalog is rebuilt from Chroma (Cloud returns at most 300).
REBUILD_PAGE = MAX_SEARCH_RESULTS
#: Every collection Storyfit creates: cosine distance, as the engine scores cosines.
_COLLECTION_CONFIGURATION: CreateCollectionConfiguration = {"hnsw": {"space": "cosine"}}
RECORD_KEY = "record"
RECORD_PARTS_KEY = "record_parts"
#: Minimum rapidfuzz ratio (0-100) for a handle to be offered as "did you mean".
SUGGESTION_CUTOFF = 75.0
#: Server mode: the background refresher never checks more often than this (seconds).
MIN_REFRESH_WAIT = 0.05
#: Seconds between looks at another process's catalog rebuild (``_await_rebuild_elsewhere``).
REBUILD_POLL_SECONDS = 0.5
#: Seconds ``close`` waits for the background refresher to finish a check under way.
REFRESHER_STOP_TIMEOUT = 10.0

EMBEDDER_KEY = "storyfit_embedder"
REVISION_KEY = "storyfit_revision"
TIERS_KEY = "storyfit_tiers"

_COLLECTION_NAME = re.compile(
    rf"^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{{1,{MAX_COLLECTION_NAME_BYTES - 2}}})[a-zA-Z0-9]$"
)
_T = TypeVar("_T")
log = logging.getLogger(__name__)


class EmbedderMismatchError(StoryfitError):
    """The collection was built with another embedder than the one configured."""


class UpsertReport(BaseModel):
    """Keys added, updated and left unchanged by an upsert; ``embedded`` vectors were computed.

    Each list keeps its first ``MAX_LISTED_ROWS`` keys and counts the rest (``unlisted_*``): an
    import's total over 450,000 creators holds counts, not every key.
    """

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    embedded: int
    unlisted_added: int = 0
    unlisted_updated: int = 0
    unlisted_unchanged: int = 0

    @property
    def added_count(self) -> int:
        return len(self.added) + self.unlisted_added

    @property
    def updated_count(self) -> int:
        return len(self.updated) + self.unlisted_updated

    @property
    def unchanged_count(self) -> int:
        return len(self.unchanged) + self.unlisted_unchanged

    @property
    def count(self) -> int:
        """Creators written or confirmed unchanged."""
        return self.added_count + self.updated_count + self.unchanged_count

    def add(self, other: UpsertReport) -> None:
        """Count ``other`` (a later batch of the same import) into this report."""
        self.unlisted_added += _extend_listed(self.added, other.added) + other.unlisted_added
        self.unlisted_updated += (
            _extend_listed(self.updated, other.updated) + other.unlisted_updated
        )
        self.unlisted_unchanged += (
            _extend_listed(self.unchanged, other.unchanged) + other.unlisted_unchanged
        )
        self.embedded += other.embedded


def _extend_listed(listed: list[str], more: list[str]) -> int:
    """Extend ``listed`` up to ``MAX_LISTED_ROWS`` keys from ``more``; the keys left out."""
    room = max(0, MAX_LISTED_ROWS - len(listed))
    listed.extend(more[:room])
    return len(more) - min(room, len(more))


class RemovedRecords(BaseModel):
    """The keys a removal found and deleted: Chroma records and catalog entries."""

    index: list[str]
    catalog: list[str]


class CreatorIndex:
    """Creators in Chroma plus the local catalog; open with ``CreatorIndex.open``."""

    #: Server mode: seconds between checks that another machine has not changed the collection.
    revision_check_interval = 2.0

    def __init__(
        self,
        *,
        client: ChromaClient,
        collection: Collection,
        catalog: Catalog,
        embedder: Embedder,
        tiers: TierScheme,
        lock: StoreLock | None,
        server_url: str | None,
    ) -> None:
        self._client = client
        self._collection = collection
        self._catalog = catalog
        self._embedder = embedder
        self._tiers = tiers
        self._lock = lock
        self._server_url = server_url
        # Records per write and per read by ids: within Chroma Cloud's 300 for both.
        self._max_batch = max(
            1, min(client.get_max_batch_size(), MAX_WRITE_RECORDS, MAX_SEARCH_RESULTS)
        )
        self._catalog_stale = True
        self._closed = False
        #: True while ``upsert_batches`` runs: its write lease is kept from batch to batch.
        self._importing = False
        #: The revisions this index's latest write leased (``_writing``, ``_written_here``).
        self._leased: tuple[str, ...] = ()
        # Held by writes and catalog rebuilds; readers never wait for it (see ``_sync``).
        self._mutex = threading.RLock()
        self._stop_refresher = threading.Event()
        self._refresher: threading.Thread | None = None

    @classmethod
    def open(
        cls,
        data_dir: Path,
        embedder: Embedder,
        tiers: TierScheme,
        chroma_url: str | None = None,
        collection: str = DEFAULT_COLLECTION,
        *,
        wait: float = 0.0,
        access: ServerAccess | None = None,
    ) -> CreatorIndex:
        """Open (creating if needed) the index. ``wait``: seconds to wait for an import that
        shares the embedded store (see ``share_with_readers``) to hand it over; ``access``: a
        server's token, tenant and database."""
        _check_collection_name(collection)
        client, lock = connect(data_dir, chroma_url, wait=wait, access=access)
        return cls._open_on(client, lock, data_dir, embedder, tiers, chroma_url, collection)

    @classmethod
    def reindex(
        cls,
        data_dir: Path,
        embedder: Embedder,
        tiers: TierScheme,
        creators: Sequence[Creator],
        chroma_url: str | None = None,
        collection: str = DEFAULT_COLLECTION,
        progress: Callable[[int, int], None] | None = None,
        *,
        access: ServerAccess | None = None,
    ) -> tuple[CreatorIndex, UpsertReport]:
        """Index ``creators`` alone with ``embedder``, in a new collection built beside the current
        one, and switch to it once complete; return the opened index and what the build did.

        Until the switch the current index is untouched and usable: a failure or Ctrl-C during the
        build (raised as ``KeyboardInterrupt``) drops the partial build and changes nothing else.
        """
        _check_collection_name(collection)
        client, lock = connect(data_dir, chroma_url, access=access)
        try:
            with reaching(chroma_url):
                restore_interrupted_switch(client, collection)
                drop_side_collections(client, collection)
            build = _SideBuild(client, data_dir, chroma_url, collection)
            report = build.run(cls, embedder, tiers, creators, progress)
        except BaseException:
            _release(client, lock)
            raise
        return cls._open_on(client, lock, data_dir, embedder, tiers, chroma_url, collection), report

    @classmethod
    def _open_on(
        cls,
        client: ChromaClient,
        lock: StoreLock | None,
        data_dir: Path,
        embedder: Embedder,
        tiers: TierScheme,
        chroma_url: str | None,
        collection: str,
    ) -> CreatorIndex:
        """The index over ``collection`` through ``client``; on failure both are released."""
        try:
            with reaching(chroma_url):
                restore_interrupted_switch(client, collection)
                chroma_collection = client.get_or_create_collection(
                    collection,
                    configuration=_COLLECTION_CONFIGURATION,
                    metadata=_new_collection_metadata(embedder, tiers),
                    embedding_function=None,
                )
            index = cls(
                client=client,
                collection=chroma_collection,
                # A server's catalog is upgraded in place: a rebuild pages the whole collection
                # by offset (~36 min at 1,000,000 creators, bench/SCALE.md) and brings no vectors
                # from a server anyway. An embedded one is rebuilt, gaining every vector.
                catalog=Catalog(
                    data_dir / _catalog_name(chroma_url, collection),
                    upgrade_in_place=chroma_url is not None,
                ),
                embedder=embedder,
                tiers=tiers,
                lock=lock,
                server_url=chroma_url,
            )
        except BaseException:
            _release(client, lock)
            raise
        try:
            index._sync(force=True)
            index._apply_tier_scheme()
            index._report_skipped()
            if index.is_server:
                index._start_refresher()
        except BaseException:
            index.close()
            raise
        return index

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the catalog, the Chroma client and (embedded mode) the store lock."""
        if self._closed:
            return
        self._closed = True
        self._stop_refresher.set()
        if self._refresher is not None:
            self._refresher.join(timeout=REFRESHER_STOP_TIMEOUT)
        try:
            self._catalog.close()
        finally:
            _release(self._client, self._lock)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def share_with_readers(self) -> None:
        """Embedded store: let processes that wait for it (``open(wait=...)``) in between writes,
        through ``let_readers_in``. A Chroma server needs no sharing: it serves everyone."""
        if self._lock is not None:
            self._lock.share()

    def let_readers_in(self) -> None:
        """Hand the embedded store to a process waiting for it, and take it back once that process
        is done; nothing when no one waits or the store is a server."""
        if self._lock is None or not self._lock.someone_waits():
            return
        with self._mutex:
            self._client = self._lock.hand_over(self._client)
            self._fresh_collection()

    @property
    def embedder_identity(self) -> str:
        return self._embedder.identity

    @property
    def is_server(self) -> bool:
        return self._server_url is not None

    # -- writes -----------------------------------------------------------------------------

    def upsert(
        self, creators: Sequence[Creator], progress: Callable[[int, int], None] | None = None
    ) -> UpsertReport:
        """Add or update ``creators`` (the last of a repeated key wins), embedding only new text.

        ``progress(done, total)`` counts vectors computed out of those needed. Ctrl-C raises
        ``UpsertInterrupted``, saying how many creators were kept.
        """
        latest = _latest_storable(creators)
        with self._mutex:
            self._sync(force=True)
            plan = self._plan(latest, pending={})
            kept = len(plan.unchanged)
            advance = _counting(progress, len(plan.to_embed))
            embedded = (  # a chunk at a time, each written before the next is embedded
                self._embedder.embed(_embedding_texts(chunk), progress=advance)
                for chunk in _chunks(plan.to_embed, UPSERT_CHUNK)
            )
            try:
                for written in self._write_plan(plan, embedded):
                    kept += written
            except KeyboardInterrupt:
                raise UpsertInterrupted(kept, len(latest)) from None
        return plan.report()

    def upsert_batches(
        self,
        batches: Iterable[Sequence[Creator]],
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[UpsertReport]:
        """``upsert`` each batch in turn, yielding its report once it is committed; meanwhile
        the next batch is embedded while a background thread writes the previous one (on a
        server, a write mostly waits for it: bench/SCALE.md section 2). Each batch is its own
        change (revision stamped before and after), committed in order; nothing is in flight
        when a report is yielded.

        Ctrl-C waits for the write under way to finish, then raises ``UpsertInterrupted`` whose
        ``kept`` counts the creators committed but not yet yielded. A failed write is raised as
        it is, once the batch being embedded is done; later batches are not written.
        """
        self._sync(force=True)
        # The lease outlives each batch's write until the import ends, so that readers sharing
        # the catalog keep answering from it between two batches too (``write_under_way``).
        self._importing = True
        try:
            yield from self._write_batches_behind(batches, progress)
        finally:
            self._importing = False
            if not self._closed:  # a generator left unfinished may be closed after the index
                self._catalog.end_lease()

    def _write_batches_behind(
        self,
        batches: Iterable[Sequence[Creator]],
        progress: Callable[[int, int], None] | None,
    ) -> Iterator[UpsertReport]:
        """``upsert_batches``' loop: embed one batch while the writer thread commits the last."""
        asked = 0
        with ThreadPoolExecutor(1, thread_name_prefix="storyfit-index-writer") as writer:
            in_flight: _InFlight | None = None
            try:
                for creators in batches:
                    latest = _latest_storable(creators)
                    asked += len(latest)
                    plan = self._plan(latest, in_flight.plan.entries() if in_flight else {})
                    vectors = self._embed_plan(plan, progress)
                    if in_flight is not None:
                        yield in_flight.finished()
                    in_flight = _InFlight(plan, writer.submit(self._commit, plan, vectors))
                if in_flight is not None:
                    yield in_flight.finished()
            except KeyboardInterrupt:
                kept = 0 if in_flight is None else in_flight.unreported_once_done()
                raise UpsertInterrupted(kept, asked) from None

    def _plan(self, latest: dict[str, Creator], pending: Mapping[str, CatalogEntry]) -> _Plan:
        """Sort ``latest`` by what the store (plus the ``pending`` write) holds of each."""
        stored: dict[str, StoredHashes | CatalogEntry] = dict(self._catalog.hashes(list(latest)))
        stored.update((key, pending[key]) for key in latest if key in pending)
        plan = _Plan()
        for key, creator in latest.items():
            entry = CatalogEntry(
                creator=creator,
                tier=self._tiers.classify(creator.followers).name,
                record_hash=creator.content_hash(),
                embed_hash=self._embed_hash(creator),
            )
            before = stored.get(key)
            if before is None:
                plan.added.append(key)
                plan.to_embed.append(entry)
            elif before.embed_hash != entry.embed_hash:
                plan.updated.append(key)
                plan.to_embed.append(entry)
            elif before.record_hash != entry.record_hash:
                plan.updated.append(key)
                plan.to_restamp.append(entry)
            else:
                plan.unchanged.append(key)
        return plan

    def _embed_plan(
        self, plan: _Plan, progress: Callable[[int, int], None] | None
    ) -> npt.NDArray[np.float32] | None:
        """The vectors of the plan's ``to_embed``; ``progress`` as ``upsert``'s."""
        if not plan.to_embed:
            return None
        texts = _embedding_texts(plan.to_embed)
        return self._embedder.embed(texts, progress=_counting(progress, len(texts)))

    def _commit(self, plan: _Plan, vectors: npt.NDArray[np.float32] | None) -> None:
        """Write a planned (and embedded) batch as one change; on the writer thread."""
        with self._mutex:
            self._sync(force=True)
            chunks = (
                ()
                if vectors is None
                else (
                    vectors[at : at + UPSERT_CHUNK] for at in range(0, len(vectors), UPSERT_CHUNK)
                )
            )
            for _ in self._write_plan(plan, chunks):
                pass

    def _write_plan(self, plan: _Plan, vectors: Iterable[npt.NDArray[np.float32]]) -> Iterator[int]:
        """Write ``plan`` as one change (nothing when it changes nothing): its re-stamped
        entries, then its entries to embed ``UPSERT_CHUNK`` at a time with ``vectors`` (one
        array per chunk, drawn as each chunk is written); yield each written chunk's size."""
        if not (plan.to_embed or plan.to_restamp):
            return
        with self._writing():
            for chunk in _chunks(plan.to_restamp, UPSERT_CHUNK):
                self._write(chunk, vectors=None)
                yield len(chunk)
            for chunk, chunk_vectors in zip(
                _chunks(plan.to_embed, UPSERT_CHUNK), vectors, strict=True
            ):
                self._write(chunk, vectors=chunk_vectors)
                yield len(chunk)

    def remove(self, keys: Sequence[str]) -> RemovedRecords:
        """Delete the creators ``keys`` from Chroma and the catalog, stamping a new revision so
        every other catalog follows; return which keys each store held."""
        unique = list(dict.fromkeys(keys))
        with self._mutex:
            self._sync(force=True)
            with reaching(self._server_url):
                held = [
                    key
                    for batch in _chunks(unique, self._max_batch)
                    for key in self._collection.get(ids=list(batch), include=[])["ids"]
                ]
            if not held and not self._catalog.hashes(unique):
                return RemovedRecords(index=[], catalog=[])
            with self._writing():
                with reaching(self._server_url):
                    for batch in _chunks(held, self._max_batch):
                        self._collection.delete(ids=list(batch))
                in_catalog = self._catalog.remove(unique)
        return RemovedRecords(index=list(held), catalog=in_catalog)

    def _write(
        self, entries: Sequence[CatalogEntry], vectors: npt.NDArray[np.float32] | None
    ) -> None:
        """Write ``entries`` to Chroma in batches it accepts, then to the catalog."""
        with reaching(self._server_url):
            for start in range(0, len(entries), self._max_batch):
                batch = entries[start : start + self._max_batch]
                ids = [entry.creator.key for entry in batch]
                metadatas: Any = [_chroma_metadata(entry) for entry in batch]
                if vectors is None:
                    # Same embed hash: the vector and the document (the bio) are already right.
                    self._collection.update(ids=ids, metadatas=metadatas)
                else:
                    self._collection.upsert(
                        ids=ids,
                        embeddings=vectors[start : start + self._max_batch],
                        metadatas=metadatas,
                        documents=[entry.creator.bio for entry in batch],
                    )
        # Embedded: read back, as Chroma may round a vector (it renormalises some by an ulp) and
        # ranking must see the vectors a read from Chroma would give (~30 ms of CPU per 512
        # creators, whose embedding takes seconds). A server: keep the vectors as sent (a read
        # back is ~20x the bytes of the write again), so ranking does not fetch 150+ vectors as
        # JSON over HTTP per brief (60-85 ms at 100,000-250,000 creators, bench/SCALE.md); an ulp
        # apart at most from Chroma's copy. A catalog rebuilt from a server has no vectors: those
        # are read from Chroma.
        stored = None
        if vectors is not None:
            keys = [entry.creator.key for entry in entries]
            stored = (
                dict(zip(keys, vectors, strict=True))
                if self.is_server
                else self._chroma_vectors(keys)
            )
        self._catalog.put(entries, stored)

    @contextmanager
    def _writing(self, **collection_metadata: str) -> Iterator[None]:
        """Bracket a change: the revision moves before (so a crash leaves the catalog visibly
        stale) and after (so other catalogs that synced mid-change rebuild again).

        Both revisions are leased in the catalog first: another process on this machine sharing
        the catalog (a bot during an import) sees the collection at one of them and trusts the
        catalog, which this write keeps up to date batch by batch, instead of rebuilding it.
        """
        started, final = uuid.uuid4().hex, uuid.uuid4().hex
        self._leased = (started, final)
        self._catalog.take_lease(self._leased)
        self._stamp_revision(started)
        try:
            yield
        except BaseException:
            self._catalog_stale = True
            self._catalog.set_revision(None)
            raise
        previous = self._stamp_revision(final, **collection_metadata)
        # Another writer in between (server mode) means our catalog may lack its changes.
        self._catalog_stale = previous != started
        self._catalog.set_revision(
            None if self._catalog_stale else final, keep_lease=self._importing
        )

    def _stamp_revision(self, revision: str, **extra: str) -> str | None:
        """Give the collection ``revision`` (and ``extra`` metadata); return the one it had."""
        with reaching(self._server_url):
            metadata = dict(self._fresh_collection().metadata or {})
            previous = metadata.get(REVISION_KEY)
            self._collection.modify(metadata={**metadata, **extra, REVISION_KEY: revision})
        return None if previous is None else str(previous)

    def _apply_tier_scheme(self) -> None:
        """Re-tier every record when the index was built under another tier scheme."""
        fingerprint = _tiers_fingerprint(self._tiers)
        if (self._collection.metadata or {}).get(TIERS_KEY) == fingerprint:
            return
        with self._mutex:
            self._retier(fingerprint)

    def _retier(self, fingerprint: str) -> None:
        changes = {
            key: tier
            for key, (followers, stored) in self._catalog.followers_by_key().items()
            if (tier := self._tiers.classify(followers).name) != stored
        }
        with self._writing(**{TIERS_KEY: fingerprint}):
            keys = list(changes)
            with reaching(self._server_url):
                for start in range(0, len(keys), self._max_batch):
                    batch = keys[start : start + self._max_batch]
                    metadatas: Any = [{"tier": changes[key]} for key in batch]
                    self._collection.update(ids=batch, metadatas=metadatas)
            self._catalog.set_tiers(changes)

    # -- catalog sync -----------------------------------------------------------------------

    def _fresh_collection(self) -> Collection:
        """The collection as the store has it now (another process may have changed it)."""
        collection = self._client.get_collection(self._collection.name, embedding_function=None)
        self._collection = collection
        return collection

    def _sync(self, force: bool = False) -> None:
        """Rebuild the catalog when the collection's revision has moved away from it.

        Reads call it unforced and never wait for a write: they rebuild only a catalog this
        process left stale, and in server mode not even that, as reads never reach the server
        (the background refresher follows the collection; see ``_start_refresher``).
        """
        if force:
            with self._mutex:
                self._check_revision()
        elif self._catalog_stale and not self.is_server:
            self._check_unless_writing()

    def _check_unless_writing(self) -> None:
        if not self._mutex.acquire(blocking=False):
            return
        try:
            self._check_revision()
        finally:
            self._mutex.release()

    def _start_refresher(self) -> None:
        """Server mode: follow the collection from a background thread, so reads stay local."""
        self._refresher = threading.Thread(
            target=self._refresh_until_closed, name="storyfit-index-refresher", daemon=True
        )
        self._refresher.start()

    def _refresh_until_closed(self) -> None:
        reported = ""
        while not self._stop_refresher.wait(max(self.revision_check_interval, MIN_REFRESH_WAIT)):
            try:
                mirrored = self._catalog.revision
                self._check_unless_writing()
                if self._catalog.revision != mirrored:
                    self._report_skipped()
                reported = ""
            except Exception as error:  # the thread must outlive a server outage; say it once
                problem = str(error) if isinstance(error, StoryfitError) else repr(error)
                if problem != reported and not self._stop_refresher.is_set():
                    log.warning("The creator index could not be refreshed: %s", problem)
                reported = problem

    def _check_revision(self) -> None:
        with reaching(self._server_url):
            metadata = self._fresh_collection().metadata or {}
            recorded = metadata.get(EMBEDDER_KEY)
            if recorded != self._embedder.identity:
                raise EmbedderMismatchError(self._mismatch_message(recorded))
            revision = str(metadata.get(REVISION_KEY, ""))
            if self._behind(revision):
                self._await_rebuild_elsewhere()
                if self._behind(revision) and not self._stop_refresher.is_set():
                    self._catalog.replace_all(self._stored_pages(), revision)
        self._catalog_stale = False

    def _behind(self, revision: str) -> bool:
        """True when the catalog does not hold the collection at ``revision``."""
        return revision != self._catalog.revision and not self._mirrored_here(revision)

    def _await_rebuild_elsewhere(self) -> None:
        """Wait while another live process on this machine rebuilds this catalog (one write
        transaction of minutes for a large collection from a server), saying so once, rather
        than start a second rebuild that would fail on SQLite's lock after ``BUSY_SECONDS``. A
        rebuilder that died leaves its transaction rolled back and is not waited for. Closing
        this index ends the wait."""
        told = False
        while (rebuild := self._catalog.rebuild_elsewhere()) is not None:
            if not told:
                log.warning(
                    "Another Storyfit process (pid %d) has been rebuilding the creator catalog"
                    " from Chroma since %s; waiting for it to finish.",
                    rebuild.pid,
                    rebuild.began(),
                )
                told = True
            if self._stop_refresher.wait(REBUILD_POLL_SECONDS):
                return

    def _mirrored_here(self, revision: str) -> bool:
        """True when the catalog holds the collection at ``revision`` or later: it mirrored it
        before a writer here moved on (the look at the collection is a round trip old), or a
        live writer here is at it (``_written_here``)."""
        return self._catalog.has_mirrored(revision) or self._written_here(revision)

    def _written_here(self, revision: str) -> bool:
        """True when a live process on this machine is writing the collection and keeping this
        very catalog up to date as it goes (its lease, see ``_writing``): the catalog already
        holds every batch it committed, so rebuilding it would only cost time (8-17 s at 21,000
        creators from a server; minutes at 100,000+) and hold up that writer on SQLite's lock.

        A reader trusts a live writer's lease whatever ``revision`` it saw: a look at the
        collection can be a batch behind or ahead of the catalog (a 450,000-row import failed
        twice on such races), and a change from elsewhere is the writer's to mirror (it finds
        its own stamp overwritten and rebuilds; readers follow once its lease ends). The
        writer's own lease explains only the revisions it stamps. A dead writer (crash,
        kill -9) or one on another host: rebuild."""
        lease = self._catalog.lease()
        if lease is None:
            return False
        if lease.revisions == self._leased:
            return lease.explains(revision)
        return lease.holder_alive()

    def _stored_pages(self) -> Iterator[StoredPage]:
        """Every record, a page at a time; one the catalog cannot hold is skipped, not fatal.
        The embedded store sends the vectors too (a server would send ~20x the bytes per record,
        and a server's catalog is rebuilt whenever any machine writes)."""
        include: Any = ["metadatas"] if self.is_server else ["metadatas", "embeddings"]
        offset = 0
        while True:
            page = self._collection.get(include=include, limit=REBUILD_PAGE, offset=offset)
            if not page["ids"]:
                return
            stored = StoredPage(entries=[], skipped=[], vectors=_by_key(page))
            for key, metadata in zip(page["ids"], page["metadatas"] or [], strict=True):
                try:
                    stored.entries.append(_catalog_entry(key, metadata))
                except ValueError as error:
                    stored.skipped.append(SkippedRecord(key, _one_line(error)))
            yield stored
            offset += len(page["ids"])

    def _report_skipped(self) -> None:
        """One warning line per record the catalog left out: which creator, and what to do."""
        for skipped in self._catalog.skipped():
            log.warning(
                "The creator %s in the index was skipped: %s. Fix that row in your roster and "
                "import it again (`storyfit ingest ROSTER`), or rebuild the index without it "
                "(`storyfit ingest --reindex ROSTER`).",
                skipped.key,
                skipped.reason,
            )

    def _mismatch_message(self, recorded: object) -> str:
        built_with = (
            f"the embedder {recorded}" if recorded else "an unknown embedder (not by Storyfit)"
        )
        where = (
            f"collection {self._collection.name!r} on {self._server_url}"
            if self._server_url
            else f"data dir {self._catalog.path.parent}"
        )
        start_over = (
            f"delete the collection {self._collection.name!r} on that server"
            if self._server_url
            else f"delete {self._catalog.path.parent}"
        )
        return (
            f"The creator index in the {where} was built with {built_with}, but "
            f"{self._embedder.identity} is configured; their vectors cannot be compared. "
            "Re-index with `storyfit ingest --reindex PATH` (PATH: your roster), or set "
            f"STORYFIT_EMBEDDING back to the embedder that built it, or {start_over} to start over."
        )

    def _embed_hash(self, creator: Creator) -> str:
        """Changes when the vector or the stored document (the bio) would change."""
        payload = json.dumps([self._embedder.identity, creator.embedding_text(), creator.bio])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    # -- reads ------------------------------------------------------------------------------

    def count(self) -> int:
        self._sync()
        return self._catalog.count()

    def heartbeat(self) -> int:
        """The number of records Chroma holds, asked of Chroma itself (over the network in server
        mode, where reads are otherwise local): ``ChromaUnavailableError`` when it cannot answer."""
        with reaching(self._server_url):
            return self._collection.count()

    @property
    def revision(self) -> str | None:
        """The roster's version: it changes with every write, here or through a shared server
        (``None`` while a write is under way)."""
        self._sync()
        return self._catalog.revision

    def write_under_way(self) -> bool:
        """True while a live process on this machine (this one included) writes the roster
        through this index's catalog: a write, or a long import from its first batch to its
        last (its lease, ``_writing`` and ``upsert_batches``)."""
        lease = self._catalog.lease()
        return lease is not None and lease.holder_alive()

    def get(self, key: str) -> Creator | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Sequence[str]) -> dict[str, Creator]:
        self._sync()
        return self._catalog.get_many(keys)

    def find_handle(self, handle: str) -> list[Creator]:
        """Creators whose handle is ``handle`` (case-insensitive, ``@`` tolerated), any platform."""
        self._sync()
        return self._catalog.find_handle(handle)

    def suggest_handles(self, handle: str, limit: int = 5) -> list[str]:
        """Known handles close to ``handle``, best first: a "did you mean" for typos."""
        self._sync()
        return suggest(handle, self._catalog.handles(), limit)

    def tier_counts(self) -> dict[str, int]:
        """Creators per tier of the scheme, lowest tier first; every tier present."""
        self._sync()
        stored = self._catalog.tier_counts()
        return {tier.name: stored.get(tier.name, 0) for tier in self._tiers.tiers}

    def iter_creators(self) -> Iterator[Creator]:
        self._sync()
        return self._catalog.iter_creators()

    def roster_rows(self) -> Iterator[RosterRow]:
        self._sync()
        return self._catalog.roster_rows()

    def platforms(self) -> list[str]:
        """Every platform on the roster, alphabetically."""
        self._sync()
        return self._catalog.platforms()

    def extra_columns(self) -> list[str]:
        """The extra (non-roster) columns kept for any creator, alphabetically."""
        self._sync()
        return self._catalog.extra_columns()

    def count_matching(self, where: CreatorFilter) -> int:
        self._sync()
        return self._catalog.count_matching(where)

    def by_followers(self, where: CreatorFilter, limit: int | None = None) -> Iterator[Creator]:
        """The creators ``where`` keeps, most followers first; at most ``limit`` of them."""
        self._sync()
        return self._catalog.by_followers(where, limit)

    def vectors(self, keys: Sequence[str]) -> dict[str, FloatVector]:
        """The stored vector of each known key: from the catalog, else from Chroma."""
        self._sync()
        found: dict[str, FloatVector] = dict(self._catalog.vectors(keys))
        found.update(self._chroma_vectors([key for key in keys if key not in found]))
        return found

    def _chroma_vectors(self, keys: Sequence[str]) -> dict[str, FloatVector]:
        unique = list(dict.fromkeys(keys))
        found: dict[str, FloatVector] = {}
        with reaching(self._server_url):
            for start in range(0, len(unique), self._max_batch):
                got = self._collection.get(
                    ids=unique[start : start + self._max_batch], include=["embeddings"]
                )
                found.update(_by_key(got))
        return found

    def dense_search(
        self, vector: npt.NDArray[np.floating[Any]], n: int, where: Mapping[str, Any] | None = None
    ) -> list[Hit]:
        """The ``n`` nearest creators by cosine similarity, optionally filtered by metadata; at
        most ``MAX_SEARCH_RESULTS`` (Chroma Cloud's limit) however large ``n`` is.

        Keep ``where`` selective: broad filters are slow in local Chroma (chroma #7092).
        """
        query = np.asarray(vector, dtype=np.float32)
        if query.shape != (self._embedder.dimensions,):
            raise ValueError(
                f"query vector has shape {query.shape}; {self._embedder.identity} "
                f"vectors have {self._embedder.dimensions} dimensions"
            )
        if n <= 0:
            return []
        with reaching(self._server_url):
            result = self._collection.query(
                query_embeddings=[query.tolist()],
                n_results=min(n, MAX_SEARCH_RESULTS),
                where=cast(Any, dict(where)) if where else None,
                include=["distances"],
            )
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        return [
            Hit(key, 1.0 - float(distance)) for key, distance in zip(ids, distances, strict=True)
        ]

    def lexical_search(self, query: str, n: int) -> list[Hit]:
        """BM25 over bio, name and topics; the query's words are OR-ed, never parsed as syntax."""
        self._sync()
        return [Hit(key, score) for key, score in self._catalog.lexical_search(query, n)]


# -- module helpers ---------------------------------------------------------------------------


def suggest(handle: str, handles: Sequence[str], limit: int) -> list[str]:
    """Up to ``limit`` of ``handles`` that look like a typo of ``handle``, best first."""
    matches = process.extract(
        handle.strip().lstrip("@"),
        handles,
        scorer=fuzz.ratio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=SUGGESTION_CUTOFF,
    )
    return [match for match, _, _ in matches]


def _release(client: ChromaClient, lock: StoreLock | None) -> None:
    """Close the Chroma client, then give up the data dir's lock (embedded store)."""
    try:
        client.close()
    finally:
        if lock is not None:
            lock.release()


def _by_key(got: GetResult) -> dict[str, FloatVector]:
    """The vectors of a ``get`` result by key (none when it was asked for none)."""
    embeddings = got["embeddings"]
    if embeddings is None:
        return {}
    return {
        key: np.asarray(vector, dtype=np.float32)
        for key, vector in zip(got["ids"], embeddings, strict=True)
    }


def _chroma_metadata(entry: CatalogEntry) -> dict[str, str | int | float | bool]:
    creator = entry.creator
    parts = record_parts(creator.model_dump_json())
    return {
        **dict(zip(_part_keys(len(parts)), parts, strict=True)),
        RECORD_PARTS_KEY: len(parts),
        "platform": creator.platform,
        "handle": creator.handle,
        "country": creator.country or "",
        "language": creator.language or "",
        "followers": creator.followers,
        "tier": entry.tier,
        "engagement_rate": -1.0 if creator.engagement_rate is None else creator.engagement_rate,
        "thin": is_thin_bio(creator.bio),
        "kind": creator.kind,
        "record_hash": entry.record_hash,
        "embed_hash": entry.embed_hash,
    }


def _part_keys(count: int) -> list[str]:
    return [RECORD_KEY, *(f"{RECORD_KEY}_{number}" for number in range(1, count))]


def _too_big_to_store(creator: Creator) -> str | None:
    """Why ``creator`` cannot be stored within the index's limits, or ``None``. The roster
    loader rejects such rows already (``record_problem``): this is the store's last guard."""
    if creator.followers > MAX_FOLLOWERS:
        return f"more followers than the index can hold (at most {MAX_FOLLOWERS:,})"
    problem = record_problem(creator)
    return None if problem is None else problem[1]


def _stored_record(metadata: Mapping[str, Any]) -> str:
    """The record's JSON, joined from its parts (a store written before records were split
    holds it whole under ``record``)."""
    count = metadata.get(RECORD_PARTS_KEY, 1)
    if not isinstance(count, int) or not 1 <= count <= MAX_RECORD_PARTS:
        raise ValueError(f"its record has an invalid {RECORD_PARTS_KEY} ({count!r})")
    keys = _part_keys(count)
    parts = [metadata.get(key) for key in keys]
    missing = [key for key, part in zip(keys, parts, strict=True) if not isinstance(part, str)]
    if missing:
        raise ValueError(f"its record lacks {', '.join(missing)} (not written by Storyfit?)")
    return "".join(cast(list[str], parts))


def _catalog_entry(key: str, metadata: Mapping[str, Any] | None) -> CatalogEntry:
    """The catalog row of the record ``key``; ``ValueError`` saying why when it cannot be one."""
    missing = [
        field
        for field in (RECORD_KEY, "tier", "record_hash", "embed_hash")
        if not isinstance((metadata or {}).get(field), str)
    ]
    if metadata is None or missing:
        raise ValueError(f"its record lacks {', '.join(missing)} (not written by Storyfit?)")
    creator = Creator.model_validate_json(_stored_record(metadata))
    if creator.key != key:
        raise ValueError(f"its record describes another creator, {creator.key}")
    if creator.followers > MAX_FOLLOWERS:
        raise ValueError(
            f"its follower count {creator.followers:,} is more than the index can hold "
            f"(at most {MAX_FOLLOWERS:,})"
        )
    return CatalogEntry(
        creator=creator,
        tier=metadata["tier"],
        record_hash=metadata["record_hash"],
        embed_hash=metadata["embed_hash"],
    )


def _one_line(error: ValueError) -> str:
    """A reason on one line: a pydantic error's first problem, else the message's first line."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        return f"its record is not valid ({detail})"
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _tiers_fingerprint(tiers: TierScheme) -> str:
    return ",".join(f"{tier.name}:{tier.min}" for tier in tiers.tiers)


def _catalog_name(chroma_url: str | None, collection: str) -> str:
    if chroma_url is None and collection == DEFAULT_COLLECTION:
        return "catalog.sqlite3"
    source = f"{(chroma_url or 'embedded').rstrip('/')}|{collection}"
    return f"catalog-{hashlib.sha256(source.encode()).hexdigest()[:12]}.sqlite3"


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_collection_name(collection: str) -> None:
    if not _COLLECTION_NAME.match(collection):
        raise ValueError(
            f"invalid Chroma collection name {collection!r}: use 3-"
            f"{MAX_COLLECTION_NAME_BYTES} letters, digits, '.', '_' or '-' (Chroma Cloud's "
            "limit), starting and ending with a letter or digit"
        )


def _new_collection_metadata(embedder: Embedder, tiers: TierScheme) -> Any:
    return {
        EMBEDDER_KEY: embedder.identity,
        REVISION_KEY: uuid.uuid4().hex,
        TIERS_KEY: _tiers_fingerprint(tiers),
    }


@dataclass
class _Plan:
    """What an upsert of a batch does with each of its creators."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    to_embed: list[CatalogEntry] = field(default_factory=list)
    to_restamp: list[CatalogEntry] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.updated) + len(self.unchanged)

    def entries(self) -> dict[str, CatalogEntry]:
        """The entries this plan writes, by key."""
        return {entry.creator.key: entry for entry in [*self.to_restamp, *self.to_embed]}

    def report(self) -> UpsertReport:
        return UpsertReport(
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            embedded=len(self.to_embed),
        )


@dataclass
class _InFlight:
    """A batch handed to the writer thread (``CreatorIndex.upsert_batches``)."""

    plan: _Plan
    write: Future[None]
    reported: bool = False

    def finished(self) -> UpsertReport:
        """The batch's report once its write is committed (its failure is raised)."""
        self.write.result()
        self.reported = True
        return self.plan.report()

    def unreported_once_done(self) -> int:
        """After Ctrl-C: wait for the write, then the creators it kept that were not reported."""
        if self.reported or self.write.exception() is not None:
            return 0
        return self.plan.count


def _counting(progress: Callable[[int, int], None] | None, total: int) -> Callable[[int], None]:
    """An embedder's progress (vectors just computed) as ``progress(done so far, total)``."""
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    return advance


def _embedding_texts(entries: Sequence[CatalogEntry]) -> list[str]:
    return [entry.creator.embedding_text() for entry in entries]


def _latest_storable(creators: Sequence[Creator]) -> dict[str, Creator]:
    """``creators`` by key, the last of a repeated key winning; ``ValueError`` naming every
    creator the index cannot store (then nothing is written)."""
    latest = {creator.key: creator for creator in creators}
    too_big = [
        f"{key}: {problem}"
        for key, creator in latest.items()
        if (problem := _too_big_to_store(creator)) is not None
    ]
    if too_big:
        raise ValueError(f"{'; '.join(too_big)}; nothing was written")
    return latest


class _SideBuild:
    """A re-index's new collection, with its own catalog, beside the collection in use."""

    def __init__(
        self, client: ChromaClient, data_dir: Path, chroma_url: str | None, collection: str
    ) -> None:
        self._client = client
        self._chroma_url = chroma_url
        self._collection = collection
        self._name = side_collection_name(collection, "build")
        self._catalog_path = data_dir / _catalog_name(chroma_url, self._name)

    def run(
        self,
        index_class: type[CreatorIndex],
        embedder: Embedder,
        tiers: TierScheme,
        creators: Sequence[Creator],
        progress: Callable[[int, int], None] | None,
    ) -> UpsertReport:
        """Build, then switch; on any failure drop the build and leave the collection in use."""
        catalog = Catalog(self._catalog_path)
        try:
            with reaching(self._chroma_url):
                built = self._client.create_collection(
                    self._name,
                    configuration=_COLLECTION_CONFIGURATION,
                    metadata=_new_collection_metadata(embedder, tiers),
                    embedding_function=None,
                )
            builder = index_class(
                client=self._client,
                collection=built,
                catalog=catalog,
                embedder=embedder,
                tiers=tiers,
                lock=None,
                server_url=self._chroma_url,
            )
            try:
                report = builder.upsert(creators, progress)
            except UpsertInterrupted:
                raise KeyboardInterrupt from None  # nothing was kept: the build is dropped
            with reaching(self._chroma_url):
                switch_collection(self._client, self._name, self._collection)
        except BaseException:
            with suppress(Exception):
                drop_collection(self._client, self._name)
            raise
        finally:
            catalog.delete()
        return report

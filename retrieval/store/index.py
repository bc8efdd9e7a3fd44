"""The creator index: one Chroma record per creator, mirrored by a local SQLite catalog.

Chroma (embedded in the data dir, or a ``chroma run`` server) is the source of truth. Each record
holds the creator's vector, bio, filterable metadata and full JSON. The catalog (``catalog.py``)
mirrors the records for handle lookups, tier counts and BM25; it follows the collection's
``storyfit_revision`` and is rebuilt from Chroma whenever the two disagree.

The embedded store is not process-safe (chroma #7040), so its owner holds an exclusive lock on the
data dir and a second process fails at once with ``StoreBusyError`` instead of hanging.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import numpy as np
import numpy.typing as npt
from chromadb.api.client import Client as ChromaClient
from chromadb.api.models.Collection import Collection
from pydantic import BaseModel
from rapidfuzz import fuzz, process, utils

from retrieval.errors import StoryfitError
from retrieval.ports import Embedder, FloatVector, Hit
from retrieval.roster.creator import Creator, is_thin_bio
from retrieval.store.catalog import Catalog, CatalogEntry
from retrieval.store.chroma import (
    StoreLock,
    drop_collection,
    embedded_client,
    reaching,
    server_client,
)
from retrieval.tiers import TierScheme

DEFAULT_COLLECTION = "storyfit-creators"
#: Creators embedded and written per step: bounds memory; an interruption keeps finished chunks.
UPSERT_CHUNK = 512
#: Records per ``get`` when the catalog is rebuilt from Chroma.
REBUILD_PAGE = 1000
#: Minimum rapidfuzz ratio (0-100) for a handle to be offered as "did you mean".
SUGGESTION_CUTOFF = 75.0

EMBEDDER_KEY = "storyfit_embedder"
REVISION_KEY = "storyfit_revision"
TIERS_KEY = "storyfit_tiers"

_COLLECTION_NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{1,510})[a-zA-Z0-9]$")
_T = TypeVar("_T")


class EmbedderMismatchError(StoryfitError):
    """The collection was built with another embedder than the one configured."""


class UpsertReport(BaseModel):
    """Keys added, updated and left unchanged by an upsert; ``embedded`` vectors were computed."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    embedded: int


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
        self._max_batch = max(1, client.get_max_batch_size())
        self._checked_at = time.monotonic()
        self._catalog_stale = True
        self._closed = False
        # Held by writes and catalog rebuilds; readers never wait for it (see ``_sync``).
        self._mutex = threading.RLock()

    @classmethod
    def open(
        cls,
        data_dir: Path,
        embedder: Embedder,
        tiers: TierScheme,
        chroma_url: str | None = None,
        collection: str = DEFAULT_COLLECTION,
        *,
        reindex: bool = False,
    ) -> CreatorIndex:
        """Open (creating if needed) the index; ``reindex`` drops every record first."""
        # Long: lock and client, collection, catalog sync and tier scheme, each step undoing the
        # earlier ones when it fails; the clean-up order is clearest kept in one function.
        if not _COLLECTION_NAME.match(collection):
            raise ValueError(
                f"invalid Chroma collection name {collection!r}: use 3-512 letters, digits, '.', "
                "'_' or '-', starting and ending with a letter or digit"
            )
        data_dir.mkdir(parents=True, exist_ok=True)
        lock = None
        if chroma_url is None:
            lock = StoreLock(data_dir)
            try:
                client = embedded_client(data_dir)
            except BaseException:
                lock.release()
                raise
        else:
            client = server_client(chroma_url)
        try:
            with reaching(chroma_url):
                if reindex:
                    drop_collection(client, collection)
                chroma_collection = client.get_or_create_collection(
                    collection,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={
                        EMBEDDER_KEY: embedder.identity,
                        REVISION_KEY: uuid.uuid4().hex,
                        TIERS_KEY: _tiers_fingerprint(tiers),
                    },
                    embedding_function=None,
                )
            index = cls(
                client=client,
                collection=chroma_collection,
                catalog=Catalog(data_dir / _catalog_name(chroma_url, collection)),
                embedder=embedder,
                tiers=tiers,
                lock=lock,
                server_url=chroma_url,
            )
        except BaseException:
            client.close()
            if lock is not None:
                lock.release()
            raise
        try:
            index._sync(force=True)
            index._apply_tier_scheme()
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
        try:
            self._catalog.close()
            self._client.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

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

        ``progress(done, total)`` counts vectors computed out of those needed.
        """
        with self._mutex:
            return self._upsert({creator.key: creator for creator in creators}, progress)

    def _upsert(
        self, latest: dict[str, Creator], progress: Callable[[int, int], None] | None
    ) -> UpsertReport:
        self._sync(force=True)
        stored = self._catalog.hashes(list(latest))
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        to_embed: list[CatalogEntry] = []
        to_restamp: list[CatalogEntry] = []
        for key, creator in latest.items():
            entry = CatalogEntry(
                creator=creator,
                tier=self._tiers.classify(creator.followers).name,
                record_hash=creator.content_hash(),
                embed_hash=self._embed_hash(creator),
            )
            before = stored.get(key)
            if before is None:
                added.append(key)
                to_embed.append(entry)
            elif before.embed_hash != entry.embed_hash:
                updated.append(key)
                to_embed.append(entry)
            elif before.record_hash != entry.record_hash:
                updated.append(key)
                to_restamp.append(entry)
            else:
                unchanged.append(key)
        if to_embed or to_restamp:
            with self._writing():
                for chunk in _chunks(to_restamp, UPSERT_CHUNK):
                    self._write(chunk, vectors=None)
                self._embed_and_write(to_embed, progress)
        return UpsertReport(
            added=added, updated=updated, unchanged=unchanged, embedded=len(to_embed)
        )

    def _embed_and_write(
        self, entries: list[CatalogEntry], progress: Callable[[int, int], None] | None
    ) -> None:
        total = len(entries)
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, total)

        for chunk in _chunks(entries, UPSERT_CHUNK):
            texts = [entry.creator.embedding_text() for entry in chunk]
            self._write(chunk, vectors=self._embedder.embed(texts, progress=advance))

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
        self._catalog.put(entries)

    @contextmanager
    def _writing(self, **collection_metadata: str) -> Iterator[None]:
        """Bracket a change: the revision moves before (so a crash leaves the catalog visibly
        stale) and after (so other catalogs that synced mid-change rebuild again)."""
        _, started = self._stamp_revision()
        try:
            yield
        except BaseException:
            self._catalog_stale = True
            self._catalog.set_revision(None)
            raise
        previous, final = self._stamp_revision(**collection_metadata)
        # Another writer in between (server mode) means our catalog may lack its changes.
        self._catalog_stale = previous != started
        self._catalog.set_revision(None if self._catalog_stale else final)

    def _stamp_revision(self, **extra: str) -> tuple[str | None, str]:
        """Give the collection a new revision (and ``extra`` metadata); return (old, new)."""
        revision = uuid.uuid4().hex
        with reaching(self._server_url):
            metadata = dict(self._fresh_collection().metadata or {})
            previous = metadata.get(REVISION_KEY)
            self._collection.modify(metadata={**metadata, **extra, REVISION_KEY: revision})
        return (None if previous is None else str(previous)), revision

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

        Unforced checks are skipped while this process writes: its catalog is being kept current.
        """
        due = time.monotonic() - self._checked_at >= self.revision_check_interval
        if not (force or self._catalog_stale or (self.is_server and due)):
            return
        if not self._mutex.acquire(blocking=force):
            return
        try:
            self._check_revision()
        finally:
            self._mutex.release()

    def _check_revision(self) -> None:
        with reaching(self._server_url):
            metadata = self._fresh_collection().metadata or {}
            self._checked_at = time.monotonic()
            recorded = metadata.get(EMBEDDER_KEY)
            if recorded != self._embedder.identity:
                raise EmbedderMismatchError(self._mismatch_message(recorded))
            revision = str(metadata.get(REVISION_KEY, ""))
            if revision != self._catalog.revision:
                self._catalog.replace_all(self._stored_pages(), revision)
        self._catalog_stale = False

    def _stored_pages(self) -> Iterator[list[CatalogEntry]]:
        offset = 0
        while True:
            page = self._collection.get(include=["metadatas"], limit=REBUILD_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield [_catalog_entry(metadata) for metadata in page["metadatas"] or []]
            offset += len(page["ids"])

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

    @property
    def revision(self) -> str | None:
        """The roster's version: it changes with every write, here or through a shared server
        (``None`` while a write is under way)."""
        self._sync()
        return self._catalog.revision

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

    def vectors(self, keys: Sequence[str]) -> dict[str, FloatVector]:
        """The stored vector of each known key."""
        unique = list(dict.fromkeys(keys))
        found: dict[str, FloatVector] = {}
        with reaching(self._server_url):
            for start in range(0, len(unique), self._max_batch):
                got = self._collection.get(
                    ids=unique[start : start + self._max_batch], include=["embeddings"]
                )
                embeddings = got["embeddings"]
                if embeddings is None:
                    continue
                for key, vector in zip(got["ids"], embeddings, strict=True):
                    found[key] = np.asarray(vector, dtype=np.float32)
        return found

    def dense_search(
        self, vector: npt.NDArray[np.floating[Any]], n: int, where: Mapping[str, Any] | None = None
    ) -> list[Hit]:
        """The ``n`` nearest creators by cosine similarity, optionally filtered by metadata.

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
                n_results=n,
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


def _chroma_metadata(entry: CatalogEntry) -> dict[str, str | int | float | bool]:
    creator = entry.creator
    return {
        "platform": creator.platform,
        "handle": creator.handle,
        "country": creator.country or "",
        "language": creator.language or "",
        "followers": creator.followers,
        "tier": entry.tier,
        "engagement_rate": -1.0 if creator.engagement_rate is None else creator.engagement_rate,
        "thin": is_thin_bio(creator.bio),
        "record": creator.model_dump_json(),
        "record_hash": entry.record_hash,
        "embed_hash": entry.embed_hash,
    }


def _catalog_entry(metadata: Mapping[str, Any]) -> CatalogEntry:
    return CatalogEntry(
        creator=Creator.model_validate_json(metadata["record"]),
        tier=str(metadata["tier"]),
        record_hash=str(metadata["record_hash"]),
        embed_hash=str(metadata["embed_hash"]),
    )


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

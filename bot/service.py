"""The one facade every entry point (CLI, Slack) uses; it owns the stores and the embedder.

Slack listeners and CLI commands call these methods and render the pydantic results they return;
they never touch Chroma, the catalog or the embedder themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bot.creators import AmbiguousHandleError, CreatorListing, CreatorRemoval, creator_filter
from bot.history.erasure import erase_creator, keys_with_handle
from bot.history.store import History
from bot.settings import Settings
from bot.teams import checked_team_id, team_collection, team_data_dir
from retrieval.contract import Pick, Recommendation, RecommendRequest, creator_key
from retrieval.counts import looks_like_count, parse_count
from retrieval.engine.recommender import Recommender
from retrieval.errors import EmptyRosterError, StoryfitError, UpsertInterrupted
from retrieval.ports import Embedder, UsageListener
from retrieval.roster.creator import Creator, normalize_handle
from retrieval.roster.export import write_roster
from retrieval.roster.load import LoadReport
from retrieval.roster.stream import RosterStream
from retrieval.store.blas import use_one_blas_thread
from retrieval.store.catalog import CreatorFilter
from retrieval.store.chroma import HANDOVER_WAIT, ServerAccess
from retrieval.store.embeddings import build_embedder
from retrieval.store.index import DEFAULT_COLLECTION, CreatorIndex, UpsertReport

if TYPE_CHECKING:
    from bot.llm import ModelAssist

#: Creators read, embedded and committed per step of an import: memory stays bounded, and what
#: is committed is searchable (and kept on Ctrl-C) while the rest is still being read.
IMPORT_BATCH = 256
#: Seconds a ``recommend`` or ``tier`` run waits for an import to hand it the embedded store.
READER_WAIT = HANDOVER_WAIT


class ImportProgress(BaseModel):
    """How far an import is: ``done`` of ``creators`` committed, ``embedded`` bios computed."""

    rows: int
    creators: int
    done: int
    embedded: int
    elapsed: float

    @classmethod
    def starting(cls) -> ImportProgress:
        return cls(rows=0, creators=0, done=0, embedded=0, elapsed=0.0)

    @property
    def rate(self) -> float:
        """Creators committed per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def remaining_seconds(self) -> float | None:
        """Seconds left at the rate so far; ``None`` until there is a rate."""
        return (self.creators - self.done) / self.rate if self.rate > 0 else None


ProgressCallback = Callable[[ImportProgress], None]


class _ImportMeter:
    """Turns an import's batches and the embedder's steps into ``ImportProgress`` reports."""

    def __init__(
        self, stream: RosterStream, progress: ProgressCallback | None, total: UpsertReport
    ) -> None:
        self._stream = stream
        self._progress = progress
        self._total = total
        self._started = time.monotonic()
        # Bios of fully embedded batches: a batch is embedded before the previous one is
        # committed (``CreatorIndex.upsert_batches``), so this runs ahead of ``total.embedded``.
        self._embedded_batches = 0

    def tell(self, embedding_now: int = 0) -> None:
        if self._progress is None:
            return
        self._progress(
            ImportProgress(
                rows=self._stream.report.total_rows,
                creators=self._stream.creator_count,
                done=self._total.count,
                embedded=self._embedded_batches + embedding_now,
                elapsed=time.monotonic() - self._started,
            )
        )

    def embedding(self, bios: int, batch_total: int) -> None:
        """``CreatorIndex.upsert_batches``'s progress: ``bios`` of a batch embedded so far."""
        self.tell(bios)
        if bios == batch_total:
            self._embedded_batches += batch_total


class ImportReport(BaseModel):
    """What an import did: the loader's findings and the index's changes."""

    source: str
    load: LoadReport
    upsert: UpsertReport


class TierLookup(BaseModel):
    """The answer to ``tier QUERY``; ``contract()`` is the design's ``tier --json`` object."""

    query: str
    followers: int
    tier: str
    min: int
    max: int | None
    role: str
    creator: Creator | None = None

    def contract(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "followers": self.followers,
            "tier": self.tier,
            "min": self.min,
            "max": self.max,
            "creator": self.creator.model_dump(mode="json") if self.creator else None,
        }


class UnknownHandleError(StoryfitError):
    """No creator has that handle; carries near misses for a "did you mean"."""

    def __init__(self, handle: str, suggestions: list[str]) -> None:
        self.handle = handle
        self.suggestions = suggestions
        hint = f" Did you mean {', '.join('@' + s for s in suggestions)}?" if suggestions else ""
        super().__init__(f"No creator with the handle @{handle} is on the roster.{hint}")


class StoryfitService:
    """One workspace's roster and history; opens the index on first use and keeps it (and the
    embedding model) for the process.

    ``team_id`` ``None`` is the single workspace: the store in the data dir itself and history rows
    of team ``''``, as before there were teams. A team id (checked by ``bot.teams``) keeps its
    embedded store under ``data_dir/teams/<team id>``, or on a Chroma server a collection of its
    own (its catalog in that folder), and sees only its own history rows.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        team_id: str | None = None,
        embedder: Embedder | None = None,
        history: History | None = None,
        waits_for_import: bool = False,
    ) -> None:
        """``embedder``: one shared with other workspaces' services (the model loads once).
        ``history``: a view of a history database opened elsewhere, bound to this team; the
        service does not close it. ``waits_for_import``: a short command (``recommend``,
        ``tier``) waits for an import running on the embedded store to hand it over between
        batches, instead of failing."""
        self.settings = settings
        self.team_id = None if team_id is None else checked_team_id(team_id)
        self.data_dir = settings.data_dir
        self._collection = DEFAULT_COLLECTION
        if self.team_id is not None:
            self.data_dir = team_data_dir(settings.data_dir, self.team_id)
            if settings.chroma_url is not None:
                self._collection = team_collection(DEFAULT_COLLECTION, self.team_id)
        self._store_wait = READER_WAIT if waits_for_import else 0.0
        self._opening = threading.RLock()
        self._index: CreatorIndex | None = None
        self._embedder = embedder
        self._recommender: Recommender | None = None
        self._history = history
        self._owns_history = history is None
        self._model_assist: ModelAssist | None = None

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
            self._recommender = None
        if self._history is not None and self._owns_history:
            self._history.close()
            self._history = None

    def __enter__(self) -> StoryfitService:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def index(self) -> CreatorIndex:
        with self._opening:  # two first requests at once must not open the store twice
            if self._index is None:
                self._index = CreatorIndex.open(
                    data_dir=self.data_dir,
                    embedder=self.embedder,
                    tiers=self.settings.tiers,
                    chroma_url=self.settings.chroma_url,
                    collection=self._collection,
                    wait=self._store_wait,
                    access=self._server_access,
                )
            return self._index

    @property
    def _server_access(self) -> ServerAccess:
        """A Chroma server's token, tenant and database, from the settings."""
        token = self.settings.chroma_token
        return ServerAccess(
            token=token.get_secret_value() if token is not None else None,
            tenant=self.settings.chroma_tenant,
            database=self.settings.chroma_database,
        )

    @property
    def history(self) -> History:
        """This workspace's history, opened (and migrated) on first use."""
        with self._opening:
            if self._history is None:
                self._history = History.open(
                    self.settings.resolved_database_url, team_id=self.team_id or ""
                )
            return self._history

    @property
    def embedder(self) -> Embedder:
        """One embedder for the process: the index's bios and the engine's briefs."""
        with self._opening:
            if self._embedder is None:
                self._embedder = self._build_embedder()
            return self._embedder

    @property
    def recommender(self) -> Recommender:
        with self._opening:
            if self._recommender is None:
                use_one_blas_thread()
                self._recommender = Recommender(self.index, self.settings.tiers, self.embedder)
            return self._recommender

    def _build_embedder(self) -> Embedder:
        client = None
        if self.settings.embedding == "openai":
            from bot.llm import openai_client

            client = openai_client(self.settings)
        return build_embedder(
            self.settings.embedding,
            self.settings.embedding_model_dir,
            client,
            self.settings.openai_embedding_model,
        )

    def import_roster(
        self,
        path: Path,
        mapping: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
        *,
        reindex: bool = False,
        share_store: bool = False,
        name: str | None = None,
        sheet: str | None = None,
    ) -> ImportReport:
        """Check a roster file (refusing a non-roster before touching the store), then import
        it; see ``read_roster`` and ``import_checked``."""
        stream = self.read_roster(path, mapping, sheet, name=name)
        return self.import_checked(stream, progress, reindex=reindex, share_store=share_store)

    @staticmethod
    def read_roster(
        path: Path,
        mapping: Mapping[str, str] | None = None,
        sheet: str | None = None,
        *,
        name: str | None = None,
    ) -> RosterStream:
        """The roster file checked without touching any store: its report (rejected rows, the
        column mapping and encoding used) and how many creators it holds, for the preview of an
        import or a dry run. ``name`` names the file in messages (default: its path)."""
        return RosterStream.open(path, mapping, name=name, sheet=sheet)

    def import_checked(
        self,
        stream: RosterStream,
        progress: ProgressCallback | None = None,
        *,
        reindex: bool = False,
        share_store: bool = False,
    ) -> ImportReport:
        """Read, embed and commit a checked roster (``read_roster``) ``IMPORT_BATCH`` creators
        at a time.

        ``share_store`` (a long import from the command line): between batches, a ``recommend``
        or ``tier`` process waiting for the embedded store gets it, then the import goes on.
        ``reindex`` rebuilds the index from this file alone with the configured embedder (after a
        change of ``STORYFIT_EMBEDDING``); creators not in the file are dropped. The new index is
        built beside the old one, which stays in use until the new one is complete.
        """
        if reindex:
            upsert = self._reindex(stream, progress)
        else:
            upsert = self._import_batches(stream, progress, share_store=share_store)
        if upsert.added or upsert.updated or self.history.last_snapshot_at() is None:
            self.history.record_roster_snapshot(self.index.roster_rows(), self.settings.tiers)
        return ImportReport(source=stream.name, load=stream.report, upsert=upsert)

    def _import_batches(
        self, stream: RosterStream, progress: ProgressCallback | None, *, share_store: bool
    ) -> UpsertReport:
        index = self.index
        if share_store:
            index.share_with_readers()
        total = UpsertReport(added=[], updated=[], unchanged=[], embedded=0)
        meter = _ImportMeter(stream, progress, total)
        meter.tell()
        try:
            # The next batch is embedded while the last one is written (see upsert_batches).
            for report in index.upsert_batches(stream.batches(IMPORT_BATCH), meter.embedding):
                total.add(report)
                meter.tell()
                index.let_readers_in()
        except UpsertInterrupted as stopped:  # Ctrl-C during a batch: a write under way counts
            raise UpsertInterrupted(total.count + stopped.kept, stream.creator_count) from None
        except KeyboardInterrupt:  # between batches
            raise UpsertInterrupted(total.count, stream.creator_count) from None
        return total

    def _reindex(self, stream: RosterStream, progress: ProgressCallback | None) -> UpsertReport:
        creators = [creator for batch in stream.batches(IMPORT_BATCH) for creator in batch]
        if not creators:
            raise StoryfitError(
                f"{stream.name} has no valid rows, so the index was left as it was; "
                "run it without --reindex to see the rejected rows."
            )
        if self._index is not None:
            self._index.close()
            self._index = None
            self._recommender = None
        started = time.monotonic()

        def report(done: int, total: int) -> None:
            if progress is not None:
                elapsed = time.monotonic() - started
                progress(
                    ImportProgress(
                        rows=stream.report.total_rows,
                        creators=total,
                        done=done,
                        embedded=done,
                        elapsed=elapsed,
                    )
                )

        self._index, upsert = CreatorIndex.reindex(
            data_dir=self.data_dir,
            embedder=self.embedder,
            tiers=self.settings.tiers,
            creators=creators,
            chroma_url=self.settings.chroma_url,
            collection=self._collection,
            progress=report,
            access=self._server_access,
        )
        return upsert

    def lookup_tier(self, query: str) -> TierLookup:
        """Tier of a follower count, or of a known creator by handle."""
        text = query.strip()
        if not text:
            raise StoryfitError(
                "Give a follower count like 8500 or 12.3k, or a handle like @janecooks."
            )
        creator: Creator | None = None
        if looks_like_count(text):
            followers = parse_count(text)
        else:
            creator = self.find_creator(text)
            followers = creator.followers
        tier = self.settings.tiers.classify(followers)
        return TierLookup(
            query=text,
            followers=followers,
            tier=tier.name,
            min=tier.min,
            max=tier.max,
            role=tier.role,
            creator=creator,
        )

    def find_creator(self, handle: str) -> Creator:
        """The creator with this handle (``@`` and case ignored), preferring the biggest account."""
        bare = _bare_handle(
            handle, "Give one word like @janecooks, or a follower count like 8500 or 12.3k."
        )
        matches = self.index.find_handle(bare)
        if not matches:
            raise UnknownHandleError(bare, self.index.suggest_handles(bare))
        return max(matches, key=lambda creator: creator.followers)

    def tier_counts(self) -> dict[str, int]:
        return self.index.tier_counts()

    def creator_filter(
        self, *, tier: str | None = None, country: str | None = None, platform: str | None = None
    ) -> CreatorFilter:
        """A checked listing filter: ``StoryfitError`` names a bad value and the good ones."""
        platforms = self.index.platforms() if platform is not None else []
        return creator_filter(
            self.settings.tiers, platforms, tier=tier, country=country, platform=platform
        )

    def list_creators(self, where: CreatorFilter, limit: int | None = None) -> CreatorListing:
        """The creators ``where`` keeps, most followers first: at most ``limit``, and the total."""
        return CreatorListing(
            total=self.index.count_matching(where),
            shown=list(self.index.by_followers(where, limit)),
        )

    def iter_creators(self, where: CreatorFilter) -> Iterator[Creator]:
        """Every creator ``where`` keeps, most followers first, read a page at a time."""
        return self.index.by_followers(where)

    def export_roster(self, path: Path, *, overwrite: bool = False) -> int:
        """Write the roster to ``path`` in the import format (by its ending: CSV, JSON, JSON
        Lines), so importing it changes nothing; return how many creators were written."""
        if self.index.count() == 0:
            raise EmptyRosterError()
        return write_roster(
            self.index.iter_creators(),
            path,
            extra_columns=self.index.extra_columns(),
            overwrite=overwrite,
        )

    def remove_creator(self, handle: str, platform: str | None = None) -> CreatorRemoval:
        """Erase one creator everywhere (an erasure request): the index, the catalog, and every
        pick, feedback entry, snapshot entry and mention in the history.

        The history goes first: if the index then fails, the creator can still be found and the
        command run again.
        """
        bare = _bare_handle(handle, "Give the handle of a creator on the roster, like @janecooks.")
        keys = {c.key for c in self.index.find_handle(bare)} | keys_with_handle(self.history, bare)
        platforms = sorted(key.removesuffix(f":{bare}") for key in keys)
        if platform is not None:
            wanted = platform.strip().lower()
            if platforms and wanted not in platforms:
                raise StoryfitError(
                    f"@{bare} is not on {wanted}; it is on {', '.join(platforms)}. "
                    f"Run it again with --platform {platforms[0]}."
                )
            platforms = [wanted] if platforms else []
        if not platforms:
            raise UnknownHandleError(bare, self.index.suggest_handles(bare))
        if len(platforms) > 1:
            raise AmbiguousHandleError(bare, platforms)
        key = creator_key(platforms[0], bare)
        erased = erase_creator(self.history, key, bare)
        removed = self.index.remove([key])
        return CreatorRemoval(
            handle=bare,
            platform=platforms[0],
            index_record=bool(removed.index),
            catalog_entry=bool(removed.catalog),
            history=erased,
        )

    def recommend(
        self, request: RecommendRequest, *, on_usage: UsageListener | None = None
    ) -> Recommendation:
        """An explained macro/micro mix for a brief. With ``OPENAI_API_KEY`` set, the model also
        reads the brief, grades the candidates and words the explanations (``bot.llm``, imported
        only then); ``on_usage`` is told each model call's tokens."""
        if not self.settings.llm_enabled:
            return self.recommender.recommend(request)
        return self._assist().recommend(request, self.recommender, on_usage)

    def _assist(self) -> ModelAssist:
        if self._model_assist is None:
            from bot.llm import ModelAssist

            self._model_assist = ModelAssist(self.settings)
        return self._model_assist

    def lookalikes(self, key: str, n: int = 5, exclude: Sequence[str] = ()) -> list[Pick]:
        """Creators in the tier of ``key`` (``platform:handle`` or a handle) with close bios."""
        return self.recommender.lookalikes(key, n, exclude)

    def swap(
        self,
        request: RecommendRequest,
        current: Recommendation,
        key: str,
        *,
        on_usage: UsageListener | None = None,
    ) -> Recommendation:
        """``current`` with the pick ``key`` replaced by the next best of its side (with
        ``OPENAI_API_KEY`` set, best by the model's grade, then by score).

        The constraints ``current`` was answered under (read by the rules or by the model) are
        pinned, so a swap never brings in a creator the original answer's filters kept out.
        """
        pinned = request.model_copy(
            update={"objective": current.objective, **current.filters.model_dump()}
        )
        if not self.settings.llm_enabled:
            return self.recommender.swap(pinned, current, key)
        return self._assist().swap(pinned, current, key, self.recommender, on_usage)


def _bare_handle(handle: str, what_to_give: str) -> str:
    """``@JaneCooks`` -> ``janecooks``, or ``StoryfitError`` ending with ``what_to_give``."""
    try:
        return normalize_handle(handle)
    except ValueError:
        raise StoryfitError(f"“{handle.strip()}” is not a handle. {what_to_give}") from None

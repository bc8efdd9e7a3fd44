"""Chroma clients: the embedded store in a data dir (held under an exclusive lock, since it is
not process-safe, chroma #7040) or a Chroma server (``chroma run`` or Chroma Cloud, checked by a
heartbeat first), with Chroma's own token auth, tenant and database (``ServerAccess``)."""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import quote, urlsplit

import chromadb
import httpx
from chromadb.api import AdminAPI
from chromadb.api.client import Client as ChromaClient
from chromadb.auth.token_authn import TokenTransportHeader
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from filelock import FileLock, Timeout

from retrieval.errors import StoryfitError
from retrieval.ports import MAX_SEARCH_RESULTS
from retrieval.store.limits import MAX_COLLECTION_NAME_BYTES

#: Seconds to wait for a Chroma server's heartbeat before calling it unavailable.
HEARTBEAT_TIMEOUT = 3.0
#: Chroma's token auth: the token goes in this header, as Chroma Cloud expects it.
TOKEN_HEADER = TokenTransportHeader.X_CHROMA_TOKEN.value
_TOKEN_PROVIDER = "chromadb.auth.token_authn.TokenAuthClientProvider"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerAccess:
    """How to use a Chroma server beyond its URL: Chroma's own token auth (sent in
    ``TOKEN_HEADER`` with every request, the heartbeat included), the tenant and the database
    (Chroma's defaults when ``None``)."""

    token: str | None = None
    tenant: str | None = None
    database: str | None = None

    @property
    def tenant_name(self) -> str:
        return self.tenant or DEFAULT_TENANT

    @property
    def database_name(self) -> str:
        return self.database or DEFAULT_DATABASE

    def headers(self) -> dict[str, str]:
        return {TOKEN_HEADER: self.token} if self.token else {}

    def client_settings(self, host: str, port: int, ssl: bool) -> ChromaSettings:
        settings = _chroma_settings()
        if self.token:
            settings.chroma_client_auth_provider = _TOKEN_PROVIDER
            settings.chroma_client_auth_credentials = self.token
            settings.chroma_auth_token_transport_header = TOKEN_HEADER
        settings.chroma_api_impl = "chromadb.api.fastapi.FastAPI"
        settings.chroma_server_host = host
        settings.chroma_server_http_port = port
        settings.chroma_server_ssl_enabled = ssl
        return settings


class StoreBusyError(StoryfitError):
    """Another process owns the embedded store in this data dir."""


class ChromaUnavailableError(StoryfitError):
    """The configured Chroma server cannot be reached."""


def drop_collection(client: ChromaClient, name: str) -> None:
    with suppress(NotFoundError):
        client.delete_collection(name)


def _chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False)


def embedded_client(data_dir: Path) -> ChromaClient:
    client = chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=_chroma_settings())
    return cast(ChromaClient, client)


def server_client(url: str, access: ServerAccess | None = None) -> ChromaClient:
    """A client for the server at ``url`` (its tenant and database, with its token), after a
    quick heartbeat proves it is up; a database the server lacks is created, and said so."""
    access = access or ServerAccess()
    host, port, ssl = _server_address(url)
    web_host = f"[{host}]" if ":" in host else host
    api = f"{'https' if ssl else 'http'}://{web_host}:{port}/api/v2"
    tenant, database = access.tenant_name, access.database_name
    _answer(url, f"{api}/heartbeat", access)
    if _answer(url, f"{api}/tenants/{quote(tenant, safe='')}", access) == 404:
        raise ChromaUnavailableError(
            f"The Chroma server at {url} has no tenant {tenant!r}. Set STORYFIT_CHROMA_TENANT to "
            "a tenant it has (on Chroma Cloud: your team's tenant id), or unset it to use "
            f"{DEFAULT_TENANT!r}."
        )
    settings = access.client_settings(host, port, ssl)
    database_path = f"{api}/tenants/{quote(tenant, safe='')}/databases/{quote(database, safe='')}"
    try:
        if _answer(url, database_path, access) == 404:
            _create_database(chromadb.AdminClient(settings), url, access)
        client = chromadb.HttpClient(
            host=host, port=port, ssl=ssl, settings=settings, tenant=tenant, database=database
        )
    except httpx.TransportError as error:
        raise ChromaUnavailableError(_unavailable_message(url, error)) from error
    return cast(ChromaClient, client)


def _answer(url: str, address: str, access: ServerAccess) -> int:
    """GET ``address`` with the token: 200, or 404 for something the server lacks; any other
    answer (a refused token, no server) raises ``ChromaUnavailableError`` saying what to do."""
    request = urllib.request.Request(address, headers=access.headers())
    try:
        with urllib.request.urlopen(request, timeout=HEARTBEAT_TIMEOUT) as response:
            json.load(response)
            return int(response.status)
    except urllib.error.HTTPError as error:
        if error.code == 404 and not address.endswith("/heartbeat"):
            return 404
        if error.code in (401, 403):
            raise ChromaUnavailableError(_refused_message(url, error.code, access)) from error
        raise ChromaUnavailableError(_unavailable_message(url, error)) from error
    except (OSError, ValueError) as error:
        raise ChromaUnavailableError(_unavailable_message(url, error)) from error


def _create_database(admin: AdminAPI, url: str, access: ServerAccess) -> None:
    """Create the configured database, and say so; a server that refuses stops with what to
    do."""
    tenant, database = access.tenant_name, access.database_name
    try:
        admin.create_database(database, tenant=tenant)
    except httpx.TransportError:
        raise
    except Exception as error:  # chromadb raises a bare Exception for answers it cannot map
        raise ChromaUnavailableError(
            f"The Chroma server at {url} has no database {database!r} in tenant {tenant!r}, and "
            f"it refused to create one ({_first_line(error)}). Create it (on Chroma Cloud: "
            f"`chroma db create {database}` or the dashboard), or unset STORYFIT_CHROMA_DATABASE "
            f"to use {DEFAULT_DATABASE!r}."
        ) from error
    log.warning(
        "The Chroma server at %s had no database %r in tenant %r; Storyfit created it.",
        url,
        database,
        tenant,
    )


def _refused_message(url: str, status: int, access: ServerAccess) -> str:
    problem = "refused the token in STORYFIT_CHROMA_TOKEN" if access.token else "wants a token"
    return (
        f"The Chroma server at {url} {problem} (HTTP {status}). Set STORYFIT_CHROMA_TOKEN to the "
        "token the server was given (Chroma Cloud: an API key of that database)."
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _server_address(url: str) -> tuple[str, int, bool]:
    """``(host, port, ssl)`` from ``http(s)://host[:port]``; Chroma's port 8000 by default."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        raise ChromaUnavailableError(
            f"STORYFIT_CHROMA_URL {url!r} is not a Chroma server address; write it like "
            "http://localhost:8000, or unset it to use the embedded store in the data dir."
        )
    ssl = parts.scheme == "https"
    return parts.hostname, port or (443 if ssl else 8000), ssl


def _unavailable_message(url: str, error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        reason = f"it answered HTTP {error.code}; is it a Chroma server?"
    elif isinstance(error, urllib.error.URLError):
        reason = str(error.reason)
    else:
        reason = _first_line(error)
    return (
        f"Cannot reach the Chroma server at {url} ({reason}). Start it (for example "
        "`chroma run --host 0.0.0.0 --port 8000 --path /var/lib/storyfit/chroma`), or unset "
        "STORYFIT_CHROMA_URL to use the embedded store in the data dir."
    )


@contextmanager
def reaching(server_url: str | None) -> Iterator[None]:
    """Turn a lost connection to a Chroma server into ``ChromaUnavailableError``."""
    try:
        yield
    except httpx.TransportError as error:
        if server_url is None:
            raise
        raise ChromaUnavailableError(_unavailable_message(server_url, error)) from error


#: Seconds a process that waits for an import to hand over the store waits at most.
HANDOVER_WAIT = 120.0
#: How often a waiting process retries the lock and says it is still waiting.
_WAIT_POLL = 0.2
#: A waiting mark older than this is left from a process that gave up.
_WAITING_FRESH = 2.0


class StoreLock:
    """An exclusive, non-blocking lock on a data dir, with the owner's pid and command beside it.

    An owner that shares the store (a long import, ``share``) hands it over between its batches to
    a process that waits for it (``wait``): the waiter marks ``store.lock.waiting`` while it polls
    the lock, the owner sees the mark, closes its client, lets go and takes the lock back after.
    """

    def __init__(self, data_dir: Path, *, wait: float = 0.0) -> None:
        self._data_dir = data_dir
        self._owner_file = data_dir / "store.lock.owner"
        self._waiting_file = data_dir / "store.lock.waiting"
        self._lock = FileLock(data_dir / "store.lock", thread_local=False, blocking=False)
        try:
            self._lock.acquire()
        except Timeout:
            if not (wait > 0 and self._owner().get("shares")) or not self._wait_for_turn(wait):
                raise StoreBusyError(self._busy_message()) from None
        self._write_owner(shares=False)

    def _owner(self) -> dict[str, object]:
        try:
            owner = json.loads(self._owner_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return owner if isinstance(owner, dict) else {}

    def _write_owner(self, *, shares: bool) -> None:
        command = shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])
        owner = {"pid": os.getpid(), "command": command, "shares": shares}
        self._owner_file.write_text(json.dumps(owner), encoding="utf-8")

    def _wait_for_turn(self, wait: float) -> bool:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            self._waiting_file.touch()
            try:
                self._lock.acquire(timeout=_WAIT_POLL, blocking=True)
            except Timeout:
                continue
            self._waiting_file.unlink(missing_ok=True)
            return True
        return False

    def share(self) -> None:
        """Say that this owner hands the store over to waiting processes (see ``hand_over``)."""
        self._write_owner(shares=True)

    def someone_waits(self) -> bool:
        try:
            age = time.time() - self._waiting_file.stat().st_mtime
        except FileNotFoundError:
            return False
        return age < _WAITING_FRESH

    def hand_over(self, client: ChromaClient) -> ChromaClient:
        """Close ``client``, let a waiting process have the store, take it back when that process
        is done and return a new client on it."""
        client.close()
        self.release()
        handed = time.monotonic() + _WAITING_FRESH
        while self._waiting_file.exists() and time.monotonic() < handed:
            time.sleep(_WAIT_POLL / 4)
        self._lock.acquire(blocking=True, timeout=-1)
        self._write_owner(shares=True)
        return embedded_client(self._data_dir)

    def release(self) -> None:
        if self._lock.is_locked:
            self._owner_file.unlink(missing_ok=True)
            self._lock.release()

    def _busy_message(self) -> str:
        owner = self._owner()
        who = (
            f"process {owner['pid']} (`{owner['command']}`)"
            if "pid" in owner and "command" in owner
            else "another process"
        )
        return (
            f"The Storyfit store in {self._data_dir} is in use by {who}; the embedded Chroma "
            "store serves one process at a time. Stop that process and retry, or run every "
            "Storyfit process against one Chroma server: start `chroma run --path DIR` and set "
            "STORYFIT_CHROMA_URL=http://localhost:8000."
        )


#: Characters kept free at the end of a collection name for a ``.build-``/``.old-`` suffix.
_SIDE_SUFFIX_ROOM = 20


def connect(
    data_dir: Path,
    chroma_url: str | None,
    *,
    wait: float = 0.0,
    access: ServerAccess | None = None,
) -> tuple[ChromaClient, StoreLock | None]:
    """A Chroma client: the embedded store (holding the data dir's lock, waiting up to ``wait``
    seconds for an import that shares it) or the server (used with ``access``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if chroma_url is not None:
        return server_client(chroma_url, access), None
    lock = StoreLock(data_dir, wait=wait)
    try:
        return embedded_client(data_dir), lock
    except BaseException:
        lock.release()
        raise


def _side_prefix(collection: str, role: str) -> str:
    """The name prefix of ``collection``'s side collections (``build`` and ``old``)."""
    return f"{collection[: MAX_COLLECTION_NAME_BYTES - _SIDE_SUFFIX_ROOM]}.{role}-"


def side_collection_name(collection: str, role: str) -> str:
    """A new name beside ``collection`` for a re-index's ``build`` or a switched-out ``old``."""
    return f"{_side_prefix(collection, role)}{uuid.uuid4().hex[:12]}"


def _collection_names(client: ChromaClient) -> Iterator[str]:
    """Every collection's name, a page of at most ``MAX_SEARCH_RESULTS`` at a time."""
    offset = 0
    while page := client.list_collections(limit=MAX_SEARCH_RESULTS, offset=offset):
        yield from (collection.name for collection in page)
        offset += len(page)


def _side_collections(client: ChromaClient, collection: str, role: str) -> list[str]:
    prefix = _side_prefix(collection, role)
    return [name for name in _collection_names(client) if name.startswith(prefix)]


def restore_interrupted_switch(client: ChromaClient, collection: str) -> None:
    """Put the old collection back when a re-index stopped between its two renames."""
    retired = _side_collections(client, collection, "old")
    if retired and collection not in set(_collection_names(client)):
        client.get_collection(retired[0], embedding_function=None).modify(name=collection)


def drop_side_collections(client: ChromaClient, collection: str) -> None:
    """Drop what earlier re-indexes left: abandoned builds and switched-out collections."""
    for role in ("build", "old"):
        for name in _side_collections(client, collection, role):
            drop_collection(client, name)


def switch_collection(client: ChromaClient, built: str, collection: str) -> None:
    """Make the collection ``built`` the one named ``collection``; the old one is dropped last,
    so an interruption in between leaves it to ``restore_interrupted_switch``."""
    retired = side_collection_name(collection, "old")
    with suppress(NotFoundError):
        client.get_collection(collection, embedding_function=None).modify(name=retired)
    client.get_collection(built, embedding_function=None).modify(name=collection)
    drop_collection(client, retired)

"""Chroma clients: the embedded store in a data dir (held under an exclusive lock, since it is
not process-safe, chroma #7040) or a ``chroma run`` server (checked by a heartbeat first)."""

from __future__ import annotations

import json
import os
import shlex
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import chromadb
import httpx
from chromadb.api.client import Client as ChromaClient
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from filelock import FileLock, Timeout

from retrieval.errors import StoryfitError

#: Seconds to wait for a Chroma server's heartbeat before calling it unavailable.
HEARTBEAT_TIMEOUT = 3.0


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


def server_client(url: str) -> ChromaClient:
    """A client for the server at ``url``, after a quick heartbeat proves it is up."""
    host, port, ssl = _server_address(url)
    web_host = f"[{host}]" if ":" in host else host
    heartbeat = f"{'https' if ssl else 'http'}://{web_host}:{port}/api/v2/heartbeat"
    try:
        with urllib.request.urlopen(heartbeat, timeout=HEARTBEAT_TIMEOUT) as response:
            json.load(response)
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=_chroma_settings())
        return cast(ChromaClient, client)
    except (OSError, ValueError) as error:
        raise ChromaUnavailableError(_unavailable_message(url, error)) from error


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
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
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


class StoreLock:
    """An exclusive, non-blocking lock on a data dir, with the owner's pid and command beside it."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._owner_file = data_dir / "store.lock.owner"
        self._lock = FileLock(data_dir / "store.lock", thread_local=False, blocking=False)
        try:
            self._lock.acquire()
        except Timeout:
            raise StoreBusyError(self._busy_message()) from None
        owner = {"pid": os.getpid(), "command": shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])}
        self._owner_file.write_text(json.dumps(owner), encoding="utf-8")

    def release(self) -> None:
        if self._lock.is_locked:
            self._owner_file.unlink(missing_ok=True)
            self._lock.release()

    def _busy_message(self) -> str:
        try:
            owner = json.loads(self._owner_file.read_text(encoding="utf-8"))
            who = f"process {owner['pid']} (`{owner['command']}`)"
        except (OSError, ValueError, KeyError, TypeError):
            who = "another process"
        return (
            f"The Storyfit store in {self._data_dir} is in use by {who}; the embedded Chroma "
            "store serves one process at a time. Stop that process and retry, or run every "
            "Storyfit process against one Chroma server: start `chroma run --path DIR` and set "
            "STORYFIT_CHROMA_URL=http://localhost:8000."
        )

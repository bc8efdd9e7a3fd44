"""A local HTTP server that speaks enough of the Slack Web API for the bot, recording every call.

Point a ``WebClient`` at ``server.api_url``. Every request is recorded with its decoded body
(JSON or form; ``blocks``, ``view`` and ``files`` sent as JSON strings are decoded too). Messages
and views breaking Block Kit limits are refused with ``invalid_blocks`` / ``invalid_arguments``,
as Slack refuses them. ``rate_limit_once`` makes the next call of a method answer 429 with
``Retry-After``; ``fail_once`` makes it answer ``{"ok": false, "error": ...}``; ``delay_once``
answers it late; ``drop_once`` records the next call of a method and closes the connection
without answering (a lost reply).

``users.info`` reports the roles in ``WORKSPACE_ROLES`` (everyone else is a plain member);
``leave(channel)`` takes the bot out of a channel: ``chat.postMessage`` there answers
``not_in_channel``, as Slack does for an app without ``chat:write.public``.

Installing through OAuth: ``grant(code, workspace)`` is Slack's side of an approved install, so
``oauth.v2.access`` (with ``CLIENT_ID`` / ``CLIENT_SECRET`` as Basic auth) trades ``code`` once for
that workspace's bot token; ``auth.test`` and ``users.info`` then answer with the token's team.
``revoke(team_id)`` makes that team's tokens answer ``token_revoked``, as after an uninstall.

Lazy listeners finish after the HTTP response: ``wait_for`` polls the recorded calls until a
deadline instead of sleeping a fixed time.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.support.block_kit_limits import block_problems, view_problems

BOT_USER_ID = "U0STORYBOT"
BOT_ID = "B0STORYBOT"
TEAM_ID = "T0STORYFIT"
#: Methods whose ``blocks`` are a message's (at most 50).
_MESSAGE_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral"}
_VIEW_METHODS = {"views.open", "views.publish", "views.update", "views.push"}
_JSON_FIELDS = ("blocks", "view", "files", "attachments")
#: Slack roles of the workspace's users, as ``users.info`` flags them.
WORKSPACE_OWNER = "U0OWNER"
WORKSPACE_ADMIN = "U0WSADMIN"
WORKSPACE_ROLES = {
    "U0PRIMARY": "is_primary_owner",
    WORKSPACE_OWNER: "is_owner",
    WORKSPACE_ADMIN: "is_admin",
}
_DROP = (0, {}, {})
#: The Slack app's credentials for ``oauth.v2.access``.
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "storyfit-test-client-secret"
APP_ID = "A0STORYFIT"


@dataclass(frozen=True)
class MockWorkspace:
    """A workspace the app is installed into: its team and the bot token Slack grants it."""

    team_id: str
    name: str
    bot_token: str
    installer: str = "U0INSTALLER"


_DEFAULT_WORKSPACE = MockWorkspace(TEAM_ID, "Storyfit Test", "xoxb-storyfit-test")


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # bursts of lazy listeners calling at once
    daemon_threads = True


@dataclass(frozen=True)
class RecordedCall:
    method: str
    """The Web API method, ``upload`` for a file's bytes, or ``response_url``."""
    body: dict[str, Any]
    raw: bytes
    headers: dict[str, str]
    status: int
    ok: bool = True
    """Whether the call succeeded (HTTP 200 and ``"ok": true``)."""
    at: float = field(default_factory=time.monotonic)


def _decode(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    text = raw.decode("utf-8", errors="replace")
    body: dict[str, Any]
    if "json" in content_type or text.startswith("{"):
        body = json.loads(text) if text else {}
    else:
        body = {key: values[0] for key, values in parse_qs(text or query).items()}
    for key in _JSON_FIELDS:
        if isinstance(body.get(key), str):
            with contextlib.suppress(json.JSONDecodeError):
                body[key] = json.loads(body[key])
    return body


class SlackMockServer:
    """Start with ``with SlackMockServer() as slack:``; ``slack.api_url`` is the base URL."""

    def __init__(self) -> None:
        self._calls: list[RecordedCall] = []
        self._lock = threading.Lock()
        self._scripted: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self.uploads: dict[str, bytes] = {}
        self.shared_files: dict[str, tuple[str, bytes]] = {}
        """Files people shared: id -> (name, content), for ``files.info`` and their download."""
        self.outside: set[str] = set()
        """Channels the bot is not a member of."""
        self.socket_mode_url = "ws://127.0.0.1:9/unset"
        """What ``apps.connections.open`` (called with an ``xapp-`` token) answers."""
        self._grants: dict[str, MockWorkspace] = {}
        self._installed: dict[str, MockWorkspace] = {}
        """Bot token -> its workspace, for tokens granted through ``oauth.v2.access``."""
        self._revoked: set[str] = set()
        self._delays: dict[str, list[tuple[float, threading.Event]]] = {}
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> SlackMockServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.url}/response/{name}"

    # -- scripting and inspection ----------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._scripted.clear()
            self.uploads.clear()
            self.shared_files.clear()
            self.outside.clear()
            self._grants.clear()
            self._installed.clear()
            self._revoked.clear()
            self._delays.clear()

    def grant(self, code: str, workspace: MockWorkspace) -> None:
        """Someone approved installing the app in ``workspace``; Slack redirects with ``code``."""
        with self._lock:
            self._grants[code] = workspace

    def revoke(self, team_id: str) -> None:
        """The app was uninstalled from ``team_id``: its bot tokens answer ``token_revoked``."""
        with self._lock:
            self._revoked |= {
                token for token, space in self._installed.items() if space.team_id == team_id
            }

    def workspace_of(self, token: str) -> MockWorkspace:
        """The workspace a bot token was granted for (the default workspace for other tokens)."""
        with self._lock:
            return self._installed.get(token, _DEFAULT_WORKSPACE)

    def _oauth_access(self, authorization: str, body: dict[str, Any]) -> dict[str, Any]:
        """``oauth.v2.access``: the app's credentials as Basic auth and a code, used once."""
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            return {"ok": False, "error": "invalid_client_id"}
        with self._lock:
            workspace = self._grants.pop(str(body.get("code")), None)
            if workspace is None:
                return {"ok": False, "error": "invalid_code"}
            self._installed[workspace.bot_token] = workspace
        return {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": workspace.installer},
            "scope": "app_mentions:read,chat:write,commands",
            "token_type": "bot",
            "access_token": workspace.bot_token,
            "bot_user_id": BOT_USER_ID,
            "team": {"id": workspace.team_id, "name": workspace.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def share_file(self, name: str, content: bytes) -> str:
        """A file someone shared (sent the bot in a DM); returns its id for the event."""
        file_id = f"F{next(self._ids):06d}"
        with self._lock:
            self.shared_files[file_id] = (name, content)
        return file_id

    def _file_info(self, file_id: str) -> dict[str, Any]:
        shared = self.shared_files.get(file_id)
        if shared is None:
            return {"ok": False, "error": "file_not_found"}
        name, content = shared
        download = f"{self.url}/files-pri/{file_id}/{name}"
        info = {"id": file_id, "name": name, "size": len(content), "url_private": download}
        return {"ok": True, "file": {**info, "url_private_download": download}}

    def leave(self, channel: str) -> None:
        """The bot is no longer a member of ``channel`` (until ``reset``)."""
        with self._lock:
            self.outside.add(channel)

    def drop_once(self, method: str) -> None:
        """The next call of ``method`` is recorded, then its connection closed unanswered."""
        self._script(method, *_DROP)

    def rate_limit_once(self, method: str, retry_after: int = 1) -> None:
        """The next call of ``method`` answers 429 with ``Retry-After: retry_after``."""
        self._script(
            method, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        )

    def delay_once(self, method: str, seconds: float) -> threading.Event:
        """The next call of ``method`` is answered only after ``seconds`` (a slow Slack); the
        event returned is set once that call has arrived and is being held."""
        arrived = threading.Event()
        with self._lock:
            self._delays.setdefault(method, []).append((seconds, arrived))
        return arrived

    def fail_once(self, method: str, error: str) -> None:
        """The next call of ``method`` answers ``{"ok": false, "error": error}``."""
        self._script(method, 200, {"ok": False, "error": error}, {})

    def _script(
        self, method: str, status: int, body: dict[str, Any], headers: dict[str, str]
    ) -> None:
        with self._lock:
            self._scripted.setdefault(method, []).append((status, body, headers))

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        with self._lock:
            return [call for call in self._calls if method is None or call.method == method]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        where: Callable[[RecordedCall], bool] = lambda _: True,
        timeout: float = 30.0,
    ) -> list[RecordedCall]:
        """The successful calls of ``method`` matching ``where``, once there are ``count``."""
        deadline = time.monotonic() + timeout
        while True:
            found = [call for call in self.calls(method) if call.ok and where(call)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [call.method for call in self.calls()]
                raise AssertionError(
                    f"waited {timeout:g}s for {count} {method} call(s), got {len(found)}; "
                    f"calls so far: {seen}"
                )
            time.sleep(0.02)

    def settle(self, quiet: float = 0.5, timeout: float = 30.0) -> None:
        """Wait until no call has arrived for ``quiet`` seconds (for asserting an absence)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls()
            last = calls[-1].at if calls else 0.0
            if time.monotonic() - last >= quiet:
                return
            time.sleep(0.05)

    # -- answering -------------------------------------------------------------------------

    def _answer(
        self, method: str, body: dict[str, Any], token: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            delays = self._delays.get(method)
            delay = delays.pop(0) if delays else None
        if delay is not None:
            delay[1].set()
            time.sleep(delay[0])
        with self._lock:
            scripted = self._scripted.get(method)
            if scripted:
                return scripted.pop(0)
            if token in self._revoked:
                return 200, {"ok": False, "error": "token_revoked"}, {}
        if method in _MESSAGE_METHODS and isinstance(body.get("blocks"), list):
            problems = block_problems(body["blocks"])
            if problems:
                return 200, {"ok": False, "error": "invalid_blocks", "errors": problems}, {}
        if method in _VIEW_METHODS and isinstance(body.get("view"), dict):
            problems = view_problems(body["view"])
            if problems:
                return 200, {"ok": False, "error": "invalid_arguments", "errors": problems}, {}
        return 200, self._success(method, body, self.workspace_of(token)), {}

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _success(
        self, method: str, body: dict[str, Any], workspace: MockWorkspace
    ) -> dict[str, Any]:
        channel = body.get("channel") or body.get("channel_id") or "C0TEST"
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://storyfit-test.slack.com/",
                "team": workspace.name,
                "user": "storyfit",
                "team_id": workspace.team_id,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "users.info":
            user = str(body.get("user"))
            role = WORKSPACE_ROLES.get(user)
            flags = {flag: flag == role for flag in ("is_admin", "is_owner", "is_primary_owner")}
            return {"ok": True, "user": {"id": user, "team_id": workspace.team_id, **flags}}
        if method == "conversations.info":
            return {
                "ok": True,
                "channel": {"id": channel, "is_member": channel not in self.outside},
            }
        if method == "chat.postMessage" and channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        if method == "chat.postMessage":
            ts = self._next_ts()
            message = {"ts": ts, "text": body.get("text"), "bot_id": BOT_ID, "user": BOT_USER_ID}
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": body.get("ts"), "text": body.get("text")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in _VIEW_METHODS:
            return {"ok": True, "view": {"id": f"V{next(self._ids):06d}", **body.get("view", {})}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):06d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = body.get("files") or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "files.info":
            return self._file_info(str(body.get("file")))
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D0STORYFIT"}}
        if method in ("conversations.history", "conversations.replies"):
            return {"ok": True, "messages": []}
        if method.startswith("conversations."):
            return {"ok": True, "channel": {"id": channel}}
        return {"ok": True}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the recorded calls are the log."""

            def _reply(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                parsed = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                path = parsed.path
                if path.startswith("/upload/"):
                    mock.uploads[path.removeprefix("/upload/")] = raw
                    mock._record(RecordedCall("upload", {"file_id": path[8:]}, raw, headers, 200))
                    self._reply(200, {"ok": True}, {})
                    return
                if path.startswith("/files-pri/"):
                    self._download(path.split("/")[2], headers)
                    return
                body = _decode(raw, headers.get("content-type", ""), parsed.query)
                if path.startswith("/response/"):
                    mock._record(RecordedCall("response_url", body, raw, headers, 200))
                    self._reply(200, {"ok": True}, {})
                    return
                method = path.removeprefix("/api/")
                token = headers.get("authorization", "")
                if method == "apps.connections.open" and token.startswith("Bearer xapp-"):
                    status, payload, extra = 200, {"ok": True, "url": mock.socket_mode_url}, {}
                elif method == "oauth.v2.access":
                    status, payload, extra = 200, mock._oauth_access(token, body), {}
                elif method == "api.test":  # Slack answers it without a token
                    status, payload, extra = 200, {"ok": True, "args": body}, {}
                elif not token.startswith("Bearer xoxb-"):
                    status, payload, extra = 200, {"ok": False, "error": "not_authed"}, {}
                else:
                    status, payload, extra = mock._answer(method, body, token[len("Bearer ") :])
                ok = status == 200 and bool(payload.get("ok"))
                mock._record(RecordedCall(method, body, raw, headers, status, ok))
                if (status, payload, extra) == _DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._reply(status, payload, extra)

            def _download(self, file_id: str, headers: dict[str, str]) -> None:
                """A shared file's ``url_private``: its bytes with the bot token, else 403."""
                shared = mock.shared_files.get(file_id)
                authorised = headers.get("authorization", "").startswith("Bearer xoxb-")
                status = 200 if shared and authorised else 403 if shared else 404
                mock._record(RecordedCall("download", {"file_id": file_id}, b"", headers, status))
                data = shared[1] if status == 200 and shared else b"no"
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

        return Handler

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)

    def iter_blocks_text(self, method: str) -> Iterator[str]:
        """Every text in the blocks of every successful call of ``method`` (for assertions)."""
        for call in self.calls(method):
            if call.ok:
                yield json.dumps(call.body.get("blocks") or call.body.get("view") or {})

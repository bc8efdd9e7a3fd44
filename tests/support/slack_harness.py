"""The bot as Slack sees it: the real app on uvicorn, signed requests, a mock Web API.

Fixtures (import them into a test module):

- ``slack_mock``: the session's ``SlackMockServer``.
- ``slack_service``: the real ``StoryfitService`` over the bundled sample roster, imported once.
- ``slack``: a ``SlackRequests`` for the app served on a loopback port, the mock's record cleared.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
import uvicorn
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette

from bot.observability.metrics import Metrics
from bot.observability.readiness import service_readiness
from bot.observability.routes import Operations
from bot.server import EVENTS_PATH, build_asgi, open_app
from bot.service import StoryfitService
from bot.settings import Settings, load_settings
from bot.workspaces import Workspaces
from tests.conftest import REPO, SAMPLE_ROSTER, free_port
from tests.support.slack_mock_server import BOT_USER_ID, TEAM_ID, SlackMockServer

SIGNING_SECRET = "storyfit-test-signing-secret"
BOT_TOKEN = "xoxb-storyfit-test"
USER = "U0ALICE"
ADMIN = "U0ADMIN"
CHANNEL = "C0BRANDS"
DM_CHANNEL = "D0ALICE"


class ServerThread:
    """uvicorn serving ``asgi`` in a thread on a free loopback port."""

    def __init__(self, asgi: Starlette) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(asgi, access_log=False, lifespan="off", log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()
        return f"http://{host}:{port}"

    def __enter__(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature (v0) for ``body`` sent at ``timestamp``."""
    return SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive)."""
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


_event_ids = itertools.count(1)
_triggers = itertools.count(1)
_ts = itertools.count(1)


def new_ts() -> str:
    return f"1710000000.{next(_ts):06d}"


@dataclass(frozen=True)
class SlackRequests:
    """Requests to the app as Slack sends them: signed with the signing secret."""

    base_url: str
    mock: SlackMockServer
    secret: str = SIGNING_SECRET
    team: str = TEAM_ID
    """The workspace every request comes from."""

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        path: str = EVENTS_PATH,
    ) -> Reply:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or sign(self.secret, stamp, body),
            **(headers or {}),
        }
        url = urlparse(self.base_url)
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
        try:
            connection.request("POST", path, body=body.encode(), headers=sent)
            response = connection.getresponse()
            return Reply(response.status, response.read().decode())
        finally:
            connection.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        url = urlparse(self.base_url)
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            body = response.read().decode()
            return Reply(response.status, body, tuple(response.getheaders()))
        finally:
            connection.close()

    def post_json(self, payload: dict[str, Any], **options: Any) -> Reply:
        return self.post(json.dumps(payload), "application/json", **options)

    def post_form(self, fields: dict[str, str], **options: Any) -> Reply:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **options)

    def post_interaction(self, payload: dict[str, Any], **options: Any) -> Reply:
        return self.post_form({"payload": json.dumps(payload)}, **options)

    # -- Events API ------------------------------------------------------------------------

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> Reply:
        body = {
            "token": "legacy",
            "team_id": self.team,
            "api_app_id": "A0STORYFIT",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team, "user_id": BOT_USER_ID, "is_bot": True}],
            "event": event,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post_json(body, headers=headers)

    def mention(
        self,
        text: str,
        *,
        ts: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> tuple[Reply, str]:
        """``@Storyfit text`` in a channel; returns the reply and the message's ts."""
        ts = ts or new_ts()
        event = {
            "type": "app_mention",
            "user": USER,
            "text": f"<@{BOT_USER_ID}> {text}",
            "ts": ts,
            "channel": CHANNEL,
            "event_ts": ts,
        }
        return self.event(event, event_id=event_id, retry_num=retry_num), ts

    def direct_message(self, text: str, **extra: Any) -> tuple[Reply, str]:
        ts = new_ts()
        event = {
            "type": "message",
            "channel_type": "im",
            "user": USER,
            "text": text,
            "ts": ts,
            "channel": DM_CHANNEL,
            "event_ts": ts,
            **extra,
        }
        return self.event(event), ts

    # -- slash commands, buttons, shortcuts, modals ----------------------------------------

    def command(
        self,
        command: str,
        text: str,
        *,
        user: str = USER,
        trigger_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """A slash command; each gets its own ``trigger_id`` unless one is given (a redelivery)."""
        return self.post_form(
            {
                "token": "legacy",
                "team_id": self.team,
                "channel_id": CHANNEL,
                "channel_name": "brands",
                "user_id": user,
                "user_name": "alice",
                "command": command,
                "text": text,
                "api_app_id": "A0STORYFIT",
                "response_url": self.mock.response_url(command.strip("/")),
                "trigger_id": trigger_id or f"1337.{next(_triggers)}.abcd",
            },
            headers=headers,
        )

    def click(
        self,
        action_id: str,
        value: str,
        *,
        message_ts: str,
        thread_ts: str | None = None,
        channel: str = CHANNEL,
        user: str = USER,
    ) -> Reply:
        message: dict[str, Any] = {"type": "message", "ts": message_ts, "bot_id": "B0STORYBOT"}
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
            container["thread_ts"] = thread_ts
        return self.post_interaction(
            {
                "type": "block_actions",
                "team": {"id": self.team},
                "user": {"id": user},
                "api_app_id": "A0STORYFIT",
                "container": container,
                "channel": {"id": channel},
                "message": message,
                "trigger_id": "1337.43.abcd",
                "response_url": self.mock.response_url("action"),
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": "b",
                        "value": value,
                        "action_ts": new_ts(),
                    }
                ],
            }
        )

    def shortcut(
        self, callback_id: str, *, user: str = USER, message: dict[str, Any] | None = None
    ) -> Reply:
        """A global shortcut, or a message shortcut on ``message`` when given."""
        on_message = {"message": message, "channel": {"id": CHANNEL}} if message else {}
        return self.post_interaction(
            {
                "type": "message_action" if message else "shortcut",
                **on_message,
                "team": {"id": self.team},
                "user": {"id": user},
                "api_app_id": "A0STORYFIT",
                "callback_id": callback_id,
                "trigger_id": "1337.44.abcd",
                "action_ts": new_ts(),
            }
        )

    def submit_view(self, callback_id: str, values: dict[str, Any], *, user: str = USER) -> Reply:
        return self.post_interaction(
            {
                "type": "view_submission",
                "team": {"id": self.team},
                "user": {"id": user},
                "api_app_id": "A0STORYFIT",
                "trigger_id": "1337.45.abcd",
                "view": {
                    "id": "V0MODAL",
                    "type": "modal",
                    "callback_id": callback_id,
                    "state": {"values": values},
                    "private_metadata": "",
                },
            }
        )


def storyfit_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from bot.cli import main; main()", *args]


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "STORYFIT_", "OPENAI_"))
    }
    env["STORYFIT_EMBEDDING_MODEL_DIR"] = os.environ["STORYFIT_EMBEDDING_MODEL_DIR"]
    env["STORYFIT_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(REPO)
    return {**env, **extra}


def wait_until_healthy(
    slack: SlackRequests, server: subprocess.Popen[str], timeout: float = 120
) -> None:
    """Poll ``/healthz`` of a ``storyfit serve`` process until it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if slack.get("/healthz").status == 200:
                return
        except OSError:
            pass
        if server.poll() is not None:
            raise AssertionError(
                f"storyfit serve exited: {server.stderr.read() if server.stderr else ''}"
            )
        if time.monotonic() > deadline:
            raise AssertionError("storyfit serve did not start")
        time.sleep(0.2)


@contextmanager
def serving(
    data_dir: Path, slack_mock: SlackMockServer, *, log_file: Path | None = None, **extra_env: str
) -> Iterator[SlackRequests]:
    """``storyfit serve`` as a real process on a free loopback port, healthy, stopped after;
    its log lines (stderr) go to ``log_file`` when given."""
    port = free_port()
    with ExitStack() as log:
        stderr = log.enter_context(log_file.open("w")) if log_file else subprocess.PIPE
        server = subprocess.Popen(
            storyfit_command("serve", "--host", "127.0.0.1", "--port", str(port)),
            env=clean_env(data_dir, STORYFIT_SLACK_API_URL=slack_mock.api_url, **extra_env),
            cwd=data_dir,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    try:
        slack = SlackRequests(f"http://127.0.0.1:{port}", slack_mock)
        wait_until_healthy(slack, server)
        yield slack
    finally:
        server.terminate()
        server.wait(timeout=30)


def slack_settings_for(data_dir: Path, model_dir: Path, api_url: str) -> Settings:
    """Settings for a test app: explicit values, whatever the environment holds."""
    return load_settings(
        data_dir=data_dir,
        embedding_model_dir=model_dir,
        embedding="local",
        chroma_url=None,
        database_url=None,
        openai_api_key=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=None,
        slack_api_url=api_url,
        admin_users=[ADMIN],
    )


@pytest.fixture(scope="session")
def slack_mock() -> Iterator[SlackMockServer]:
    with SlackMockServer() as mock:
        yield mock


@pytest.fixture(scope="session")
def slack_settings(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path, slack_mock: SlackMockServer
) -> Settings:
    settings = slack_settings_for(
        tmp_path_factory.mktemp("slack-data"), model_dir, slack_mock.api_url
    )
    with StoryfitService(settings) as service:
        service.import_roster(SAMPLE_ROSTER)
    return settings


@pytest.fixture(scope="session")
def slack_workspaces(slack_settings: Settings) -> Iterator[Workspaces]:
    """The single workspace (``per_team`` false), as ``storyfit serve`` opens it."""
    with Workspaces(slack_settings, per_team=False) as workspaces:
        yield workspaces


@pytest.fixture(scope="session")
def slack_service(slack_workspaces: Workspaces) -> StoryfitService:
    return slack_workspaces.service(None)


@pytest.fixture(scope="session")
def slack_server(
    slack_settings: Settings, slack_workspaces: Workspaces, slack_mock: SlackMockServer
) -> Iterator[SlackRequests]:
    metrics = Metrics()
    app = open_app(slack_settings, slack_workspaces, metrics)
    readiness = service_readiness(slack_settings, slack_workspaces.service(None))
    with ServerThread(build_asgi(app, Operations("http", metrics, readiness))) as server:
        yield SlackRequests(server.url, slack_mock)


@pytest.fixture
def slack(slack_server: SlackRequests, slack_mock: SlackMockServer) -> SlackRequests:
    """The served app, after the previous test's lazy work has finished and been forgotten."""
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    return slack_server

"""``storyfit serve`` with SLACK_APP_TOKEN: Socket Mode against a local WebSocket server."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.support.metrics_page import metric
from tests.support.slack_harness import CHANNEL, USER, serving, slack_mock
from tests.support.slack_mock_server import BOT_USER_ID, TEAM_ID, SlackMockServer

__all__ = ["slack_mock"]


class SocketModeServer:
    """Slack's side of a Socket Mode connection: says hello, sends envelopes, collects acks."""

    def __init__(self) -> None:
        self.outbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def _handle(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        self.connected.set()
        try:
            while True:
                with contextlib.suppress(queue.Empty):
                    connection.send(json.dumps(self.outbox.get(timeout=0.05)))
                with contextlib.suppress(TimeoutError):
                    self.acks.put(json.loads(connection.recv(timeout=0.05)))
        except ConnectionClosed:
            return

    def __enter__(self) -> SocketModeServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()


@pytest.fixture
def socket_server() -> Iterator[SocketModeServer]:
    with SocketModeServer() as server:
        yield server


def test_serve_with_an_app_token_answers_over_socket_mode(
    tmp_path: Path, slack_mock: SlackMockServer, socket_server: SocketModeServer
) -> None:
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    slack_mock.socket_mode_url = socket_server.url
    with serving(
        tmp_path,
        slack_mock,
        SLACK_BOT_TOKEN="xoxb-socket-test",
        SLACK_APP_TOKEN="xapp-socket-test",
    ) as http:
        assert http.get("/healthz").json() == {"ok": True, "mode": "socket"}
        assert http.post_json({"type": "url_verification", "challenge": "x"}).status == 404
        assert socket_server.connected.wait(60), "the bot never opened the WebSocket"
        ts = "1730000000.000100"
        socket_server.outbox.put(
            {
                "envelope_id": "env-1",
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "payload": {
                    "type": "event_callback",
                    "team_id": TEAM_ID,
                    "event_id": "EvSOCKET1",
                    "event_time": int(time.time()),
                    "event": {
                        "type": "app_mention",
                        "user": USER,
                        "text": f"<@{BOT_USER_ID}> help",
                        "ts": ts,
                        "channel": CHANNEL,
                    },
                },
            }
        )
        assert socket_server.acks.get(timeout=30)["envelope_id"] == "env-1"
        [answer] = slack_mock.wait_for("chat.postMessage")
        assert answer.body["thread_ts"] == ts and "Look up a tier" in json.dumps(answer.body)
        assert [call.method for call in slack_mock.calls("apps.connections.open")] != []
        assert http.get("/readyz").status == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not counted(http.get("/metrics").body):
            time.sleep(0.05)
        page = http.get("/metrics").body
        assert counted(page), "the request over Socket Mode is in the metrics"
        assert metric(page, "storyfit_slack_ack_seconds_count", surface="event") == 1


def counted(page: str) -> bool:
    return metric(page, "storyfit_slack_requests_total", surface="event", outcome="ok") == 1

"""A local stand-in for the OpenAI API: ``POST /v1/chat/completions`` with scripted replies.

``openai`` 3.x sends through ``httpx2``, so patching ``httpx`` would not intercept it; a real HTTP
server on 127.0.0.1 exercises the client exactly as production does (timeouts, status codes,
``Retry-After``). Each request takes the next scripted reply (a ``Reply``, or a function of the
request body returning one); every request is recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: object = None
    """A JSON-able value, or a ``str`` sent as it is."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (cut short when the server stops)."""


Responder = Reply | Callable[[dict[str, Any]], Reply]


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages", []))

    def message(self, role: str) -> str:
        return next(m["content"] for m in self.messages if m["role"] == role)


def completion(
    content: str | BaseModel | dict[str, Any] | None,
    *,
    refusal: str | None = None,
    finish_reason: str = "stop",
    prompt_tokens: int = 120,
    completion_tokens: int = 40,
) -> Reply:
    """A chat completion whose message content is ``content`` (a model or dict becomes JSON)."""
    if isinstance(content, BaseModel):
        content = content.model_dump_json()
    elif isinstance(content, dict):
        content = json.dumps(content)
    return Reply(
        body={
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "mock-model",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish_reason,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def error(status: int, message: str = "mock error", retry_after: float | None = None) -> Reply:
    headers = {} if retry_after is None else {"retry-after": str(retry_after)}
    return Reply(
        status=status,
        body={"error": {"message": message, "type": "mock_error", "code": None}},
        headers=headers,
    )


def never_answers(seconds: float = 60.0) -> Reply:
    return Reply(status=200, body=None, delay=seconds)


class MockOpenAIServer:
    """Use as a context manager; ``base_url`` goes to ``openai.OpenAI(base_url=...)``."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._script: list[Responder] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *responders: Responder) -> None:
        """Replies for the next requests, in order; a request beyond the script gets HTTP 599."""
        with self._lock:
            self._script.extend(responders)

    def reset(self) -> None:
        """Forget recorded requests and unused replies (a server shared by several tests)."""
        with self._lock:
            self.requests.clear()
            self._script.clear()

    def __enter__(self) -> MockOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            responder = self._script.pop(0) if self._script else error(599, "no scripted reply")
        return responder(request.body) if callable(responder) else responder

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                request = RecordedRequest(
                    path=self.path,
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=json.loads(raw or b"{}"),
                )
                reply = server._next_reply(request)
                if reply.delay and server._stopping.wait(reply.delay):
                    return
                payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = payload.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (its timeout), which is what some tests want

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

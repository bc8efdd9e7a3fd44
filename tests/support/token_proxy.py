"""A token gate in front of a Chroma server, for tests: ``chroma run`` (chromadb 1.x, the Rust
server) cannot enforce token auth itself, so this proxy does what a token-checking gateway would.

Every request (the heartbeat included) must carry ``X-Chroma-Token: <token>``; one without it is
answered 401, one with another token 403, and the rest are forwarded to the server. The proxy
records each request's path and the token it carried, so a test can see what reached the server.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

#: The header Chroma's token auth and Chroma Cloud read the token from.
TOKEN_HEADER = "X-Chroma-Token"
#: Response headers not passed on: the proxy sets its own framing.
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class SeenRequest:
    method: str
    path: str
    token: str | None


@dataclass
class TokenGate:
    """The proxy's URL and what it has seen."""

    url: str
    seen: list[SeenRequest] = field(default_factory=list)


def _handler(
    upstream: str, token: str, gate: TokenGate, open_paths: frozenset[str]
) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Gate(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _forward(self) -> None:
            given = self.headers.get(TOKEN_HEADER)
            gate.seen.append(SeenRequest(self.command, self.path, given))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if given != token and self.path not in open_paths:
                self._answer(401 if given is None else 403, b'{"error":"unauthorized"}', {})
                return
            connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_HEADERS}
                self._answer(response.status, payload, kept)
            finally:
                connection.close()

        def _answer(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if not any(name.lower() == "content-type" for name in headers):
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._forward()

        def do_POST(self) -> None:
            self._forward()

        def do_PUT(self) -> None:
            self._forward()

        def do_DELETE(self) -> None:
            self._forward()

    return Gate


@contextmanager
def token_gate(
    upstream: str, token: str, *, open_paths: frozenset[str] = frozenset()
) -> Iterator[TokenGate]:
    """Serve a token gate in front of ``upstream`` on a free loopback port for the block;
    ``open_paths`` pass without a token (as Chroma's Python server let the heartbeat pass)."""
    gate = TokenGate(url="")
    handler = _handler(upstream, token, gate, open_paths)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    gate.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="token-gate", daemon=True)
    thread.start()
    try:
        yield gate
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

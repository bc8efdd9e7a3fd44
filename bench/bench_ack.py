"""Ack latency of ``POST /slack/events`` while lazy work runs.

``storyfit serve`` runs as its own process (uvicorn, the real app, the real service over the
bundled sample roster), its Web API calls going to the mock Slack server of the tests, run in a
third process so that neither competes with the clients for a GIL. Signed requests come from client
threads on loopback, each with its own keep-alive connection:

- closed loop: ``--clients`` clients (20) send back to back for ``--seconds``; gives throughput at
  saturation and its latency (which is about clients / throughput: queueing, not work);
- open loop: requests scheduled at steady ``--rates`` below saturation; latency is measured from
  the scheduled send time, so a stall is not hidden by clients waiting on it. The default rates
  are one the engine keeps up with (4/s) and one ten times beyond it (40/s), where briefs beyond
  the waiting limit are turned away but the engine stays busy.

Workloads: ``/storyfit <brief>`` and ``app_mention`` events (both ack at once and start a lazy
recommendation: placeholder, retrieval, result), and ``/tier 8500`` (answered in the ack).
Each phase starts once the previous phase's lazy work has drained, and measures the acks while
its own lazy work runs.

    python bench/bench_ack.py [--clients 20] [--seconds 8] [--rates 4,40] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import free_port  # noqa: E402
from tests.support.slack_mock_server import BOT_USER_ID, TEAM_ID, SlackMockServer  # noqa: E402

SECRET = "bench-signing-secret"
BRIEFS = (
    "Small-batch coffee roaster launching a home brewing kit for slow weekend mornings.",
    "A trail-running shoe for people who hike before work; we want honest outdoor storytellers.",
    "Plant-based snacks for busy parents who cook with their kids after school.",
    "A language-learning app for travellers who want to talk to locals, not tick boxes.",
)
Body = tuple[str, str]  # (content type, body)


@dataclass(frozen=True)
class Result:
    workload: str
    mode: str
    requests: int
    errors: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float
    max_ms: float


def storyfit_body(number: int) -> Body:
    fields = {
        "command": "/storyfit",
        "text": BRIEFS[number % len(BRIEFS)],
        "team_id": TEAM_ID,
        "channel_id": "C0BENCH",
        "user_id": "U0BENCH",
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": "1.2.3",
    }
    return "application/x-www-form-urlencoded", urlencode(fields)


def tier_body(_: int) -> Body:
    fields = {"command": "/tier", "text": "8500", "team_id": TEAM_ID, "user_id": "U0BENCH"}
    fields |= {"channel_id": "C0BENCH", "response_url": "http://127.0.0.1:9/unused"}
    return "application/x-www-form-urlencoded", urlencode(fields)


_event_ids = itertools.count()


def mention_body(number: int) -> Body:
    ts = f"1720000000.{number:06d}"
    event = {
        "type": "app_mention",
        "user": "U0BENCH",
        "text": f"<@{BOT_USER_ID}> {BRIEFS[number % len(BRIEFS)]}",
        "ts": ts,
        "channel": "C0BENCH",
        "event_ts": ts,
    }
    payload = {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "api_app_id": "A0BENCH",
        "event_id": f"EvBench{next(_event_ids):09d}",
        "event_time": int(time.time()),
        "event": event,
    }
    return "application/json", json.dumps(payload)


WORKLOADS: dict[str, Callable[[int], Body]] = {
    "/storyfit brief": storyfit_body,
    "app_mention": mention_body,
    "/tier 8500": tier_body,
}


class Client:
    """One keep-alive connection sending signed requests."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.verifier = SignatureVerifier(SECRET)
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, content_type: str, body: str) -> int:
        """The response status; 0 when the request could not be made on a fresh connection."""
        return self.exchange(content_type, body)[0]

    def exchange(self, content_type: str, body: str) -> tuple[int, str]:
        """The response status and body; ``(0, "")`` when no fresh connection made it.

        A kept-alive connection the server has closed while idle (after uvicorn's keep-alive
        timeout) is replaced and the request sent again, as any HTTP client would.
        """
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=body),
        }
        for _ in range(2):
            try:
                self.connection.request(
                    "POST", "/slack/events", body=body.encode(), headers=headers
                )
                response = self.connection.getresponse()
                return response.status, response.read().decode("utf-8", errors="replace")
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return 0, ""


def summarise(
    workload: str, mode: str, latencies: list[float], errors: int, seconds: float
) -> Result:
    ordered = sorted(latencies) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Result(
        workload=workload,
        mode=mode,
        requests=len(latencies),
        errors=errors,
        seconds=round(seconds, 2),
        throughput=round(len(latencies) / seconds, 1),
        p50_ms=round(statistics.median(ordered) * 1000, 1),
        p99_ms=round(p99 * 1000, 1),
        max_ms=round(ordered[-1] * 1000, 1),
    )


def closed_loop(port: int, workload: str, clients: int, seconds: float) -> Result:
    make = WORKLOADS[workload]
    numbers = itertools.count()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run() -> None:
        nonlocal errors
        client = Client(port)
        while time.monotonic() < stop_at:
            content_type, body = make(next(numbers))
            started = time.perf_counter()
            status = client.send(content_type, body)
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                errors += status != 200

    threads = [threading.Thread(target=run) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summarise(
        workload, f"closed, {clients} clients", latencies, errors, time.monotonic() - began
    )


def open_loop(port: int, workload: str, clients: int, rate: float, seconds: float) -> Result:
    """Requests due at a steady rate; latency from the due time (no coordinated omission)."""
    make = WORKLOADS[workload]
    due: queue.Queue[tuple[float, int] | None] = queue.Queue()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def run() -> None:
        nonlocal errors
        client = Client(port)
        while (item := due.get()) is not None:
            at, number = item
            if (wait := at - time.perf_counter()) > 0:
                time.sleep(wait)
            status = client.send(*make(number))
            with lock:
                latencies.append(time.perf_counter() - at)
                errors += status != 200

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.1
    total = int(rate * seconds)
    for number in range(total):
        due.put((start + number / rate, number))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    return summarise(workload, f"open, {rate:g}/s", latencies, errors, seconds)


def _serve_mock(connection: Connection) -> None:
    """The mock Slack Web API, answering "how many successful calls of METHOD" until "stop"."""
    with SlackMockServer() as slack:
        connection.send(slack.api_url)
        while (method := connection.recv()) != "stop":
            connection.send(sum(call.ok for call in slack.calls(method)))


class MockSlack:
    """The mock Slack server in its own process."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.api_url: str = connection.recv()

    def count(self, method: str) -> int:
        self._connection.send(method)
        return int(self._connection.recv())

    def drain(self, quiet: float = 2.0, timeout: float = 120.0) -> None:
        """Wait until no message has been posted or updated for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = self.count("chat.update") + self.count("chat.postMessage")
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            time.sleep(0.2)

    def wait_for(self, method: str, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count(method) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"no {count} {method} calls within {timeout:g} s")
            time.sleep(0.2)


@contextmanager
def mock_slack() -> Iterator[MockSlack]:
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve_mock, args=(theirs,), daemon=True)
    process.start()
    try:
        yield MockSlack(ours)
    finally:
        ours.send("stop")
        process.join(timeout=10)


def start_server(data_dir: Path, api_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))}
    env |= {
        "STORYFIT_DATA_DIR": str(data_dir),
        "STORYFIT_SLACK_API_URL": api_url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "PYTHONPATH": str(REPO),
    }
    env.setdefault(
        "STORYFIT_EMBEDDING_MODEL_DIR",
        str(REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2" / "onnx"),
    )
    cli = [sys.executable, "-c", "from bot.cli import main; main()"]
    subprocess.run([*cli, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("storyfit serve exited; run it by hand to see why") from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit("storyfit serve did not start within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rates", default="4,40", help="steady rates, requests/s")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    results: list[Result] = []
    with mock_slack() as slack, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start_server(Path(tmp), slack.api_url, port)
        try:
            for _ in range(3):  # warm-up: the first recommendation loads everything lazily
                Client(port).send(*storyfit_body(0))
            slack.wait_for("chat.update", 3, timeout=120)
            for workload in WORKLOADS:
                for rate in (float(rate) for rate in args.rates.split(",")):
                    slack.drain()
                    results.append(open_loop(port, workload, args.clients, rate, args.seconds))
                slack.drain()
                results.append(closed_loop(port, workload, args.clients, args.seconds))
            lazy_done = slack.count("chat.update")
        finally:
            server.terminate()
            server.wait(timeout=30)

    if args.json:
        print(json.dumps([asdict(result) for result in results], indent=2))
        return
    print(
        f"{'workload':<16} {'mode':<20} {'reqs':>6} {'err':>4} {'req/s':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    for r in results:
        print(
            f"{r.workload:<16} {r.mode:<20} {r.requests:>6} {r.errors:>4} {r.throughput:>7} "
            f"{r.p50_ms:>7} {r.p99_ms:>7} {r.max_ms:>7}"
        )
    print(f"(results delivered by lazy listeners before the server stopped: {lazy_done})")


if __name__ == "__main__":
    main()

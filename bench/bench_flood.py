"""A flood of hostile requests against ``storyfit serve`` while health checks and real users wait.

``storyfit serve`` runs as its own process over HTTP (the real app and service over the bundled
sample roster), its Web API calls going to the tests' mock Slack server in a third process. For
``--seconds`` (30), all on loopback and scheduled open-loop (latency counts from the scheduled
send time, so a stall is never hidden):

- hostile traffic at ``--rate`` (200/s) in total, in turn: signed ``/tier 1e999999``, signed
  ``/tier`` with a 10,000-digit number, and bodies declared at 8 MiB (over the 1 MiB cap; the
  headers and the first 64 KiB are sent, then the answer is read);
- valid ``/tier 8500`` at ``--valid-rate`` (5/s): each must be answered 200 with the tier;
- ``GET /healthz`` at ``--health-rate`` (20/s): its p99 must stay under 100 ms.

Every stream stops after ``--seconds``; the run is bounded in requests (rate x seconds) and time.
Exit status 1 when a goal is missed.

    python bench/bench_flood.py [--seconds 30] [--rate 200] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import queue
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_ack import Client, mock_slack, start_server, summarise  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.support.slack_mock_server import TEAM_ID  # noqa: E402

HEALTH_P99_GOAL_MS = 100.0
OVERSIZED_DECLARED = 8 * 1024 * 1024
HOSTILE_COUNTS = ("1e999999", "9" * 10_000)
#: Outcome of one request: (HTTP status, 0 when none came; the response body).
Outcome = tuple[int, str]


def tier_form(text: str) -> str:
    fields = {"command": "/tier", "text": text, "team_id": TEAM_ID, "user_id": "U0FLOOD"}
    fields |= {"channel_id": "C0FLOOD", "response_url": "http://127.0.0.1:9/unused"}
    return urlencode(fields)


def oversized(port: int) -> Outcome:
    """Declare a body over the cap, send its first 64 KiB, read the answer."""
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: flood\r\nContent-Type: application/json\r\n"
        f"Content-Length: {OVERSIZED_DECLARED}\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(head.encode() + b"x" * 65536)
            answer = connection.recv(4096).decode("latin-1")
    except OSError:
        return 0, ""
    status = answer.split(" ", 2)[1] if answer.startswith("HTTP/1.1 ") else "0"
    return int(status), answer


def health(port: int) -> Outcome:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        return response.status, response.read().decode()
    except (OSError, http.client.HTTPException):
        return 0, ""
    finally:
        connection.close()


@dataclass
class Stream:
    """Requests due at a steady rate, sent by ``workers`` threads; outcomes and latencies."""

    name: str
    rate: float
    workers: int
    send: Callable[[int], Outcome]
    latencies: list[float]
    outcomes: list[Outcome]

    def run(self, start: float, seconds: float) -> list[threading.Thread]:
        due: queue.Queue[tuple[float, int] | None] = queue.Queue()
        for number in range(int(self.rate * seconds)):
            due.put((start + number / self.rate, number))
        for _ in range(self.workers):
            due.put(None)
        lock = threading.Lock()

        def work() -> None:
            while (item := due.get()) is not None:
                at, number = item
                if (wait := at - time.perf_counter()) > 0:
                    time.sleep(wait)
                outcome = self.send(number)
                with lock:
                    self.latencies.append(time.perf_counter() - at)
                    self.outcomes.append(outcome)

        threads = [threading.Thread(target=work, daemon=True) for _ in range(self.workers)]
        for thread in threads:
            thread.start()
        return threads


def streams(port: int, rate: float, valid_rate: float, health_rate: float) -> list[Stream]:
    clients = threading.local()

    def signed(text: str) -> Outcome:
        if not hasattr(clients, "client"):
            clients.client = Client(port)
        client: Client = clients.client
        return client.exchange("application/x-www-form-urlencoded", tier_form(text))

    def hostile(number: int) -> Outcome:
        kind = number % (len(HOSTILE_COUNTS) + 1)
        return oversized(port) if kind == len(HOSTILE_COUNTS) else signed(HOSTILE_COUNTS[kind])

    return [
        Stream("hostile", rate, 32, hostile, [], []),
        Stream("/tier 8500", valid_rate, 4, lambda _: signed("8500"), [], []),
        Stream("/healthz", health_rate, 4, lambda _: health(port), [], []),
    ]


@dataclass(frozen=True)
class Report:
    stream: str
    sent: int
    statuses: dict[str, int]
    p50_ms: float
    p99_ms: float
    max_ms: float


def report(stream: Stream, seconds: float) -> Report:
    summary = summarise(stream.name, "open", stream.latencies, 0, seconds)
    statuses = Counter(str(status) for status, _ in stream.outcomes)
    return Report(
        stream.name,
        len(stream.outcomes),
        dict(statuses),
        summary.p50_ms,
        summary.p99_ms,
        summary.max_ms,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0, help="hostile requests/s")
    parser.add_argument("--valid-rate", type=float, default=5.0)
    parser.add_argument("--health-rate", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with mock_slack() as slack, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start_server(Path(tmp), slack.api_url, port)
        try:
            flood = streams(port, args.rate, args.valid_rate, args.health_rate)
            start = time.perf_counter() + 0.5
            threads = list(itertools.chain(*(s.run(start, args.seconds) for s in flood)))
            for thread in threads:
                thread.join(timeout=args.seconds + 60)
            alive = server.poll() is None
        finally:
            server.terminate()
            server.wait(timeout=30)
    reports = [report(stream, args.seconds) for stream in flood]
    valid = flood[1]
    valid_answered = sum(status == 200 and "micro" in body for status, body in valid.outcomes)
    goals = {
        "healthz_p99_under_100ms": reports[2].p99_ms < HEALTH_P99_GOAL_MS,
        "every_valid_tier_answered": valid_answered == int(args.valid_rate * args.seconds),
        "server_still_running": alive,
    }
    if args.json:
        print(json.dumps({"streams": [asdict(r) for r in reports], "goals": goals}, indent=2))
    else:
        print(f"{'stream':<12} {'sent':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
        for r in reports:
            print(
                f"{r.stream:<12} {r.sent:>6} {r.p50_ms:>8} {r.p99_ms:>8} {r.max_ms:>8}  "
                f"{r.statuses}"
            )
        print(f"valid /tier 8500 answered with the tier: {valid_answered}/{len(valid.outcomes)}")
        print(
            "goals: "
            + ", ".join(f"{name}={'met' if met else 'MISSED'}" for name, met in goals.items())
        )
    if not all(goals.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()

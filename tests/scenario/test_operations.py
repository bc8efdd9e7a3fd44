"""The operations endpoints of the served bot: ``/healthz``, ``/readyz`` and ``/metrics``, with
real dependencies taken away (PostgreSQL frozen, then stopped; the Slack API server stopped; a
Chroma server stopped), and JSON log lines of a real ``storyfit serve``."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.observability.metrics import Metrics
from bot.observability.readiness import CHECK_TIMEOUT_SECONDS, service_readiness
from bot.observability.routes import Operations
from bot.server import build_asgi
from bot.service import StoryfitService
from bot.settings import Settings
from bot.workspaces import Workspaces
from tests.support.chroma_server import running_chroma
from tests.support.metrics_page import metric
from tests.support.postgres_server import PostgresCluster, server_bin_dir
from tests.support.slack_harness import (
    CHANNEL,
    SIGNING_SECRET,
    Reply,
    ServerThread,
    SlackRequests,
    serving,
    slack,
    slack_mock,
    slack_server,
    slack_settings,
    slack_settings_for,
    slack_workspaces,
)
from tests.support.slack_mock_server import SlackMockServer

__all__ = [
    "slack",
    "slack_mock",
    "slack_server",
    "slack_settings",
    "slack_workspaces",
]

BRIEF = "We roast small-batch coffee; we want creators who teach calm, careful coffee rituals."
REQUESTS = "storyfit_slack_requests_total"


def metrics_until(slack: SlackRequests, name: str, value: float, **labels: str) -> str:
    """``/metrics`` once the sample has reached ``value`` (a request is counted when its lazy
    work has ended, after the acknowledgement)."""
    deadline = time.monotonic() + 60
    while True:
        page = slack.get("/metrics")
        assert page.status == 200
        if metric(page.body, name, **labels) >= value or time.monotonic() > deadline:
            return page.body
        time.sleep(0.05)


def failed_checks(reply: Reply) -> dict[str, str]:
    """The failed checks of a 503 ``/readyz`` and their reasons; the other checks passed."""
    assert reply.status == 503, reply.body
    assert "Traceback" not in reply.body
    body = reply.json()
    assert body["ready"] is False
    reasons = {name: check["reason"] for name, check in body["checks"].items() if not check["ok"]}
    assert sorted(reasons) == sorted(body["failed"])
    assert all(isinstance(reason, str) and reason.strip() for reason in reasons.values())
    assert all("\n" not in reason for reason in reasons.values())
    return reasons


# -- liveness, readiness and metrics of the served app ---------------------------------------


def test_healthz_says_the_process_is_up(slack: SlackRequests) -> None:
    reply = slack.get("/healthz")
    assert reply.status == 200
    assert reply.json() == {"ok": True, "mode": "http"}


def test_readyz_reports_every_check_passing(slack: SlackRequests) -> None:
    reply = slack.get("/readyz")
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["ready"] is True and body["failed"] == []
    assert set(body["checks"]) == {"store", "database", "slack"}
    assert all(check["ok"] and check["reason"] is None for check in body["checks"].values())
    assert slack.mock.calls("auth.test"), "the Slack check asks Slack's Web API"


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("", "text/plain; version=0.0.4"),
        ("application/openmetrics-text; version=1.0.0", "application/openmetrics-text"),
    ],
)
def test_metrics_are_served_in_the_format_the_scraper_asks_for(
    slack: SlackRequests, accept: str, content_type: str
) -> None:
    request = urllib.request.Request(f"{slack.base_url}/metrics", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith(content_type)
        page = response.read().decode()
    assert "storyfit_engine_queue_depth" in page


def test_a_slash_command_is_counted_and_its_ack_timed(slack: SlackRequests) -> None:
    before = slack.get("/metrics").body
    counted = metric(before, REQUESTS, surface="command", outcome="ok")
    acks = metric(before, "storyfit_slack_ack_seconds_count", surface="command")
    assert slack.command("/tier", "8500").status == 200
    after = metrics_until(slack, REQUESTS, counted + 1, surface="command", outcome="ok")
    assert metric(after, REQUESTS, surface="command", outcome="ok") == counted + 1
    assert metric(after, "storyfit_slack_ack_seconds_count", surface="command") == acks + 1
    assert metric(after, "storyfit_slack_ack_seconds_sum", surface="command") > 0
    assert metric(after, REQUESTS, surface="command", outcome="error") == metric(
        before, REQUESTS, surface="command", outcome="error"
    )


def test_a_request_refused_in_its_acknowledgement_is_counted_as_an_error(
    slack: SlackRequests,
) -> None:
    before = slack.get("/metrics").body
    errors = metric(before, REQUESTS, surface="command", outcome="error")
    forged = slack.command("/tier", "8500", headers={"X-Slack-Signature": "v0=" + "0" * 64})
    assert forged.status == 401
    after = metrics_until(slack, REQUESTS, errors + 1, surface="command", outcome="error")
    assert metric(after, REQUESTS, surface="command", outcome="error") == errors + 1


def test_a_brief_is_counted_when_its_answer_is_posted(slack: SlackRequests) -> None:
    before = slack.get("/metrics").body
    counted = metric(before, REQUESTS, surface="event", outcome="ok")
    recommended = metric(before, "storyfit_recommend_seconds_count")
    slack.mention(BRIEF)
    slack.mock.wait_for("chat.update", timeout=60)
    after = metrics_until(slack, REQUESTS, counted + 1, surface="event", outcome="ok")
    assert metric(after, REQUESTS, surface="event", outcome="ok") == counted + 1
    assert metric(after, "storyfit_recommend_seconds_count") == recommended + 1
    assert metric(after, "storyfit_engine_queue_depth") == 0


@pytest.mark.parametrize(
    ("limits", "outcome"),
    [({"max_waiting_briefs": 0}, "busy"), ({"deadline_seconds": 0.001}, "timeout")],
)
def test_a_brief_turned_away_is_counted_as_busy_or_timed_out(
    slack_settings: Settings,
    slack_workspaces: Workspaces,
    slack_mock: SlackMockServer,
    limits: dict[str, Any],
    outcome: str,
) -> None:
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    metrics = Metrics()
    app = build_app(slack_settings, slack_workspaces, metrics=metrics, **limits)
    with ServerThread(build_asgi(app, Operations("http", metrics))) as server:
        served = SlackRequests(server.url, slack_mock)
        served.mention(BRIEF)
        slack_mock.wait_for("chat.update")
        page = metrics_until(served, REQUESTS, 1, surface="event", outcome=outcome)
    assert metric(page, REQUESTS, surface="event", outcome=outcome) == 1
    assert metric(page, REQUESTS, surface="event", outcome="ok") == 0
    slack_mock.settle(quiet=0.5)


# -- readiness with a dependency taken away --------------------------------------------------


@contextmanager
def readiness_served(
    settings: Settings,
    mock: SlackMockServer,
    *,
    slack_cache: float = 5.0,
) -> Iterator[SlackRequests]:
    """The operations endpoints alone, over a service opened for ``settings`` as ``serve``
    opens it before serving."""
    with StoryfitService(settings) as service:
        service.tier_counts()
        _ = service.history
        readiness = service_readiness(settings, service, slack_cache_seconds=slack_cache)
        with ServerThread(build_asgi(None, Operations("http", readiness=readiness))) as server:
            yield SlackRequests(server.url, mock)


@pytest.fixture
def settings(tmp_path: Path, model_dir: Path, slack_mock: SlackMockServer) -> Settings:
    return slack_settings_for(tmp_path / "data", model_dir, slack_mock.api_url)


def postgres_processes(cluster: PostgresCluster) -> list[int]:
    """The cluster's postmaster and every server process it started."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(postmaster)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return [postmaster, *map(int, children)]


def signal_all(pids: list[int], signal_number: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal_number)


def test_readyz_fails_naming_the_database_when_postgresql_hangs_or_stops(
    settings: Settings, slack_mock: SlackMockServer
) -> None:
    bin_dir = server_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.start()
        database = settings.model_copy(update={"database_url": cluster.create_database()})
        with readiness_served(database, slack_mock) as ready:
            assert ready.get("/readyz").status == 200
            frozen = postgres_processes(cluster)
            signal_all(frozen, signal.SIGSTOP)  # connections stay open; nothing answers
            try:
                for _ in range(2):
                    started = time.monotonic()
                    reasons = failed_checks(ready.get("/readyz"))
                    assert time.monotonic() - started < CHECK_TIMEOUT_SECONDS + 1.5
                    assert reasons == {"database": f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"}
                probes = [t for t in threading.enumerate() if t.name == "storyfit-ready-database"]
                assert len(probes) == 1, "a second probe waits for the first, starting no thread"
            finally:
                signal_all(frozen, signal.SIGCONT)
            assert until_ready(ready).status == 200, "ready again once the database answers"
            cluster.stop()
            reasons = failed_checks(ready.get("/readyz"))
    finally:
        cluster.stop()
    assert list(reasons) == ["database"]
    assert "no answer" not in reasons["database"], "a stopped server refuses at once"


def until_ready(ready: SlackRequests) -> Reply:
    deadline = time.monotonic() + 30
    reply = ready.get("/readyz")
    while reply.status != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
        reply = ready.get("/readyz")
    return reply


def test_readyz_fails_naming_slack_when_the_slack_api_stops(settings: Settings) -> None:
    with ExitStack() as slack_api:
        own = slack_api.enter_context(SlackMockServer())
        reachable = settings.model_copy(update={"slack_api_url": own.api_url})
        with readiness_served(reachable, own, slack_cache=1.0) as ready:
            assert ready.get("/readyz").status == 200
            assert ready.get("/readyz").status == 200
            assert len(own.calls("auth.test")) == 1, "a second probe within the cache asks again"
            slack_api.close()
            time.sleep(1.1)
            reasons = failed_checks(ready.get("/readyz"))
    assert list(reasons) == ["slack"]


def test_readyz_fails_naming_the_store_when_the_chroma_server_stops(
    settings: Settings, slack_mock: SlackMockServer, tmp_path: Path
) -> None:
    with ExitStack() as chroma:
        url = chroma.enter_context(running_chroma(tmp_path / "chroma"))
        on_server = settings.model_copy(update={"chroma_url": url})
        with readiness_served(on_server, slack_mock) as ready:
            assert ready.get("/readyz").status == 200
            chroma.close()
            reasons = failed_checks(ready.get("/readyz"))
    assert list(reasons) == ["store"]


# -- JSON log lines of a real ``storyfit serve`` ----------------------------------------------


def test_json_log_lines_carry_one_request_id_from_the_ack_to_the_lazy_listener(
    tmp_path: Path, slack_mock: SlackMockServer
) -> None:
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    log = tmp_path / "serve.log"
    slack_mock.outside.add(CHANNEL)  # the placeholder is refused: the lazy listener logs it
    try:
        with serving(
            tmp_path,
            slack_mock,
            log_file=log,
            SLACK_BOT_TOKEN="xoxb-serve-test",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            STORYFIT_LOG_FORMAT="json",
        ) as served:
            assert served.mention(BRIEF)[0].status == 200
            assert served.mention(BRIEF)[0].status == 200
            deadline = time.monotonic() + 60
            while log.read_text().count("done: error") < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        slack_mock.outside.clear()
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is JSON
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    acks = [line for line in lines if "acknowledged" in line["message"]]
    assert len(acks) == 2 and acks[0]["request_id"] != acks[1]["request_id"]
    for ack in acks:
        same = [line for line in lines if line.get("request_id") == ack["request_id"]]
        [refused] = [line for line in same if "not_in_channel" in line["message"]]
        assert refused["level"] == "ERROR" and refused["thread"].startswith("storyfit-slack")
        assert refused["thread"] != ack["thread"]
        assert any(line["message"].startswith("Slack event done: error") for line in same)
    assert any("request_id" not in line for line in lines), "start-up lines belong to no request"

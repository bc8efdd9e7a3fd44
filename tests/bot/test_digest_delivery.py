"""Scheduled delivery against a local Slack Web API: once per channel and period, whatever happens.

Restarts and re-runs, two senders at once (threads and processes, on SQLite and on a real
PostgreSQL), a sender that died after claiming, Slack refusing, rate limiting, or dropping the
connection: each channel gets at most one digest per period, and every doubt is reported.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from typer.testing import CliRunner, Result

from bot.cli import app as cli_app
from bot.digest.delivery import MAX_ATTEMPTS, DeliveryResult, DigestScheduler, send_due_digests
from bot.history.store import History
from bot.settings import Settings
from bot.slack.client import digest_client
from bot.workspaces import Workspaces
from tests.support.digest_fixtures import (
    CHANNEL,
    OTHER_CHANNEL,
    RUN,
    SUBSCRIBED,
    Deps,
    digest_settings,
    finished,
    record_week,
    storyfit,
    storyfit_env,
)
from tests.support.slack_mock_server import RecordedCall, SlackMockServer

pytest_plugins = ("tests.support.postgres_server",)

SOON_AFTER = RUN + timedelta(minutes=1)


@pytest.fixture(scope="module")
def mock() -> Iterator[SlackMockServer]:
    with SlackMockServer() as server:
        yield server


@pytest.fixture()
def slack(mock: SlackMockServer) -> SlackMockServer:
    mock.reset()
    return mock


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def open_deps(tmp_path: Path, url: str | None, slack: SlackMockServer) -> Deps:
    settings = digest_settings(tmp_path, url, slack)
    return Deps(settings, History.open(settings.resolved_database_url))


@pytest.fixture()
def deps(tmp_path: Path, slack: SlackMockServer) -> Iterator[Deps]:
    opened = open_deps(tmp_path, None, slack)
    yield opened
    opened.history.close()


def posts(slack: SlackMockServer, channel: str = CHANNEL) -> list[RecordedCall]:
    """The digests Slack accepted in ``channel``."""
    return [
        call
        for call in slack.calls("chat.postMessage")
        if call.ok and call.body["channel"] == channel
    ]


def send(deps: Deps, at: datetime) -> list[DeliveryResult]:
    return send_due_digests(deps, at)


def subscribe(deps: Deps, channel: str = CHANNEL) -> None:
    deps.history.subscribe(channel, created_by="U0ADMIN", at=SUBSCRIBED)


def test_a_due_digest_is_posted_once_with_its_chart(deps: Deps, slack: SlackMockServer) -> None:
    subscribe(deps)
    record_week(deps.history)
    [result] = send(deps, RUN + timedelta(minutes=5))
    assert (result.status, result.channel_id, result.period_start) == ("posted", CHANNEL, RUN)
    [post] = posts(slack)
    assert post.body["blocks"][0]["text"]["text"] == "Storyfit digest · 2–9 Mar 2026"
    assert "4 briefs from 2 people" in str(post.body["blocks"])

    [get_url] = slack.calls("files.getUploadURLExternal")
    [upload] = slack.calls("upload")
    [complete] = slack.calls("files.completeUploadExternal")
    assert get_url.body["filename"] == "storyfit-digest.png"
    assert upload.raw.startswith(b"\x89PNG") and int(get_url.body["length"]) == len(upload.raw)
    assert complete.body["channel_id"] == CHANNEL and complete.body["thread_ts"] == result.ts

    delivery = deps.history.delivery(CHANNEL, RUN)
    assert delivery is not None and (delivery.status, delivery.posted_ts) == ("posted", result.ts)

    for later in (RUN + timedelta(minutes=6), RUN + timedelta(days=3)):
        assert send(deps, later) == []
    assert len(posts(slack)) == 1


def test_next_weeks_run_posts_next_weeks_digest(deps: Deps, slack: SlackMockServer) -> None:
    subscribe(deps)
    send(deps, SOON_AFTER)
    [result] = send(deps, RUN + timedelta(days=7, minutes=1))
    assert result.period_start == RUN + timedelta(days=7)
    assert len(posts(slack)) == 2


def test_a_new_subscriber_waits_for_the_next_run(deps: Deps, slack: SlackMockServer) -> None:
    deps.history.subscribe(CHANNEL, created_by="U0ADMIN", at=RUN + timedelta(hours=1))

    def no_client(_: Settings) -> WebClient:
        raise AssertionError("nothing is due, so no Slack client should be built")

    assert send_due_digests(deps, RUN + timedelta(hours=2), client_factory=no_client) == []
    assert len(send(deps, RUN + timedelta(days=7))) == 1


def test_an_empty_week_gets_a_short_friendly_digest_without_a_chart(
    deps: Deps, slack: SlackMockServer
) -> None:
    subscribe(deps)
    [result] = send(deps, SOON_AFTER)
    assert result.status == "posted"
    [post] = posts(slack)
    assert "A quiet week" in str(post.body["blocks"])
    assert slack.calls("files.getUploadURLExternal") == []


def test_an_unsubscribed_channel_gets_nothing(deps: Deps, slack: SlackMockServer) -> None:
    subscribe(deps)
    subscribe(deps, OTHER_CHANNEL)
    assert deps.history.unsubscribe(CHANNEL)
    assert not deps.history.unsubscribe(CHANNEL)
    assert [r.channel_id for r in send(deps, SOON_AFTER)] == [OTHER_CHANNEL]
    assert posts(slack) == []


def test_a_claim_whose_sender_died_is_reported_once_and_never_reposted(
    deps: Deps, slack: SlackMockServer
) -> None:
    subscribe(deps)
    claim = deps.history.claim_delivery(
        CHANNEL, RUN, claimed_by="replica-b/4242/dead", at=SOON_AFTER, max_attempts=MAX_ATTEMPTS
    )
    assert claim is not None
    assert send(deps, SOON_AFTER + timedelta(minutes=1)) == []  # still within its lease
    [report] = send(deps, SOON_AFTER + timedelta(minutes=20))
    assert report.status == "unconfirmed"
    assert report.detail is not None and "replica-b/4242/dead" in report.detail
    assert "will not be sent again automatically" in report.describe()
    assert send(deps, SOON_AFTER + timedelta(minutes=21)) == []
    assert posts(slack) == []


def test_slack_refusing_is_retried_then_given_up(deps: Deps, slack: SlackMockServer) -> None:
    subscribe(deps)
    slack.fail_once("chat.postMessage", "not_in_channel")
    [failed] = send(deps, SOON_AFTER)
    assert (failed.status, failed.detail, failed.attempts) == ("failed", "not_in_channel", 1)
    assert "tried again" in failed.describe()
    [posted] = send(deps, SOON_AFTER + timedelta(minutes=1))
    assert (posted.status, posted.attempts) == ("posted", 2)
    assert len(posts(slack)) == 1


def test_a_digest_slack_keeps_refusing_is_given_up(deps: Deps, slack: SlackMockServer) -> None:
    subscribe(deps)
    results = []
    for minute in range(MAX_ATTEMPTS + 2):
        slack.fail_once("chat.postMessage", "channel_not_found")
        results.extend(send(deps, SOON_AFTER + timedelta(minutes=minute)))
    assert [r.attempts for r in results] == list(range(1, MAX_ATTEMPTS + 1))
    assert "Gave up" in results[-1].describe()


def test_a_rate_limited_post_is_waited_out_and_sent_once(
    deps: Deps, slack: SlackMockServer
) -> None:
    subscribe(deps)
    slack.rate_limit_once("chat.postMessage", retry_after=1)
    [result] = send(deps, SOON_AFTER)
    assert result.status == "posted"
    assert [call.status for call in slack.calls("chat.postMessage")] == [429, 200]
    assert len(posts(slack)) == 1


def test_a_chart_slack_refuses_leaves_the_digest_posted(deps: Deps, slack: SlackMockServer) -> None:
    subscribe(deps)
    record_week(deps.history)
    slack.fail_once("files.getUploadURLExternal", "not_allowed_token_type")
    [result] = send(deps, SOON_AFTER)
    assert (result.status, result.detail) == (
        "posted",
        "chart not uploaded: not_allowed_token_type",
    )
    assert send(deps, SOON_AFTER + timedelta(minutes=1)) == []
    assert len(posts(slack)) == 1


class DroppingServer:
    """Accepts each connection, reads the request, and hangs up without answering."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/api/"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            connection.recv(65_536)
            connection.close()

    def close(self) -> None:
        self._socket.close()


def test_a_lost_answer_is_unconfirmed_and_never_resent(deps: Deps, slack: SlackMockServer) -> None:
    subscribe(deps)
    dropping = DroppingServer()
    try:
        lost = digest_client(deps.settings.model_copy(update={"slack_api_url": dropping.api_url}))
        [result] = send_due_digests(deps, SOON_AFTER, client=lost)
    finally:
        dropping.close()
    assert result.status == "unconfirmed"
    assert "connection to Slack failed" in (result.detail or "")
    assert send(deps, SOON_AFTER + timedelta(hours=1)) == []
    assert posts(slack) == []


def test_an_unreachable_slack_is_a_failure_that_is_retried(
    deps: Deps, slack: SlackMockServer
) -> None:
    subscribe(deps)
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    refused = digest_client(
        deps.settings.model_copy(update={"slack_api_url": f"http://127.0.0.1:{port}/api/"})
    )
    [result] = send_due_digests(deps, SOON_AFTER, client=refused)
    assert result.status == "failed"
    [retried] = send(deps, SOON_AFTER + timedelta(minutes=1))
    assert retried.status == "posted" and len(posts(slack)) == 1


def test_concurrent_senders_in_threads_send_one_digest_per_channel(
    tmp_path: Path, database_url: str, slack: SlackMockServer
) -> None:
    channels = [f"C0TEAM{n}" for n in range(3)]
    setup = open_deps(tmp_path, database_url, slack)
    for channel in channels:
        subscribe(setup, channel)
        record_week(setup.history, channel)
    setup.history.close()
    replicas = [open_deps(tmp_path, database_url, slack) for _ in range(6)]
    start = threading.Barrier(len(replicas))
    results: list[DeliveryResult] = []
    errors: list[BaseException] = []

    def run(replica: Deps) -> None:
        try:
            start.wait()
            results.extend(send_due_digests(replica, SOON_AFTER))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(replica,)) for replica in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for replica in replicas:
        replica.history.close()
    assert errors == []
    assert sorted(r.channel_id for r in results if r.status == "posted") == channels
    assert all(len(posts(slack, channel)) == 1 for channel in channels)


def test_send_due_twice_from_the_command_line_sends_one(
    tmp_path: Path, slack: SlackMockServer
) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    setup = open_deps(tmp_path, url, slack)
    subscribe(setup)
    setup.history.close()
    env = storyfit_env(tmp_path, url, slack)
    at = "2026-03-09T09:05:00+00:00"
    code, out, err = finished(storyfit(env, tmp_path, "digest", "--send-due", "--at", at))
    assert (code, err) == (0, "")
    assert "Posted the digest for the period from 2026-03-09 09:00 UTC to C0DIGEST" in out
    code, out, err = finished(storyfit(env, tmp_path, "digest", "--send-due", "--at", at))
    assert (code, out.strip(), err) == (0, "No digest was due.", "")
    assert len(posts(slack)) == 1


def test_concurrent_processes_send_one_digest_per_channel(
    tmp_path: Path, database_url: str, slack: SlackMockServer
) -> None:
    channels = [CHANNEL, OTHER_CHANNEL]
    setup = open_deps(tmp_path, database_url, slack)
    for channel in channels:
        subscribe(setup, channel)
    setup.history.close()
    env = storyfit_env(tmp_path, database_url, slack)
    at = "2026-03-09T09:01:00Z"
    processes = [storyfit(env, tmp_path, "digest", "--send-due", "--at", at) for _ in range(4)]
    outcomes = [finished(process) for process in processes]
    assert [code for code, _, _ in outcomes] == [0] * 4, [err for _, _, err in outcomes]
    reports = "".join(out for _, out, _ in outcomes)
    assert reports.count("Posted the digest") == 2
    assert all(len(posts(slack, channel)) == 1 for channel in channels)


def run_storyfit(env: dict[str, str], *args: str) -> Result:
    """``storyfit ARGS`` in this process (fast), with exactly ``env``'s Storyfit settings."""
    unset: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith(("STORYFIT_", "SLACK_", "OPENAI_"))
    }
    return CliRunner().invoke(cli_app, list(args), env={**unset, **env})


def test_a_failed_send_due_exits_non_zero_with_the_reason(
    tmp_path: Path, slack: SlackMockServer
) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    setup = open_deps(tmp_path, url, slack)
    subscribe(setup)
    setup.history.close()
    slack.fail_once("chat.postMessage", "not_in_channel")
    env = storyfit_env(tmp_path, url, slack)
    result = run_storyfit(env, "digest", "--send-due", "--at", "2026-03-09T10:00")
    assert (result.exit_code, result.stdout) == (1, "")
    assert "Slack refused the digest for C0DIGEST" in result.stderr
    assert "not_in_channel" in result.stderr


def test_the_command_line_prints_or_posts_a_channels_last_seven_days(
    tmp_path: Path, slack: SlackMockServer
) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    setup = open_deps(tmp_path, url, slack)
    record_week(setup.history)
    setup.history.close()
    env = storyfit_env(tmp_path, url, slack)
    at = ("--at", "2026-03-09T09:00")  # read in STORYFIT_TIMEZONE (UTC here)
    printed = run_storyfit(env, "digest", "--channel", CHANNEL, "--print", *at)
    assert (printed.exit_code, printed.stderr) == (0, "")
    assert printed.stdout.startswith("Storyfit digest · 2–9 Mar 2026\nchannel C0DIGEST")
    assert "4 briefs from 2 people: U1 (3), U2 (1)." in printed.stdout
    everywhere = run_storyfit(env, "digest", "--print", *at)
    assert "5 briefs from 3 people" in everywhere.stdout and "all channels" in everywhere.stdout
    assert slack.calls() == []

    posted = run_storyfit(env, "digest", "--channel", CHANNEL, *at)
    assert (posted.exit_code, posted.stderr) == (0, "")
    assert posted.stdout.startswith(f"Posted the digest to {CHANNEL} (ts 1700000000.")
    assert len(posts(slack)) == 1
    assert len(slack.calls("files.completeUploadExternal")) == 1

    neither = run_storyfit(env, "digest")
    assert neither.exit_code == 1 and "Give --channel ID" in neither.stderr
    bad_time = run_storyfit(env, "digest", "--print", "--at", "next monday")
    assert bad_time.exit_code == 1 and "is not an ISO time" in bad_time.stderr


def test_the_scheduler_sends_each_due_digest_once_and_stops(
    deps: Deps, slack: SlackMockServer
) -> None:
    subscribe(deps)
    client = digest_client(deps.settings)
    with Workspaces(deps.settings, per_team=False) as workspaces:
        scheduler = DigestScheduler(
            workspaces, lambda _team: client, interval_seconds=0.05, clock=lambda: SOON_AFTER
        )
        with scheduler:
            slack.wait_for("chat.postMessage")
            slack.settle(quiet=0.5)  # ten more passes, each finding the digest already delivered
            assert scheduler.running
        assert not scheduler.running
    assert len(posts(slack)) == 1

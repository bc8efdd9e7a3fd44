"""Issue 10, the digest: one period definition per subscription whatever each sender's settings,
no claim for a period that has not begun, and ``/storyfit digest now`` posting once per command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digest.delivery import FutureDigestError, send_due_digests
from bot.history.engine import HistoryError
from bot.history.store import History
from bot.listeners.digest import CONNECTION_LOST
from bot.service import StoryfitService
from tests.support.digest_fixtures import (
    CHANNEL,
    RUN,
    SUBSCRIBED,
    Deps,
    digest_settings,
    finished,
    storyfit,
    storyfit_env,
)
from tests.support.slack_harness import (
    ADMIN,
    SlackRequests,
    slack,
    slack_mock,
    slack_server,
    slack_service,
    slack_settings,
    slack_workspaces,
)
from tests.support.slack_harness import CHANNEL as SLACK_CHANNEL
from tests.support.slack_mock_server import SlackMockServer

__all__ = [
    "slack",
    "slack_mock",
    "slack_server",
    "slack_service",
    "slack_settings",
    "slack_workspaces",
]


@pytest.fixture()
def history(tmp_path: Path) -> Iterator[History]:
    store = History.open(f"sqlite:///{tmp_path / 'history.sqlite3'}")
    yield store
    store.close()


def sender(tmp_path: Path, history: History, mock: SlackMockServer, cron: str, zone: str) -> Deps:
    """A sender (``storyfit serve`` or a cron job) configured with its own cron and zone."""
    settings = digest_settings(tmp_path, None, mock).model_copy(
        update={"digest_cron": cron, "timezone": zone}
    )
    return Deps(settings, history)


def digests_posted(mock: SlackMockServer, channel: str) -> int:
    return sum(
        1 for call in mock.calls("chat.postMessage") if call.ok and call.body["channel"] == channel
    )


# -- one period definition per subscription ---------------------------------------------------


def test_senders_with_different_schedules_post_one_digest_per_period(
    tmp_path: Path, history: History, slack_mock: SlackMockServer
) -> None:
    slack_mock.reset()
    history.subscribe(CHANNEL, created_by="U0ADMIN", at=SUBSCRIBED)  # stored before the fix
    monday_utc = sender(tmp_path, history, slack_mock, "0 9 * * MON", "UTC")
    friday_berlin = sender(tmp_path, history, slack_mock, "0 17 * * FRI", "Europe/Berlin")
    at = RUN + timedelta(hours=1)
    [first] = send_due_digests(monday_utc, at)
    assert (first.status, first.period_start) == ("posted", RUN)
    assert send_due_digests(friday_berlin, at) == []
    assert send_due_digests(friday_berlin, at + timedelta(days=4, hours=8)) == []  # Fri 17:00
    assert digests_posted(slack_mock, CHANNEL) == 1
    stored = history.subscription(CHANNEL)
    assert stored is not None and (stored.cron, stored.timezone) == ("0 9 * * MON", "UTC")
    [second] = send_due_digests(friday_berlin, RUN + timedelta(days=7, minutes=1))
    assert second.period_start == RUN + timedelta(days=7)


def test_subscribing_in_slack_stores_the_period_definition(
    slack: SlackRequests, slack_service: StoryfitService
) -> None:
    for words, expected in (("", ("0 9 * * MON", "UTC")), ("fri 2pm", ("0 14 * * FRI", "UTC"))):
        slack.mock.reset()
        slack.command("/storyfit", f"digest subscribe {words}".strip(), user=ADMIN)
        slack.mock.wait_for("response_url")
        stored = slack_service.history.subscription(SLACK_CHANNEL)
        assert stored is not None and (stored.cron, stored.timezone) == expected
    slack_service.history.unsubscribe(SLACK_CHANNEL)


# -- no claim for a period that has not begun ---------------------------------------------------


def test_a_future_period_cannot_be_claimed(
    tmp_path: Path, history: History, slack_mock: SlackMockServer
) -> None:
    slack_mock.reset()
    history.subscribe(CHANNEL, created_by="U0ADMIN", at=datetime.now(UTC) - timedelta(days=30))
    deps = sender(tmp_path, history, slack_mock, "0 9 * * MON", "UTC")
    next_week = datetime.now(UTC) + timedelta(days=7)
    with pytest.raises(FutureDigestError, match="is in the future"):
        send_due_digests(deps, next_week)
    with pytest.raises(HistoryError, match="has not begun yet"):
        history.claim_delivery(CHANNEL, next_week, claimed_by="test", at=next_week, max_attempts=3)
    assert slack_mock.calls("chat.postMessage") == []
    assert history.delivery(CHANNEL, next_week) is None


def test_send_due_at_a_future_time_is_refused_in_one_line(
    tmp_path: Path, slack_mock: SlackMockServer
) -> None:
    env = storyfit_env(tmp_path, None, slack_mock)
    at = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    status, _, stderr = finished(storyfit(env, tmp_path, "digest", "--send-due", "--at", at))
    assert status == 1
    assert "is in the future" in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


# -- /storyfit digest now: once per command ---------------------------------------------------


def test_digest_now_redelivered_by_slack_posts_once(slack: SlackRequests) -> None:
    first = slack.command("/storyfit", "digest now", trigger_id="1337.777.abcd")
    again = slack.command(
        "/storyfit",
        "digest now",
        trigger_id="1337.777.abcd",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert first.status == again.status == 200
    slack.mock.wait_for("response_url")
    slack.mock.settle(quiet=1.0)
    assert digests_posted(slack.mock, SLACK_CHANNEL) == 1
    slack.command("/storyfit", "digest now")  # typed again: a new command, a new digest
    slack.mock.wait_for("response_url", 2)
    assert digests_posted(slack.mock, SLACK_CHANNEL) == 2


def test_digest_now_is_not_resent_after_a_lost_connection(slack: SlackRequests) -> None:
    slack.mock.drop_once("chat.postMessage")
    slack.command("/storyfit", "digest now")
    [told] = slack.mock.wait_for("response_url")
    assert CONNECTION_LOST in json.dumps(told.body, ensure_ascii=False)
    slack.mock.settle(quiet=1.0)
    assert len(slack.mock.calls("chat.postMessage")) == 1

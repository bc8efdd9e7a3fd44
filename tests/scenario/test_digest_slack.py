"""``/storyfit digest ...`` through the real app, and the scheduler inside ``storyfit serve``."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.history.store import History
from bot.service import StoryfitService
from bot.settings import load_settings
from tests.support.digest_fixtures import storyfit, storyfit_env
from tests.support.history_samples import brief_and_answer, pick
from tests.support.slack_harness import (
    ADMIN,
    CHANNEL,
    USER,
    SlackRequests,
    slack,
    slack_mock,
    slack_server,
    slack_service,
    slack_settings,
    slack_workspaces,
)
from tests.support.slack_mock_server import RecordedCall, SlackMockServer

__all__ = [
    "slack",
    "slack_mock",
    "slack_server",
    "slack_service",
    "slack_settings",
    "slack_workspaces",
]


def answer(slack: SlackRequests, text: str, *, user: str = USER) -> RecordedCall:
    """Run ``/storyfit text`` and return the single reply it sends to the response_url."""
    reply = slack.command("/storyfit", text, user=user)
    assert reply.status == 200 and reply.body == ""
    [told] = slack.mock.wait_for("response_url")
    return told


def shown(call: RecordedCall) -> str:
    return json.dumps(call.body, ensure_ascii=False)


def test_an_admin_subscribes_the_channel_on_a_day_and_hour(
    slack: SlackRequests, slack_service: StoryfitService
) -> None:
    told = answer(slack, "digest subscribe friday 2pm", user=ADMIN)
    assert told.body["response_type"] == "in_channel"
    assert "every Friday at 14:00 (UTC)" in shown(told)
    subscription = slack_service.history.subscription(CHANNEL)
    assert subscription is not None and subscription.active
    assert (subscription.weekday, subscription.hour, subscription.created_by) == (4, 14, ADMIN)

    slack.mock.reset()
    told = answer(slack, "digest unsubscribe", user=ADMIN)
    assert "no longer get the Storyfit digest" in shown(told)
    assert slack_service.history.active_subscriptions() == []


def test_others_are_politely_refused_when_admins_are_set(
    slack: SlackRequests, slack_service: StoryfitService
) -> None:
    for action in ("subscribe", "unsubscribe"):
        slack.mock.reset()
        told = answer(slack, f"digest {action}")
        assert told.body["response_type"] == "ephemeral"
        assert "Sorry, only Storyfit admins" in shown(told)
        assert f"<@{ADMIN}>" in shown(told)
    assert slack_service.history.active_subscriptions() == []


def test_an_unreadable_schedule_says_which_word_and_what_works(slack: SlackRequests) -> None:
    told = answer(slack, "digest subscribe someday", user=ADMIN)
    assert "couldn't read “someday”" in shown(told) and "subscribe friday 14" in shown(told)


def record_recent_brief(service: StoryfitService) -> None:
    request, recommendation = brief_and_answer(
        "Vegan snacks for busy parents", [pick("bigchef", 450_000), pick("minnie", 8_400)]
    )
    service.history.record_request(
        user_id=USER,
        channel_id=CHANNEL,
        source="mention",
        request=request,
        recommendation=recommendation,
        at=datetime.now(UTC) - timedelta(days=1),
    )


def test_preview_shows_this_weeks_digest_only_to_the_asker(
    slack: SlackRequests, slack_service: StoryfitService
) -> None:
    record_recent_brief(slack_service)
    told = answer(slack, "digest preview")
    assert told.body["response_type"] == "ephemeral"
    assert "Storyfit digest" in shown(told) and "vegan snacks" in shown(told)
    slack.mock.settle()
    assert slack.mock.calls("chat.postMessage") == []


def test_now_posts_this_weeks_digest_with_its_chart_to_the_channel(
    slack: SlackRequests, slack_service: StoryfitService
) -> None:
    record_recent_brief(slack_service)
    told = answer(slack, "digest now")
    assert "Posted the last seven days' digest" in shown(told)
    [post] = slack.mock.wait_for("chat.postMessage")
    assert post.body["channel"] == CHANNEL
    assert post.body["blocks"][0]["text"]["text"].startswith("Storyfit digest")
    [complete] = slack.mock.wait_for("files.completeUploadExternal")
    assert complete.body["channel_id"] == CHANNEL
    assert slack.mock.calls("upload")[0].raw.startswith(b"\x89PNG")


def test_now_in_a_channel_without_the_bot_says_how_to_invite_it(slack: SlackRequests) -> None:
    slack.mock.fail_once("chat.postMessage", "not_in_channel")
    told = answer(slack, "digest now")
    assert "/invite @Storyfit" in shown(told)


def test_help_lists_the_digest_and_an_unknown_action_explains_itself(
    slack: SlackRequests,
) -> None:
    help_reply = slack.command("/storyfit", "help")
    assert "digest subscribe [day] [hour]" in help_reply.body
    told = answer(slack, "digest weekly")
    assert "I know `/storyfit digest subscribe [day] [hour]`" in shown(told)


def test_storyfit_serve_sends_a_due_digest_from_its_scheduler(
    tmp_path: Path, slack_mock: SlackMockServer
) -> None:
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    env = storyfit_env(tmp_path, None, slack_mock)
    env["SLACK_SIGNING_SECRET"] = "serve-test-secret"
    settings = load_settings(data_dir=Path(env["STORYFIT_DATA_DIR"]))
    history = History.open(settings.resolved_database_url)
    history.subscribe("C0SERVED", created_by=ADMIN, at=datetime.now(UTC) - timedelta(days=8))
    history.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    server = storyfit(env, tmp_path, "serve", "--host", "127.0.0.1", "--port", port)
    try:
        [post] = slack_mock.wait_for(
            "chat.postMessage", where=lambda c: c.body["channel"] == "C0SERVED", timeout=120
        )
        assert "A quiet week" in shown(post)
    finally:
        server.terminate()
        server.wait(timeout=30)
    time.sleep(0.2)
    assert len(slack_mock.calls("chat.postMessage")) == 1

"""Property tests: generated Slack payloads through the real Bolt app, signed, on uvicorn.

Slash commands, events, button clicks and modal submissions with generated text, ids and values
(the shapes Slack sends, the contents anyone could type): every request is acknowledged with 200,
nothing is logged as an error (no listener raised, Slack refused nothing we sent), and no stack
trace text reaches Slack, in an acknowledgement or in any later Web API call.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks import kit, modal
from tests.support.slack_harness import (
    CHANNEL,
    DM_CHANNEL,
    SlackRequests,
    new_ts,
    slack_mock,
    slack_server,
    slack_service,
    slack_settings,
    slack_workspaces,
)
from tests.support.slack_mock_server import BOT_USER_ID

__all__ = ["slack_mock", "slack_server", "slack_service", "slack_settings", "slack_workspaces"]

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
STACK_TRACE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")

#: Text as people type it, and as attackers do: any characters, Slack's markup, huge numbers.
typed = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "help",
            "digest now",
            "digest subscribe someday 99 Mars/Olympus",
            "digest unsubscribe",
            "1e999999",
            "9" * 5000,
            "-1",
            "12.3k",
            "@nobody",
            "<!channel> <@U123|bob> <#C1|general> <https://x.y|link>",
            "&lt;&amp;&gt;",
            "[/b] {0} %s \x00 \u202e",
        ]
    ),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(["@", "digest", "#", "<@"]), st.text()),
)
slack_id = st.from_regex(r"[UCDWT][A-Z0-9]{2,11}", fullmatch=True)
button_value = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda n, key: f"{n}|{key}",
        st.integers(min_value=-(10**30), max_value=10**30),
        st.text(max_size=40),
    ),
)


BUTTONS = [kit.MORE_LIKE_THIS, kit.SWAP, kit.EXPORT_CSV, kit.THUMBS_UP, kit.THUMBS_DOWN]


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def app(slack_server: SlackRequests) -> Iterator[tuple[SlackRequests, ErrorLog]]:
    """The served app with its Slack record cleared; afterwards, once lazy work has settled,
    nothing logged as an error and no stack trace in anything sent to Slack."""
    errors = ErrorLog()
    root = logging.getLogger()
    root.addHandler(errors)
    slack_server.mock.settle(quiet=0.3)
    slack_server.mock.reset()
    try:
        yield slack_server, errors
        slack_server.mock.settle(quiet=1.0, timeout=240)
    finally:
        root.removeHandler(errors)
    failures = [f"{r.name}: {r.getMessage()}" for r in errors.records]
    assert failures == []
    for call in slack_server.mock.calls():
        text = call.raw.decode("utf-8", errors="replace")
        assert not STACK_TRACE.search(text), f"stack trace sent to Slack via {call.method}"


def acknowledged(reply_status: int, body: str) -> None:
    assert reply_status == 200
    assert not STACK_TRACE.search(body)


@EXAMPLES
@given(command=st.sampled_from(["/storyfit", "/tier"]), text=typed, user=slack_id)
def test_slash_commands(
    app: tuple[SlackRequests, ErrorLog], command: str, text: str, user: str
) -> None:
    slack, _ = app
    reply = slack.command(command, text, user=user)
    acknowledged(reply.status, reply.body)


@EXAMPLES
@given(
    kind=st.sampled_from(["app_mention", "message", "app_home_opened"]),
    text=typed,
    user=slack_id,
    subtype=st.one_of(st.none(), st.sampled_from(["message_changed", "bot_message", "x"])),
    in_thread=st.booleans(),
)
def test_events(
    app: tuple[SlackRequests, ErrorLog],
    kind: str,
    text: str,
    user: str,
    subtype: str | None,
    in_thread: bool,
) -> None:
    slack, _ = app
    ts = new_ts()
    event: dict[str, Any] = {"type": kind, "user": user, "ts": ts, "event_ts": ts}
    if kind == "app_home_opened":
        event.update(channel=DM_CHANNEL, tab="home")
    elif kind == "app_mention":
        event.update(channel=CHANNEL, text=f"<@{BOT_USER_ID}> {text}")
    else:
        event.update(channel=DM_CHANNEL, channel_type="im", text=text)
        if subtype:
            event["subtype"] = subtype
    if in_thread and kind != "app_home_opened":
        event["thread_ts"] = "1700000000.000001"
    reply = slack.event(event)
    acknowledged(reply.status, reply.body)


@EXAMPLES
@given(
    action=st.sampled_from(BUTTONS),
    value=button_value,
    user=slack_id,
)
def test_block_actions(
    app: tuple[SlackRequests, ErrorLog], action: str, value: str, user: str
) -> None:
    slack, _ = app
    reply = slack.click(action, value, message_ts=new_ts(), thread_ts=new_ts(), user=user)
    acknowledged(reply.status, reply.body)


OBJECTIVES = ["balanced", "awareness", "conversion"]
number_input = st.one_of(
    st.none(), st.text(max_size=20), st.sampled_from(["1e999999", "9" * 5000, "-3", "2.5"])
)


@EXAMPLES
@given(
    story=st.one_of(st.none(), typed),
    objective=st.one_of(
        st.none(), st.text(max_size=20), st.sampled_from(["balanced", "awareness"])
    ),
    macro=number_input,
    micro=number_input,
    words=st.lists(st.one_of(st.none(), st.text(max_size=40)), min_size=3, max_size=3),
    channel=st.one_of(st.none(), slack_id),
)
def test_view_submissions(
    app: tuple[SlackRequests, ErrorLog],
    story: str | None,
    objective: str | None,
    macro: str | None,
    micro: str | None,
    words: list[str | None],
    channel: str | None,
) -> None:
    slack, _ = app
    platforms, countries, languages = words
    fields: dict[str, dict[str, Any]] = {
        modal.STORY_INPUT: {"type": "plain_text_input", "value": story},
        modal.OBJECTIVE_INPUT: {
            "type": "static_select",
            "selected_option": {"value": objective} if objective is not None else None,
        },
        modal.MACRO_INPUT: {"type": "number_input", "value": macro},
        modal.MICRO_INPUT: {"type": "number_input", "value": micro},
        modal.PLATFORMS_INPUT: {"type": "plain_text_input", "value": platforms},
        modal.COUNTRIES_INPUT: {"type": "plain_text_input", "value": countries},
        modal.LANGUAGES_INPUT: {"type": "plain_text_input", "value": languages},
        modal.CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": channel},
    }
    values = {key: {key: value} for key, value in fields.items()}
    reply = slack.submit_view(kit.BRIEF_MODAL, values)
    acknowledged(reply.status, reply.body)
    if reply.body:
        answer = json.loads(reply.body)
        assert answer.get("response_action") == "errors" and answer["errors"]

"""The Slack bot end to end: the real app on uvicorn, signed requests, a mock Slack Web API,
and the real service over the bundled sample roster."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.blocks import kit, modal, results
from bot.history.tables import FeedbackRow
from bot.listeners.actions import LOOKALIKES
from bot.listeners.shortcuts import BRIEF_FROM_MESSAGE_SHORTCUT, NEW_BRIEF_SHORTCUT
from bot.listeners.subcommands import SubcommandCall, register_subcommand
from bot.observability.routes import Operations
from bot.server import build_asgi
from bot.service import StoryfitService
from bot.settings import Settings
from bot.workspaces import Workspaces
from retrieval.contract import Pick
from tests.support.history_samples import brief_and_answer
from tests.support.slack_harness import (
    ADMIN,
    CHANNEL,
    DM_CHANNEL,
    SIGNING_SECRET,
    USER,
    ServerThread,
    SlackRequests,
    clean_env,
    serving,
    slack,
    slack_mock,
    slack_server,
    slack_service,
    slack_settings,
    slack_workspaces,
    storyfit_command,
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

BRIEF = (
    "We roast small-batch coffee and are launching a home brewing kit for slow weekend "
    "mornings; we want creators who teach calm, careful coffee rituals."
)


def text_of(call: RecordedCall) -> str:
    return json.dumps(
        call.body.get("blocks") or call.body.get("view") or call.body, ensure_ascii=False
    )


def buttons_of(call: RecordedCall) -> dict[str, list[str]]:
    """action_id -> values of the buttons in a recorded message."""
    found: dict[str, list[str]] = {}
    for block in call.body.get("blocks") or []:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            found.setdefault(element["action_id"], []).append(element.get("value", ""))
    return found


def placeholder_and_result(slack: SlackRequests, channel: str) -> tuple[RecordedCall, RecordedCall]:
    [placeholder] = slack.mock.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.body.get("text") == results.PLACEHOLDER_TEXT and c.body["channel"] == channel
        ),
    )
    [update] = slack.mock.wait_for("chat.update", timeout=60)
    return placeholder, update


Feedback = tuple[int, str | None, str, str | None]


def feedback_rows(service: StoryfitService) -> list[Feedback]:
    with service.history.transaction() as session:
        rows = session.scalars(select(FeedbackRow).order_by(FeedbackRow.id))
        return [(row.request_id, row.user_id, row.kind, row.creator_key) for row in rows]


def stored_feedback(service: StoryfitService, expected: Feedback, timeout: float = 30) -> bool:
    """Whether ``expected`` is stored, waiting for the lazy listener that stores it."""
    deadline = time.monotonic() + timeout
    while expected not in feedback_rows(service):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# -- the HTTP surface -------------------------------------------------------------------------


def test_url_verification_echoes_the_challenge(slack: SlackRequests) -> None:
    reply = slack.post_json({"type": "url_verification", "challenge": "c-123", "token": "t"})
    assert reply.status == 200 and reply.json() == {"challenge": "c-123"}


def test_health_answers_on_get(slack: SlackRequests) -> None:
    reply = slack.get("/healthz")
    assert reply.status == 200 and reply.json() == {"ok": True, "mode": "http"}


def test_one_workspace_offers_no_install_pages(slack: SlackRequests) -> None:
    assert slack.get("/slack/install").status == 404
    assert slack.get("/slack/oauth_redirect?code=c&state=s").status == 404


@pytest.mark.parametrize("event", ["app_uninstalled", "tokens_revoked"])
def test_losing_the_one_token_is_acknowledged_and_logged_with_what_to_do(
    slack: SlackRequests, caplog: pytest.LogCaptureFixture, event: str
) -> None:
    with caplog.at_level(logging.ERROR):
        reply = slack.event({"type": event, "tokens": {"bot": ["U0STORYBOT"]}})
    assert reply.status == 200
    assert any("set SLACK_BOT_TOKEN to the new" in record.getMessage() for record in caplog.records)


def test_a_forged_signature_is_refused_and_nothing_happens(slack: SlackRequests) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "x"})
    reply = slack.post(body, "application/json", signature="v0=" + "0" * 64)
    assert reply.status == 401
    forged = SlackRequests(slack.base_url, slack.mock, secret="not-the-secret")
    assert forged.mention(BRIEF)[0].status == 401
    slack.mock.settle()
    assert slack.mock.calls("chat.postMessage") == []


def test_a_stale_timestamp_is_refused(slack: SlackRequests) -> None:
    stale = int(time.time()) - 10 * 60
    reply = slack.post_form({"command": "/tier", "text": "8500"}, timestamp=stale)
    assert reply.status == 401


# -- mentions and DMs -------------------------------------------------------------------------


def test_a_mention_gets_a_placeholder_in_thread_then_the_explained_mix(
    slack: SlackRequests, slack_service: StoryfitService
) -> None:
    reply, ts = slack.mention(BRIEF)
    assert reply.status == 200
    placeholder, update = placeholder_and_result(slack, CHANNEL)
    assert placeholder.body["thread_ts"] == ts
    assert update.body["channel"] == CHANNEL
    assert update.at > placeholder.at
    result = text_of(update)
    assert "Creators for “We roast small-batch coffee" in result
    assert "*Awareness*" in result and "*Action*" in result and "followers" in result
    assert kit.EXPORT_CSV in result and kit.SWAP in result
    [stored] = slack_service.history.recent_requests(USER, 1)
    assert stored.source == "mention" and stored.request.brief.startswith("We roast")
    assert buttons_of(update)[kit.EXPORT_CSV] == [str(stored.id)]
    for pick in stored.recommendation.picks:
        assert f"@{pick.handle}" in result


def test_a_direct_message_is_answered_in_its_thread(slack: SlackRequests) -> None:
    _, ts = slack.direct_message(BRIEF)
    placeholder, update = placeholder_and_result(slack, DM_CHANNEL)
    assert placeholder.body["thread_ts"] == ts
    assert update.body["channel"] == DM_CHANNEL and "*Action*" in text_of(update)


def test_edits_and_bot_messages_in_a_dm_are_acknowledged_and_ignored(slack: SlackRequests) -> None:
    assert slack.direct_message("edited", subtype="message_changed")[0].status == 200
    assert slack.direct_message("from a bot", bot_id="B0OTHER")[0].status == 200
    slack.mock.settle()
    assert slack.mock.calls("chat.postMessage") == []


def test_an_empty_mention_and_help_get_guidance_not_a_search(slack: SlackRequests) -> None:
    slack.mention("")
    [empty] = slack.mock.wait_for("chat.postMessage")
    assert "Tell me your brand story" in text_of(empty)
    slack.mention("help")
    slack.mock.wait_for("chat.postMessage", 2)
    assert "Look up a tier" in text_of(slack.mock.calls("chat.postMessage")[1])
    assert slack.mock.calls("chat.update") == []


def test_a_retried_event_is_answered_once(slack: SlackRequests) -> None:
    first, ts = slack.mention("help", event_id="EvRETRY1")
    again, _ = slack.mention("help", ts=ts, event_id="EvRETRY1", retry_num=1)
    assert first.status == again.status == 200
    slack.mock.wait_for("chat.postMessage")
    slack.mock.settle(quiet=1.0)
    assert len(slack.mock.calls("chat.postMessage")) == 1


def test_a_rate_limited_update_is_waited_out_and_still_made(slack: SlackRequests) -> None:
    slack.mock.rate_limit_once("chat.update", retry_after=1)
    slack.mention(BRIEF)
    [update] = slack.mock.wait_for("chat.update", timeout=60)
    [limited] = [call for call in slack.mock.calls("chat.update") if call.status == 429]
    assert update.at - limited.at >= 1.0
    assert update.body["ts"] == limited.body["ts"] and "*Action*" in text_of(update)


# -- slash commands ---------------------------------------------------------------------------


def command_blocks(slack: SlackRequests, command: str, text: str) -> str:
    reply = slack.command(command, text)
    assert reply.status == 200
    body = reply.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    return json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("8500", "*8,500 followers*: *micro* (0 to 9,999), the action side"),
        ("12.3k", "*12,300 followers*: *mid* (10,000 to 99,999), the awareness side"),
        ("@trailmix.tom", "@trailmix.tom has *1,700 followers*: *micro*"),
    ],
)
def test_tier_answers_instantly_and_privately(
    slack: SlackRequests, query: str, expected: str
) -> None:
    assert expected in command_blocks(slack, "/tier", query)
    slack.mock.settle()
    assert slack.mock.calls("chat.postMessage") == []


def test_tier_shows_a_known_creators_card(slack: SlackRequests) -> None:
    answer = command_blocks(slack, "/tier", "trailmix.tom")
    assert "Tomasz Nowak" in answer and "Weekend hikes in the Tatras" in answer


def test_tier_suggests_near_misses_for_an_unknown_handle(slack: SlackRequests) -> None:
    answer = command_blocks(slack, "/tier", "@trailmix.tim")
    assert "No creator with the handle @trailmix.tim" in answer
    assert "Did you mean" in answer and "/tier @trailmix.tom" in answer


def test_tier_without_a_query_says_what_to_give(slack: SlackRequests) -> None:
    assert "Give a follower count like 8500" in command_blocks(slack, "/tier", "")


def test_storyfit_brief_posts_the_result_in_the_channel(slack: SlackRequests) -> None:
    reply = slack.command("/storyfit", BRIEF)
    assert reply.status == 200 and reply.body == ""
    placeholder, update = placeholder_and_result(slack, CHANNEL)
    assert placeholder.body.get("thread_ts") is None
    assert "*Action*" in text_of(update) and f"<@{USER}>" in text_of(update)


def test_storyfit_help_and_an_empty_brief_answer_at_once(slack: SlackRequests) -> None:
    help_text = command_blocks(slack, "/storyfit", "help")
    assert "More like this" in help_text and "/tier 12.3k" in help_text
    assert "Tell me your brand story" in command_blocks(slack, "/storyfit", "")
    slack.mock.settle()
    assert slack.mock.calls("chat.postMessage") == []


def test_storyfit_says_so_when_it_cannot_post_in_the_channel(slack: SlackRequests) -> None:
    slack.mock.fail_once("chat.postMessage", "not_in_channel")
    slack.command("/storyfit", BRIEF)
    [told] = slack.mock.wait_for("response_url")
    assert "/invite @Storyfit" in text_of(told)


def test_subcommands_run_lazily_and_admin_ones_are_refused_to_others(slack: SlackRequests) -> None:
    def echo(call: SubcommandCall) -> None:
        call.respond(f"echo {call.args} from {call.user_id} in {call.channel_id}")

    register_subcommand("echo-test", echo, usage="echo-test WORDS", summary="echo", admin_only=True)
    assert slack.command("/storyfit", "echo-test hi").body == ""
    [refused] = slack.mock.wait_for("response_url")
    assert "Only Storyfit admins" in text_of(refused) and f"<@{ADMIN}>" in text_of(refused)
    assert "echo hi" not in json.dumps(refused.body)
    slack.mock.reset()
    reply = slack.command("/storyfit", "echo-test hi there", user=ADMIN)
    assert reply.status == 200 and reply.body == ""
    [answer] = slack.mock.wait_for("response_url")
    assert answer.body["text"] == f"echo hi there from {ADMIN} in {CHANNEL}"
    assert "`/storyfit echo-test WORDS`: echo" in command_blocks(slack, "/storyfit", "help")


# -- buttons ----------------------------------------------------------------------------------


@pytest.fixture
def result(slack: SlackRequests) -> Iterator[RecordedCall]:
    """A fresh result in a thread, its buttons ready to click."""
    slack.mention(BRIEF)
    _, update = placeholder_and_result(slack, CHANNEL)
    yield update


def test_more_like_this_posts_lookalikes_in_the_thread(
    slack: SlackRequests, slack_service: StoryfitService, result: RecordedCall
) -> None:
    values = buttons_of(result)[kit.MORE_LIKE_THIS]
    request_id, _ = results.parse_pick_button_value(values[0])
    stored = slack_service.history.get_request(request_id)
    assert stored is not None
    shown = stored.recommendation.picks
    shown_keys = [pick.key for pick in shown]

    def card(pick: Pick) -> str:  # a pick's first line, as the renderer writes it
        return json.dumps(results.pick_text(pick).splitlines()[0], ensure_ascii=False)[1:-1]

    def close_to_other_picks(value: str) -> bool:
        key = results.parse_pick_button_value(value)[1]
        nearest = slack_service.lookalikes(key, LOOKALIKES, exclude=[key])
        return bool({pick.key for pick in nearest} & set(shown_keys))

    # A seed whose nearest bios include picks already shown, so leaving those out is tested.
    value = next(filter(close_to_other_picks, values))
    key = results.parse_pick_button_value(value)[1]
    reply = slack.click(kit.MORE_LIKE_THIS, value, message_ts=result.body["ts"], thread_ts="1.0")
    assert reply.status == 200
    [posted] = slack.mock.wait_for(
        "chat.postMessage", where=lambda c: "Creators like" in text_of(c)
    )
    assert posted.body["thread_ts"] == "1.0"
    posted_text = text_of(posted)
    lookalikes = slack_service.lookalikes(key, LOOKALIKES, exclude=shown_keys)
    assert lookalikes and all(card(pick) in posted_text for pick in lookalikes)
    assert not any(card(pick) in posted_text for pick in shown)
    assert stored_feedback(slack_service, (request_id, USER, "lookalikes", key))


def test_swap_replaces_one_pick_and_keeps_the_rest(
    slack: SlackRequests, slack_service: StoryfitService, result: RecordedCall
) -> None:
    value = buttons_of(result)[kit.SWAP][-1]
    request_id, key = results.parse_pick_button_value(value)
    before = slack_service.history.get_request(request_id)
    assert before is not None
    slack.click(kit.SWAP, value, message_ts=result.body["ts"])
    _, swapped = slack.mock.wait_for(
        "chat.update", 2, where=lambda c: c.body["ts"] == result.body["ts"]
    )
    after = slack_service.history.get_request(request_id)
    assert after is not None
    keys_before = [pick.key for pick in before.recommendation.picks]
    keys_after = [pick.key for pick in after.recommendation.picks]
    assert key in keys_before and key not in keys_after
    assert len(keys_after) == len(keys_before)
    assert sum(a != b for a, b in zip(keys_before, keys_after, strict=True)) == 1
    new_key = next(a for a, b in zip(keys_after, keys_before, strict=True) if a != b)
    assert f"{request_id}|{new_key}" in buttons_of(swapped)[kit.SWAP]
    assert stored_feedback(slack_service, (request_id, USER, "swap", key))


def test_export_uploads_a_csv_of_the_picks_into_the_thread(
    slack: SlackRequests, slack_service: StoryfitService, result: RecordedCall
) -> None:
    [value] = buttons_of(result)[kit.EXPORT_CSV]
    slack.click(kit.EXPORT_CSV, value, message_ts=result.body["ts"], thread_ts="1.0")
    [complete] = slack.mock.wait_for("files.completeUploadExternal")
    assert complete.body["channel_id"] == CHANNEL and complete.body["thread_ts"] == "1.0"
    [upload] = slack.mock.calls("upload")
    rows = upload.raw.decode().splitlines()
    stored = slack_service.history.get_request(int(value))
    assert stored is not None
    assert (
        rows[0].startswith("role,tier,handle") and len(rows) == len(stored.recommendation.picks) + 1
    )
    assert stored_feedback(slack_service, (int(value), USER, "export", None))


@pytest.mark.parametrize("action_id", [kit.THUMBS_UP, kit.THUMBS_DOWN])
def test_thumbs_are_stored_and_thanked_privately(
    slack: SlackRequests, slack_service: StoryfitService, result: RecordedCall, action_id: str
) -> None:
    [value] = buttons_of(result)[action_id]
    slack.click(action_id, value, message_ts=result.body["ts"])
    [thanks] = slack.mock.wait_for("chat.postEphemeral")
    assert thanks.body["user"] == USER and "Thanks" in text_of(thanks)
    kind = "thumbs_up" if action_id == kit.THUMBS_UP else "thumbs_down"
    assert stored_feedback(slack_service, (int(value), USER, kind, None))


def test_a_button_on_a_forgotten_result_gets_a_plain_answer(slack: SlackRequests) -> None:
    slack.click(kit.SWAP, "999999|instagram:nobody", message_ts="1.0")
    [told] = slack.mock.wait_for("chat.postEphemeral")
    assert "can't find that result" in text_of(told)


# -- the modal and App Home -------------------------------------------------------------------


def modal_state(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        modal.STORY_INPUT: {"type": "plain_text_input", "value": BRIEF},
        modal.OBJECTIVE_INPUT: {"type": "static_select", "selected_option": {"value": "balanced"}},
        modal.MACRO_INPUT: {"type": "number_input", "value": None},
        modal.MICRO_INPUT: {"type": "number_input", "value": None},
        modal.PLATFORMS_INPUT: {"type": "plain_text_input", "value": None},
        modal.COUNTRIES_INPUT: {"type": "plain_text_input", "value": None},
        modal.LANGUAGES_INPUT: {"type": "plain_text_input", "value": None},
        modal.CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": "C0LAUNCH"},
    }
    fields.update(overrides)
    return {key: {key: value} for key, value in fields.items()}


def test_the_new_brief_shortcut_opens_the_modal(slack: SlackRequests) -> None:
    reply = slack.shortcut(NEW_BRIEF_SHORTCUT)
    assert reply.status == 200
    [opened] = slack.mock.wait_for("views.open")
    assert opened.body["trigger_id"] == "1337.44.abcd"
    assert opened.body["view"]["callback_id"] == kit.BRIEF_MODAL


def test_find_creators_for_this_opens_the_modal_with_the_message_as_story(
    slack: SlackRequests,
) -> None:
    message = {"type": "message", "ts": "1.0", "user": "U0BOB", "text": "Our tea &amp; calm story"}
    assert slack.shortcut(BRIEF_FROM_MESSAGE_SHORTCUT, message=message).status == 200
    [opened] = slack.mock.wait_for("views.open")
    story = opened.body["view"]["blocks"][0]["element"]["initial_value"]
    assert story == "Our tea & calm story"


def test_a_modal_with_mistakes_stays_open_with_the_errors(slack: SlackRequests) -> None:
    reply = slack.submit_view(
        kit.BRIEF_MODAL, modal_state(**{modal.COUNTRIES_INPUT: {"value": "Germany"}})
    )
    assert reply.status == 200
    assert reply.json()["response_action"] == "errors"
    assert modal.COUNTRIES_INPUT in reply.json()["errors"]
    slack.mock.settle()
    assert slack.mock.calls("chat.postMessage") == []


def test_a_modal_submission_posts_the_result_in_the_chosen_channel(slack: SlackRequests) -> None:
    reply = slack.submit_view(
        kit.BRIEF_MODAL,
        modal_state(**{modal.MACRO_INPUT: {"value": "1"}, modal.MICRO_INPUT: {"value": "2"}}),
    )
    assert reply.status == 200 and reply.body == ""
    _, update = placeholder_and_result(slack, "C0LAUNCH")
    assert "1 awareness + 2 action picks" in text_of(update)


BROAD_BRIEF = (
    "healthy food, cooking, recipes, fitness, wellness, family, travel, outdoors, lifestyle, "
    "coffee, home, kids, sport"
)


def test_a_huge_mix_is_split_across_messages_in_the_thread(
    slack: SlackRequests, slack_service: StoryfitService
) -> None:
    state = modal_state(
        **{
            modal.STORY_INPUT: {"value": BROAD_BRIEF},
            modal.MACRO_INPUT: {"value": "20"},
            modal.MICRO_INPUT: {"value": "50"},
        }
    )
    slack.submit_view(kit.BRIEF_MODAL, state)
    placeholder, first = placeholder_and_result(slack, "C0LAUNCH")
    [stored] = slack_service.history.recent_requests(USER, 1)
    expected = results.result_messages(stored.recommendation, stored.id, USER)
    assert len(expected) > 1, "this brief no longer yields enough picks to need two messages"
    continued = slack.mock.wait_for(
        "chat.postMessage",
        len(expected) - 1,
        where=lambda c: c.body.get("thread_ts") == first.body["ts"],
    )
    assert first.body["blocks"] == expected[0].blocks
    assert [call.body["blocks"] for call in continued] == [m.blocks for m in expected[1:]]
    assert placeholder.body.get("thread_ts") is None


def test_app_home_shows_the_roster_the_scheme_and_recent_briefs(
    slack: SlackRequests, slack_service: StoryfitService
) -> None:
    request, answer = brief_and_answer("Home-tab check: oat milk for night-shift nurses", [])
    slack_service.history.record_request(
        user_id=USER, channel_id=CHANNEL, source="command", request=request, recommendation=answer
    )
    slack.event({"type": "app_home_opened", "user": USER, "channel": "D0HOME", "tab": "home"})
    [published] = slack.mock.wait_for("views.publish")
    assert published.body["user_id"] == USER
    home = text_of(published)
    total = sum(slack_service.tier_counts().values())
    assert f"*Roster:* {total:,} creators" in home and total > 200
    assert "Tier scheme in force" in home and "micro" in home
    assert "Home-tab check: oat milk for night-shift nurses" in home


# -- failures told plainly --------------------------------------------------------------------


def test_a_brief_nothing_matches_says_so_with_the_reason(slack: SlackRequests) -> None:
    slack.submit_view(kit.BRIEF_MODAL, modal_state(**{modal.COUNTRIES_INPUT: {"value": "AQ"}}))
    _, update = placeholder_and_result(slack, "C0LAUNCH")
    answer = text_of(update)
    assert "No creator on the roster fits this brief" in answer and "country AQ" in answer
    assert kit.EXPORT_CSV not in answer


def test_a_brief_without_words_to_search_gets_the_engines_explanation(slack: SlackRequests) -> None:
    slack.mention("!!! ???")
    _, update = placeholder_and_result(slack, CHANNEL)
    assert ":warning: The brief is empty. Describe the brand story" in text_of(update)
    assert "Traceback" not in text_of(update)


@pytest.mark.parametrize(
    ("limits", "told"),
    [
        ({"deadline_seconds": 0.001}, "took longer than 0.001 seconds"),
        ({"max_waiting_briefs": 0}, "working through a pile of other briefs"),
    ],
)
def test_a_brief_that_would_take_too_long_is_told_so(
    slack_settings: Settings,
    slack_workspaces: Workspaces,
    slack_mock: SlackMockServer,
    limits: dict[str, Any],
    told: str,
) -> None:
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    app = build_app(slack_settings, slack_workspaces, **limits)
    with ServerThread(build_asgi(app, Operations("http"))) as server:
        SlackRequests(server.url, slack_mock).mention(BRIEF)
        [update] = slack_mock.wait_for("chat.update")
    assert told in text_of(update)
    slack_mock.settle(quiet=0.5)


@pytest.mark.parametrize(
    ("extra", "missing"),
    [({}, "SLACK_BOT_TOKEN is not set"), ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET")],
)
def test_storyfit_serve_refuses_to_start_without_its_settings(
    tmp_path: Path, extra: dict[str, str], missing: str
) -> None:
    result = subprocess.run(
        storyfit_command("serve", "--port", "0"),
        capture_output=True,
        text=True,
        env=clean_env(tmp_path, **extra),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert missing in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_storyfit_serve_over_an_empty_store_says_the_roster_is_empty(
    tmp_path: Path, slack_mock: SlackMockServer
) -> None:
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    with serving(
        tmp_path,
        slack_mock,
        SLACK_BOT_TOKEN="xoxb-serve-test",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
    ) as slack:
        assert slack.mention(BRIEF)[0].status == 200
        [update] = slack_mock.wait_for("chat.update", timeout=60)
        assert "The roster is empty" in text_of(update)

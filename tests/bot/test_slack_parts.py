"""The Slack layer's pure parts: retry dedupe, modal parsing, message text, subcommands."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from bot.blocks import modal
from bot.listeners.answer import brief_from_slack_text
from bot.listeners.shortcuts import BRIEF_FROM_MESSAGE_SHORTCUT, NEW_BRIEF_SHORTCUT
from bot.listeners.subcommands import find_subcommand, help_lines, register_subcommand
from bot.listeners.views import read_submission
from bot.server import EVENTS_PATH
from bot.slack.retries import DropRepeatedEvents
from retrieval.contract import RecommendRequest
from tests.conftest import REPO


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_event_id_is_seen_once_until_it_expires() -> None:
    clock = Clock()
    dedupe = DropRepeatedEvents(ttl_seconds=60, clock=clock)
    assert not dedupe.seen_before("Ev1")
    assert dedupe.seen_before("Ev1")
    assert not dedupe.seen_before("Ev2")
    clock.now = 61
    assert not dedupe.seen_before("Ev1")


def test_the_memory_of_event_ids_is_bounded() -> None:
    dedupe = DropRepeatedEvents(max_entries=3, clock=Clock())
    for event_id in ("a", "b", "c", "d"):
        assert not dedupe.seen_before(event_id)
    assert not dedupe.seen_before("a")  # the oldest was forgotten to make room
    assert dedupe.seen_before("d")


def modal_values(**fields: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        modal.STORY_INPUT: {"type": "plain_text_input", "value": "Slow coffee for busy parents"},
        modal.OBJECTIVE_INPUT: {
            "type": "static_select",
            "selected_option": {"value": "conversion"},
        },
        modal.MACRO_INPUT: {"type": "number_input", "value": "1"},
        modal.MICRO_INPUT: {"type": "number_input", "value": None},
        modal.PLATFORMS_INPUT: {"type": "plain_text_input", "value": "Instagram, tiktok"},
        modal.COUNTRIES_INPUT: {"type": "plain_text_input", "value": "de us"},
        modal.LANGUAGES_INPUT: {"type": "plain_text_input", "value": None},
        modal.CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": "C0BRANDS"},
    }
    defaults.update(fields)
    return {"state": {"values": {key: {key: value} for key, value in defaults.items()}}}


def test_a_complete_modal_becomes_a_request_and_a_channel() -> None:
    submission = read_submission(modal_values())
    assert submission.errors == {}
    assert submission.channel == "C0BRANDS"
    request = submission.request
    assert request is not None
    assert request.brief == "Slow coffee for busy parents"
    assert request.objective == "conversion"
    assert (request.macro, request.micro) == (1, None)
    assert request.platform == ["instagram", "tiktok"]
    assert request.country == ["DE", "US"] and request.language == []


def test_modal_mistakes_are_reported_on_the_field_that_has_them() -> None:
    submission = read_submission(
        modal_values(
            **{
                modal.STORY_INPUT: {"value": "   "},
                modal.COUNTRIES_INPUT: {"value": "Germany"},
                modal.LANGUAGES_INPUT: {"value": "english"},
                modal.MICRO_INPUT: {"value": "51"},
                modal.CHANNEL_INPUT: {"selected_conversation": None},
            }
        )
    )
    assert submission.request is None
    assert set(submission.errors) == {
        modal.STORY_INPUT,
        modal.COUNTRIES_INPUT,
        modal.LANGUAGES_INPUT,
        modal.MICRO_INPUT,
        modal.CHANNEL_INPUT,
    }
    assert "two-letter country codes" in submission.errors[modal.COUNTRIES_INPUT]


def test_the_modals_pick_counts_are_the_request_models_bounds() -> None:
    RecommendRequest(brief="b", macro=modal.MAX_MACRO, micro=modal.MAX_MICRO)
    with pytest.raises(ValidationError):
        RecommendRequest(brief="b", macro=modal.MAX_MACRO + 1)
    with pytest.raises(ValidationError):
        RecommendRequest(brief="b", micro=modal.MAX_MICRO + 1)


def test_message_text_becomes_a_plain_brief() -> None:
    text = "<@U0BOT> Coffee &amp; calm <https://brand.example|our site> for <#C1|general> &lt;3"
    assert brief_from_slack_text(text, "U0BOT") == "Coffee & calm our site for #general <3"
    assert brief_from_slack_text("<@U0BOT>", "U0BOT") == ""


def test_subcommands_are_found_by_their_first_word_and_listed_in_help() -> None:
    def handler(call: object) -> None:
        del call

    register_subcommand("zz-test", handler, usage="zz-test now", summary="a test subcommand")
    found = find_subcommand("ZZ-test now please")
    assert found is not None and found[0].handler is handler and found[1] == "now please"
    assert find_subcommand("zz-testing coffee") is None
    assert ("zz-test now", "a test subcommand") in help_lines()
    with pytest.raises(ValueError, match="cannot be a /storyfit subcommand"):
        register_subcommand("help", handler, usage="help", summary="no")


def test_the_manifest_declares_what_the_app_listens_to() -> None:
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    features, settings = manifest["features"], manifest["settings"]
    assert {command["command"] for command in features["slash_commands"]} == {"/tier", "/storyfit"}
    assert {(shortcut["type"], shortcut["callback_id"]) for shortcut in features["shortcuts"]} == {
        ("global", NEW_BRIEF_SHORTCUT),
        ("message", BRIEF_FROM_MESSAGE_SHORTCUT),
    }
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    urls += [command["url"] for command in features["slash_commands"]]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "files:write", "im:history"} <= scopes

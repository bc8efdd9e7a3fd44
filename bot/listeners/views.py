"""The brief modal's submission: checked in the acknowledgement, answered in the chosen channel."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks.kit import BRIEF_MODAL
from bot.blocks.modal import (
    BRANDS_INPUT,
    CHANNEL_INPUT,
    COUNTRIES_INPUT,
    INCLUDE_BRANDS,
    LANGUAGES_INPUT,
    MACRO_INPUT,
    MAX_MACRO,
    MAX_MICRO,
    MICRO_INPUT,
    OBJECTIVE_INPUT,
    PLATFORMS_INPUT,
    STORY_INPUT,
)
from bot.blocks.replies import error_message
from bot.listeners.answer import Place, answer_brief, post
from bot.listeners.runtime import ListenerDeps, failures_told
from retrieval.contract import OBJECTIVES, RecommendRequest

_SEPARATORS = re.compile(r"[,;\s]+")
_CODE = re.compile(r"^[A-Za-z]{2}$")


@dataclass(frozen=True)
class BriefSubmission:
    """The modal's values: a request and a channel, or errors keyed by the input's block_id."""

    request: RecommendRequest | None = None
    channel: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _value(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: dict[str, Any] = values.get(block_id, {}).get(block_id, {})
    return found


def _words(text: str | None) -> list[str]:
    return [word for word in _SEPARATORS.split(text or "") if word]


def _codes(text: str | None, upper: bool) -> list[str] | None:
    """Two-letter codes, or ``None`` when one is not a code."""
    words = _words(text)
    if not all(_CODE.match(word) for word in words):
        return None
    return [word.upper() if upper else word.lower() for word in words]


def _count(
    values: dict[str, Any], block_id: str, maximum: int, errors: dict[str, str]
) -> int | None:
    """A pick count from 0 to ``maximum``, ``None`` when left empty; an error otherwise."""
    raw = _value(values, block_id).get("value")
    if raw in (None, ""):
        return None
    try:
        count = int(str(raw))
    except ValueError:
        count = -1
    if not 0 <= count <= maximum:
        errors[block_id] = f"Give a whole number from 0 to {maximum}."
        return None
    return count


def read_submission(view: dict[str, Any]) -> BriefSubmission:
    """Read and check the modal; never raises for anything a user can type."""
    values: dict[str, Any] = view.get("state", {}).get("values", {})
    errors: dict[str, str] = {}
    story = str(_value(values, STORY_INPUT).get("value") or "").strip()
    if not story:
        errors[STORY_INPUT] = "Tell me the brand story: a sentence or two is enough."
    countries = _codes(_value(values, COUNTRIES_INPUT).get("value"), upper=True)
    if countries is None:
        errors[COUNTRIES_INPUT] = "Use two-letter country codes like US, GB, DE."
    languages = _codes(_value(values, LANGUAGES_INPUT).get("value"), upper=False)
    if languages is None:
        errors[LANGUAGES_INPUT] = "Use two-letter language codes like en, es, de."
    channel = _value(values, CHANNEL_INPUT).get("selected_conversation")
    if not channel:
        errors[CHANNEL_INPUT] = "Pick the channel to post the result in."
    objective = (_value(values, OBJECTIVE_INPUT).get("selected_option") or {}).get("value")
    if objective not in OBJECTIVES:
        objective = None
    macro = _count(values, MACRO_INPUT, MAX_MACRO, errors)
    micro = _count(values, MICRO_INPUT, MAX_MICRO, errors)
    if errors:
        return BriefSubmission(errors=errors)
    platforms = _words(_value(values, PLATFORMS_INPUT).get("value"))
    ticked = _value(values, BRANDS_INPUT).get("selected_options") or []
    request = RecommendRequest(
        brief=story,
        objective=objective,
        macro=macro,
        micro=micro,
        platform=[platform.lower() for platform in platforms],
        country=countries or [],
        language=languages or [],
        include_brands=any(option.get("value") == INCLUDE_BRANDS for option in ticked),
    )
    return BriefSubmission(request=request, channel=str(channel))


def check_brief(ack: Ack, view: dict[str, Any]) -> None:
    submission = read_submission(view)
    if submission.errors:
        ack(response_action="errors", errors=submission.errors)
    else:
        ack()


def answer_submission(
    deps: ListenerDeps,
    view: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    submission = read_submission(view)
    if submission.request is None or submission.channel is None:
        return  # the modal stayed open with the errors shown
    user_id = body["user"]["id"]

    def tell_in_dm(message: str) -> None:
        post(client, Place(user_id), error_message(message))

    with failures_told(tell_in_dm, logger, "starting on your brief"):
        answer_brief(
            client,
            deps,
            logger,
            place=Place(submission.channel),
            user_id=user_id,
            source="modal",
            request=submission.request,
            team_id=context.team_id,
            cannot_post=tell_in_dm,
        )


def register(app: App, deps: ListenerDeps) -> None:
    """``answer_submission`` gets ``deps`` bound first; Bolt injects the rest by parameter name."""
    app.view(BRIEF_MODAL)(ack=check_brief, lazy=[partial(answer_submission, deps)])

"""Buttons on a result: More like this, Swap, Export CSV, and thumbs up / down.

Every button carries the stored request's id (and, per pick, the creator's key); the result is
reloaded from the history, never carried in the button.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.blocks.kit import (
    EXPORT_CSV,
    MORE_LIKE_THIS,
    SWAP,
    THUMBS_DOWN,
    THUMBS_UP,
    SlackMessage,
    gist,
)
from bot.blocks.replies import error_message, notice_message
from bot.blocks.results import (
    lookalike_messages,
    parse_pick_button_value,
    parse_request_button_value,
    result_messages,
)
from bot.csv_export import picks_csv
from bot.history.store import FeedbackKind, StoredRequest
from bot.listeners.answer import Place, asked_by, post, update
from bot.listeners.runtime import ListenerDeps, acknowledge, failures_told
from retrieval.contract import Pick
from retrieval.errors import StoryfitError

#: Creators shown by "More like this".
LOOKALIKES = 5

RESULT_GONE = (
    "I can't find that result any more, so I can't act on it. Ask me again with the brief and "
    "use the buttons on the new result."
)
PICK_GONE = "@{handle} is no longer in this result (it may have been swapped out already)."
THANKS = {
    "thumbs_up": "Thanks! Noted that this mix was useful.",
    "thumbs_down": "Thanks for saying so. Noted that this mix missed: Swap or a sharper brief "
    "may help.",
}


@dataclass(frozen=True)
class Click:
    """Who clicked which button on which message, in which workspace."""

    team_id: str | None
    user_id: str
    channel_id: str
    message_ts: str
    thread_ts: str
    """The thread the result lives in (the message itself when it is not in a thread)."""
    value: str

    @classmethod
    def of(cls, body: dict[str, Any], context: BoltContext) -> Click:
        container = body.get("container") or {}
        message = body.get("message") or {}
        message_ts = str(container.get("message_ts") or message.get("ts"))
        return cls(
            team_id=context.team_id,
            user_id=body["user"]["id"],
            channel_id=str(container.get("channel_id") or body["channel"]["id"]),
            message_ts=message_ts,
            thread_ts=str(container.get("thread_ts") or message.get("thread_ts") or message_ts),
            value=str(body["actions"][0].get("value") or ""),
        )


def _find_pick(stored: StoredRequest, key: str) -> Pick:
    for pick in stored.recommendation.picks:
        if pick.key == key:
            return pick
    raise StoryfitError(PICK_GONE.format(handle=key.partition(":")[2] or key))


def _tell(client: WebClient, click: Click, message: SlackMessage) -> None:
    client.chat_postEphemeral(
        channel=click.channel_id,
        user=click.user_id,
        thread_ts=click.thread_ts,
        text=message.text,
        blocks=message.blocks,
    )


def _telling(
    client: WebClient, click: Click, logger: logging.Logger, doing: str
) -> AbstractContextManager[None]:
    return failures_told(lambda text: _tell(client, click, error_message(text)), logger, doing)


def _load(deps: ListenerDeps, click: Click, request_id: int) -> StoredRequest:
    """The stored result, read from the history of the workspace the click came from only."""
    stored = deps.service_for(click.team_id).history.get_request(request_id)
    if stored is None:
        raise StoryfitError(RESULT_GONE)
    return stored


def _feedback(
    deps: ListenerDeps, click: Click, request_id: int, kind: FeedbackKind, key: str | None = None
) -> None:
    deps.service_for(click.team_id).history.record_feedback(
        request_id=request_id, user_id=click.user_id, kind=kind, creator_key=key
    )


def more_like_this(
    deps: ListenerDeps,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    click = Click.of(body, context)
    with _telling(client, click, logger, "finding similar creators"):
        request_id, key = parse_pick_button_value(click.value)
        stored = _load(deps, click, request_id)
        seed = _find_pick(stored, key)
        shown = [pick.key for pick in stored.recommendation.picks]
        service = deps.service_for(click.team_id)
        picks = deps.run(lambda: service.lookalikes(key, LOOKALIKES, exclude=shown))
        for message in lookalike_messages(seed, picks):
            post(client, Place(click.channel_id, click.thread_ts), message)
        _feedback(deps, click, request_id, "lookalikes", key)


def swap(
    deps: ListenerDeps,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    click = Click.of(body, context)
    with _telling(client, click, logger, "swapping that creator"):
        request_id, key = parse_pick_button_value(click.value)
        stored = _load(deps, click, request_id)
        _find_pick(stored, key)
        asker = asked_by(stored.user_id)
        before = result_messages(stored.recommendation, request_id, asker)
        page = next(i for i, message in enumerate(before) if key in message.pick_keys)
        service = deps.service_for(click.team_id)
        swapped = deps.run(lambda: service.swap(stored.request, stored.recommendation, key))
        service.history.update_recommendation(request_id, swapped)
        _feedback(deps, click, request_id, "swap", key)
        after = result_messages(swapped, request_id, asker)
        update(client, click.channel_id, click.message_ts, after[min(page, len(after) - 1)])


def export_csv(
    deps: ListenerDeps,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    click = Click.of(body, context)
    with _telling(client, click, logger, "exporting the picks"):
        request_id = parse_request_button_value(click.value)
        stored = _load(deps, click, request_id)
        recommendation = stored.recommendation
        client.files_upload_v2(
            channel=click.channel_id,
            thread_ts=click.thread_ts,
            content=picks_csv(recommendation),
            filename=f"storyfit-picks-{request_id}.csv",
            title=f"Storyfit picks: {gist(recommendation.brief)}",
            initial_comment=(
                f"The {len(recommendation.picks)} picks as CSV, for <@{click.user_id}>."
            ),
        )
        _feedback(deps, click, request_id, "export")


def record_thumbs(
    deps: ListenerDeps,
    kind: FeedbackKind,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    click = Click.of(body, context)
    with _telling(client, click, logger, "saving your feedback"):
        request_id = _load(deps, click, parse_request_button_value(click.value)).id
        _feedback(deps, click, request_id, kind)
        _tell(client, click, notice_message(THANKS[kind]))


def register(app: App, deps: ListenerDeps) -> None:
    """Each handler gets ``deps`` bound first; Bolt injects the rest by parameter name."""
    app.action(MORE_LIKE_THIS)(ack=acknowledge, lazy=[partial(more_like_this, deps)])
    app.action(SWAP)(ack=acknowledge, lazy=[partial(swap, deps)])
    app.action(EXPORT_CSV)(ack=acknowledge, lazy=[partial(export_csv, deps)])
    app.action(THUMBS_UP)(ack=acknowledge, lazy=[partial(record_thumbs, deps, "thumbs_up")])
    app.action(THUMBS_DOWN)(ack=acknowledge, lazy=[partial(record_thumbs, deps, "thumbs_down")])

"""From a brief to a result in Slack: placeholder first, then the explained mix in its place."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.kit import SlackMessage
from bot.blocks.replies import error_message
from bot.blocks.results import placeholder_message, result_messages
from bot.history.store import RequestSource
from bot.listeners.runtime import ListenerDeps, describe_failure, failures_told
from retrieval.contract import RecommendRequest

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")

CANNOT_POST = (
    "I can't post in that conversation. Invite me with `/invite @Storyfit` "
    "(or pick a channel I'm in), or send me the brief in a DM."
)


@dataclass(frozen=True)
class Place:
    """Where a reply goes: a channel, and the thread in it (``None`` for the channel itself)."""

    channel: str
    thread_ts: str | None = None


def post(client: WebClient, place: Place, message: SlackMessage) -> str:
    """Post a message; returns its ``ts``."""
    response = client.chat_postMessage(
        channel=place.channel,
        thread_ts=place.thread_ts,
        text=message.text,
        blocks=message.blocks,
        unfurl_links=False,
        unfurl_media=False,
    )
    return str(response["ts"])


def update(client: WebClient, channel: str, ts: str, message: SlackMessage) -> None:
    client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)


def show_messages(
    client: WebClient, place: Place, first_ts: str, messages: Sequence[SlackMessage]
) -> None:
    """Turn the message at ``first_ts`` into the first of ``messages``; the rest go in thread."""
    update(client, place.channel, first_ts, messages[0])
    continuation = Place(place.channel, place.thread_ts or first_ts)
    for message in messages[1:]:
        post(client, continuation, message)


def brief_from_slack_text(text: str, bot_user_id: str | None = None) -> str:
    """The plain brief in a message or command: the bot's mention dropped, links unwrapped."""

    def unwrap(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if bot_user_id and target == f"@{bot_user_id}":
            return ""
        if label:
            return "#" + label if target.startswith("#") else label
        return target

    plain = _LINK.sub(unwrap, text)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return plain.strip()


def asked_by(user_id: str | None) -> str | None:
    """``user_id`` when it is a well-formed Slack user id (it is shown as a mention)."""
    return user_id if user_id and _USER_ID.match(user_id) else None


def answer_brief(
    client: WebClient,
    deps: ListenerDeps,
    logger: logging.Logger,
    *,
    place: Place,
    user_id: str | None,
    source: RequestSource,
    request: RecommendRequest,
    team_id: str | None,
    cannot_post: Callable[[str], object] | None = None,
) -> None:
    """Placeholder now; the result (or a plain-words error) in its place when ready, from the
    roster of the workspace ``team_id``.

    ``cannot_post`` tells the user when the placeholder itself cannot be posted (the bot is not
    in that channel); without it the failure is only logged.
    """
    service = deps.service_for(team_id)
    try:
        placeholder_ts = post(client, place, placeholder_message(request.brief))
    except SlackApiError as error:
        message = describe_failure(error, logger, "posting a placeholder")
        if cannot_post is not None:
            cannot_post(CANNOT_POST if _is_membership_error(error) else message)
        return

    def tell(message: str) -> None:
        update(client, place.channel, placeholder_ts, error_message(message))

    with failures_told(tell, logger, "finding creators for this brief"):

        def recommend_and_record() -> list[SlackMessage]:
            recommendation = service.recommend(request)
            request_id: int | None = None
            try:
                request_id = service.history.record_request(
                    user_id=user_id,
                    channel_id=place.channel,
                    source=source,
                    request=request,
                    recommendation=recommendation,
                )
            except Exception:  # the result still helps; only its buttons need the history
                logger.exception("Could not record a request; showing it without buttons")
            return result_messages(recommendation, request_id, asked_by(user_id))

        show_messages(client, place, placeholder_ts, deps.run(recommend_and_record))


def _is_membership_error(error: SlackApiError) -> bool:
    code = error.response.get("error")
    return code in {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}

"""Mentions and direct messages: a brand story in, the explained mix back in the thread."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.blocks.replies import empty_brief_message, error_message, help_message
from bot.history.store import RequestSource
from bot.listeners.answer import Place, answer_brief, brief_from_slack_text, post
from bot.listeners.runtime import ListenerDeps, acknowledge, failures_told
from bot.listeners.subcommands import help_lines
from retrieval.contract import RecommendRequest

#: A message that is only one of these asks for help, not for creators.
HELP_WORDS = frozenset({"help", "?", "hi", "hello", "hey"})


def is_direct_message(event: dict[str, Any]) -> bool:
    """A person's own new message in a DM with the bot (not another bot's, not an edit)."""
    return event.get("channel_type") == "im" and "bot_id" not in event


def _answer(
    deps: ListenerDeps,
    event: dict[str, Any],
    client: WebClient,
    bot_user_id: str | None,
    logger: logging.Logger,
    source: RequestSource,
    team_id: str | None,
) -> None:
    place = Place(event["channel"], event.get("thread_ts") or event["ts"])
    with failures_told(
        lambda text: post(client, place, error_message(text)), logger, "reading your message"
    ):
        brief = brief_from_slack_text(str(event.get("text") or ""), bot_user_id)
        if not brief:
            how = f"mention me (<@{bot_user_id}>)" if source == "mention" else "send me"
            post(client, place, empty_brief_message(how))
            return
        if brief.lower().strip(" !.") in HELP_WORDS:
            post(client, place, help_message(help_lines()))
            return
        answer_brief(
            client,
            deps,
            logger,
            place=place,
            user_id=event.get("user"),
            source=source,
            request=RecommendRequest(brief=brief),
            team_id=team_id,
        )


def answer_mention(
    deps: ListenerDeps,
    event: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    _answer(deps, event, client, context.bot_user_id, logger, "mention", context.team_id)


def answer_direct_message(
    deps: ListenerDeps,
    event: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    _answer(deps, event, client, context.bot_user_id, logger, "dm", context.team_id)


def register(app: App, deps: ListenerDeps) -> None:
    """Each handler gets ``deps`` bound first; Bolt injects the rest by parameter name."""
    app.event("app_mention")(ack=acknowledge, lazy=[partial(answer_mention, deps)])
    app.event({"type": "message", "subtype": None}, matchers=[is_direct_message])(
        ack=acknowledge, lazy=[partial(answer_direct_message, deps)]
    )
    # Every other message event (edits, our own updates, other bots): acknowledged, nothing to do.
    # Unhandled events would get a 404, which Slack counts as a failed delivery and retries.
    app.event("message")(acknowledge)

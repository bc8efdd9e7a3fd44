"""``/tier`` (answered in the acknowledgement itself) and ``/storyfit`` (briefs, help and more)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks.kit import SlackMessage, escape
from bot.blocks.replies import (
    empty_brief_message,
    error_message,
    help_message,
    refusal_message,
    tier_message,
    unknown_handle_message,
)
from bot.listeners.answer import Place, answer_brief, brief_from_slack_text
from bot.listeners.runtime import ListenerDeps, describe_failure, failures_told
from bot.listeners.subcommands import (
    Subcommand,
    SubcommandCall,
    find_subcommand,
    help_lines,
)
from bot.service import StoryfitService, UnknownHandleError
from retrieval.contract import RecommendRequest

ADMINS_ONLY_SUMMARY = "Only Storyfit admins can use `/storyfit {name}`."
ADMINS_ONLY = (
    ADMINS_ONLY_SUMMARY + " Ask {admins} to run it, or whoever runs Storyfit to add your "
    "Slack user id to STORYFIT_ADMIN_USERS."
)


def tier_reply(service: StoryfitService, query: str, logger: logging.Logger) -> SlackMessage:
    """The ``/tier`` answer for a follower count or a handle; never raises."""
    try:
        lookup = service.lookup_tier(query)
    except UnknownHandleError as error:
        return unknown_handle_message(error.handle, error.suggestions)
    except Exception as error:
        return error_message(describe_failure(error, logger, "looking up that tier"))
    return tier_message(lookup)


def _command_text(command: dict[str, Any]) -> str:
    return brief_from_slack_text(str(command.get("text") or ""))


def run_subcommand(subcommand: Subcommand, call: SubcommandCall) -> None:
    """Run a subcommand, or tell a non-admin that an admin-only one is not theirs to run."""
    if not subcommand.admin_only or call.caller_is_admin():
        subcommand.handler(call)
        return
    refusal = refusal_message(
        ADMINS_ONLY_SUMMARY.format(name=subcommand.name),
        ADMINS_ONLY.format(name=escape(subcommand.name), admins=call.admins.describe()),
    )
    call.respond(text=refusal.text, blocks=refusal.blocks)


def answer_tier(
    deps: ListenerDeps,
    ack: Ack,
    command: dict[str, Any],
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Answered in the acknowledgement itself, from the roster of the workspace that asked."""
    try:
        service = deps.service_for(context.team_id)
    except Exception as error:
        message = error_message(describe_failure(error, logger, "finding your workspace"))
    else:
        message = tier_reply(service, str(command.get("text") or ""), logger)
    ack(text=message.text, blocks=message.blocks)


def ack_storyfit(deps: ListenerDeps, ack: Ack, command: dict[str, Any]) -> None:
    """Instant answers (help, an empty brief) here; everything else, refusals too, is lazy
    (whether someone is an admin may take a ``users.info`` call)."""
    text = _command_text(command)
    if not text:
        message = empty_brief_message("`/storyfit`")
    elif text.lower() == "help":
        message = help_message(help_lines())
    else:
        ack()
        return
    ack(text=message.text, blocks=message.blocks)


def run_storyfit(
    deps: ListenerDeps,
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    text = _command_text(command)
    if not text or text.lower() == "help":
        return

    def tell(message: str) -> None:
        reply = error_message(message)
        respond(text=reply.text, blocks=reply.blocks)

    found = find_subcommand(text)
    if found is not None:
        subcommand, args = found
        with failures_told(tell, logger, f"running /storyfit {subcommand.name}"):
            call = SubcommandCall(
                args=args,
                user_id=command["user_id"],
                channel_id=command["channel_id"],
                team_id=str(command.get("team_id") or ""),
                trigger_id=str(command.get("trigger_id") or ""),
                service=deps.service_for(context.team_id),
                client=client,
                respond=respond,
                logger=logger,
                admins=deps.admins,
            )
            run_subcommand(subcommand, call)
        return
    with failures_told(tell, logger, "starting on your brief"):
        answer_brief(
            client,
            deps,
            logger,
            place=Place(command["channel_id"]),
            user_id=command.get("user_id"),
            source="command",
            request=RecommendRequest(brief=text),
            team_id=context.team_id,
            cannot_post=tell,
        )


def register(app: App, deps: ListenerDeps) -> None:
    """Each handler gets ``deps`` bound first; Bolt injects the rest by parameter name."""
    app.command("/tier")(partial(answer_tier, deps))
    app.command("/storyfit")(ack=partial(ack_storyfit, deps), lazy=[partial(run_storyfit, deps)])

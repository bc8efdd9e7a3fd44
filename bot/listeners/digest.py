"""``/storyfit digest subscribe [day] [hour] [zone] | unsubscribe | now | preview``.

Registered through the ``/storyfit`` subcommand registry. Anyone may ask for ``now`` and
``preview``; only Storyfit's admins (``STORYFIT_ADMIN_USERS``, else the workspace's admins and
owners) may change a subscription.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.blocks.kit import SlackMessage
from bot.blocks.replies import notice_message, refusal_message
from bot.digest.blocks import digest_message
from bot.digest.delivery import post_digest, recent_digest
from bot.digest.schedule import parse_schedule_words, schedule_for
from bot.listeners.runtime import ListenerDeps
from bot.listeners.subcommands import SubcommandCall, register_subcommand
from bot.slack.client import sending_once

USAGE = "digest subscribe [day] [hour] | unsubscribe | now | preview"
SUMMARY = (
    "the weekly digest of this channel's briefs: subscribe (optionally on a day and hour, "
    "e.g. `subscribe friday 14`), unsubscribe, post one `now`, or `preview` it just for you"
)
NOT_ADMIN_SUMMARY = "Sorry, only Storyfit admins can change this channel's digest subscription."
NOT_ADMIN = (
    NOT_ADMIN_SUMMARY + " Ask {admins} to do it for you; you can still use "
    "`/storyfit digest now` or `/storyfit digest preview`."
)
NOT_IN_CHANNEL = (
    "I can't post in this channel yet. Invite me with `/invite @Storyfit`, then ask again."
)
CONNECTION_LOST = (
    "The connection to Slack broke while I was posting the digest, so it may or may not be in "
    "this channel. Have a look before asking again."
)
UNKNOWN_ACTION = (
    "I know `/storyfit digest subscribe [day] [hour]`, `unsubscribe`, `now` and `preview`. "
    "For example: `/storyfit digest subscribe monday 9`."
)


def _reply(call: SubcommandCall, message: SlackMessage, *, in_channel: bool = False) -> None:
    call.respond(
        text=message.text,
        blocks=message.blocks,
        response_type="in_channel" if in_channel else "ephemeral",
    )


def _subscribe(call: SubcommandCall, words: list[str]) -> None:
    wanted = parse_schedule_words(words)
    schedule = schedule_for(wanted, call.service.settings)
    call.service.history.subscribe(
        call.channel_id,
        created_by=call.user_id,
        weekday=wanted.weekday,
        hour=wanted.hour,
        cron=schedule.cron,
        timezone=schedule.zone.key,
    )
    when = schedule.describe()
    _reply(
        call,
        notice_message(
            f"This channel will get the Storyfit digest {when}: the week's briefs, the creators "
            "picked most, feedback and roster changes. `/storyfit digest unsubscribe` stops it."
        ),
        in_channel=True,
    )


def _unsubscribe(call: SubcommandCall) -> None:
    if call.service.history.unsubscribe(call.channel_id):
        text = "This channel will no longer get the Storyfit digest."
    else:
        text = "This channel was not subscribed to the Storyfit digest, so nothing changed."
    _reply(call, notice_message(text), in_channel=True)


def _post_now(call: SubcommandCall) -> None:
    """Post the last seven days' digest once per command, however often Slack delivers it."""
    now = datetime.now(UTC)
    # Without Slack's trigger id (never seen in practice) the command still runs, just once.
    key = f"{call.team_id}:{call.trigger_id}" if call.trigger_id else uuid.uuid4().hex
    claim = call.service.history.claim_digest_request(
        key,
        channel_id=call.channel_id,
        requested_by=call.user_id,
        at=now,
    )
    if claim is None:
        call.logger.info("Ignored a repeated digest now (trigger %s)", call.trigger_id)
        return
    digest = recent_digest(call.service, call.channel_id, now)
    try:
        posted = post_digest(sending_once(call.client), call.channel_id, digest)
    except SlackApiError as error:
        if error.response.get("error") not in ("not_in_channel", "channel_not_found"):
            raise
        _reply(call, notice_message(NOT_IN_CHANNEL))
        return
    except OSError:
        _reply(call, notice_message(CONNECTION_LOST))
        return
    call.service.history.finish_digest_request(claim, posted.ts)
    note = f" ({posted.chart_error})" if posted.chart_error else ""
    _reply(call, notice_message(f"Posted the last seven days' digest to this channel{note}."))


def _preview(call: SubcommandCall) -> None:
    digest = recent_digest(call.service, call.channel_id, datetime.now(UTC))
    _reply(call, digest_message(digest))


def handle_digest(call: SubcommandCall) -> None:
    action, *words = call.args.split() or [""]
    action = action.lower()
    if action in ("subscribe", "unsubscribe") and not call.caller_is_admin():
        refusal = NOT_ADMIN.format(admins=call.admins.describe())
        _reply(call, refusal_message(NOT_ADMIN_SUMMARY, refusal))
    elif action == "subscribe":
        _subscribe(call, words)
    elif action == "unsubscribe":
        _unsubscribe(call)
    elif action == "now":
        _post_now(call)
    elif action == "preview":
        _preview(call)
    else:
        _reply(call, notice_message(UNKNOWN_ACTION))


def register(app: App, deps: ListenerDeps) -> None:
    register_subcommand("digest", handle_digest, usage=USAGE, summary=SUMMARY)

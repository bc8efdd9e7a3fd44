"""``/storyfit digest subscribe [day] [hour] [zone] | unsubscribe | now | preview``.

Registered through the ``/storyfit`` subcommand registry. Anyone may ask for ``now`` and
``preview``; when ``STORYFIT_ADMIN_USERS`` is set, only those users may change a subscription.
"""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.blocks.kit import SlackMessage, escape, section
from bot.blocks.replies import notice_message
from bot.digest.blocks import digest_message
from bot.digest.delivery import post_digest, recent_digest
from bot.digest.schedule import parse_schedule_words, schedule_for
from bot.listeners.runtime import ListenerDeps
from bot.listeners.subcommands import SubcommandCall, register_subcommand

USAGE = "digest subscribe [day] [hour] | unsubscribe | now | preview"
SUMMARY = (
    "the weekly digest of this channel's briefs: subscribe (optionally on a day and hour, "
    "e.g. `subscribe friday 14`), unsubscribe, post one `now`, or `preview` it just for you"
)
NOT_ADMIN = (
    "Sorry, only Storyfit admins can change this channel's digest subscription. Ask one of "
    "{admins} to do it for you; you can still use `/storyfit digest now` or "
    "`/storyfit digest preview`."
)
NOT_IN_CHANNEL = (
    "I can't post in this channel yet. Invite me with `/invite @Storyfit`, then ask again."
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


def _may_manage(call: SubcommandCall) -> bool:
    admins = call.service.settings.admin_users
    return not admins or call.user_id in admins


def _subscribe(call: SubcommandCall, words: list[str]) -> None:
    wanted = parse_schedule_words(words)
    subscription = call.service.history.subscribe(
        call.channel_id,
        created_by=call.user_id,
        weekday=wanted.weekday,
        hour=wanted.hour,
        timezone=wanted.timezone,
    )
    when = schedule_for(subscription, call.service.settings).describe()
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
    digest = recent_digest(call.service, call.channel_id, datetime.now(UTC))
    try:
        posted = post_digest(call.client, call.channel_id, digest)
    except SlackApiError as error:
        if error.response.get("error") not in ("not_in_channel", "channel_not_found"):
            raise
        _reply(call, notice_message(NOT_IN_CHANNEL))
        return
    note = f" ({posted.chart_error})" if posted.chart_error else ""
    _reply(call, notice_message(f"Posted the last seven days' digest to this channel{note}."))


def _preview(call: SubcommandCall) -> None:
    digest = recent_digest(call.service, call.channel_id, datetime.now(UTC))
    _reply(call, digest_message(digest))


def handle_digest(call: SubcommandCall) -> None:
    action, *words = call.args.split() or [""]
    action = action.lower()
    if action in ("subscribe", "unsubscribe") and not _may_manage(call):
        admins = ", ".join(f"<@{escape(user)}>" for user in call.service.settings.admin_users)
        refusal = NOT_ADMIN.format(admins=admins)
        _reply(call, SlackMessage(refusal, [section(f":lock: {refusal}")]))
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

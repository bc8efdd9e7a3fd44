"""The ``/storyfit <name> ...`` subcommand registry, for features that live in other modules.

A feature registers its subcommands when its listener module is registered, e.g. the digest::

    from bot.listeners.subcommands import SubcommandCall, register_subcommand

    def digest(call: SubcommandCall) -> None:
        call.respond("Subscribed this channel to the weekly digest.")

    def register(app: App, deps: ListenerDeps) -> None:
        register_subcommand(
            "digest", digest, usage="digest subscribe | digest now",
            summary="weekly digest for this channel", admin_only=True,
        )

``/storyfit digest now`` then acknowledges at once and runs ``digest`` in a lazy listener with
``call.args == "now"``. A handler may be slow; any exception it raises is told to the user
(``StoryfitError`` messages as they are, anything else as a logged, plain-words failure).
``admin_only`` subcommands are refused to anyone but Storyfit's admins: the users in
``STORYFIT_ADMIN_USERS``, or when it is empty the workspace's admins and owners (``bot.admins``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.service import StoryfitService
from bot.slack.admins import Admins


@dataclass(frozen=True)
class SubcommandCall:
    """What a subcommand handler receives."""

    args: str
    """The text after the subcommand's name, stripped."""
    user_id: str
    channel_id: str
    team_id: str
    trigger_id: str
    """Slack's id of this command: the same on a redelivery, new each time someone types it."""
    service: StoryfitService
    client: WebClient
    respond: Respond
    """Replies to the user who typed the command (ephemeral unless ``response_type`` says so)."""
    logger: logging.Logger
    admins: Admins

    def caller_is_admin(self) -> bool:
        """Whether the user who typed the command may manage Storyfit (may ask Slack)."""
        return self.admins.allows(self.client, self.user_id)


SubcommandHandler = Callable[[SubcommandCall], object]


@dataclass(frozen=True)
class Subcommand:
    name: str
    handler: SubcommandHandler
    usage: str
    summary: str
    admin_only: bool = False


_REGISTRY: dict[str, Subcommand] = {}
RESERVED = frozenset({"help"})


def register_subcommand(
    name: str,
    handler: SubcommandHandler,
    *,
    usage: str,
    summary: str,
    admin_only: bool = False,
) -> None:
    """Route ``/storyfit <name> ...`` to ``handler``; registering a name again replaces it."""
    key = name.strip().lower()
    if not key or " " in key or key in RESERVED:
        raise ValueError(f"{name!r} cannot be a /storyfit subcommand")
    _REGISTRY[key] = Subcommand(key, handler, usage, summary, admin_only)


def find_subcommand(text: str) -> tuple[Subcommand, str] | None:
    """The subcommand ``text`` starts with, and the rest of the text."""
    name, _, rest = text.strip().partition(" ")
    found = _REGISTRY.get(name.lower())
    return (found, rest.strip()) if found else None


def help_lines() -> list[tuple[str, str]]:
    """``(usage, summary)`` of every registered subcommand, for the help message."""
    return [(sub.usage, sub.summary) for sub in sorted(_REGISTRY.values(), key=lambda s: s.name)]

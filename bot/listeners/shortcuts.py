"""Shortcuts opening the brief modal at once (a trigger_id lives 3 s): "New brief" (global) and
"Find creators for this" (on a message, whose text becomes the story)."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.modal import brief_modal
from bot.listeners.answer import brief_from_slack_text
from bot.listeners.runtime import ListenerDeps

#: The shortcuts' callback_ids, as in manifest.yml.
NEW_BRIEF_SHORTCUT = "storyfit_new_brief"
BRIEF_FROM_MESSAGE_SHORTCUT = "storyfit_brief_from_message"


def open_modal(client: WebClient, trigger_id: str, story: str, logger: logging.Logger) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=brief_modal(story))
    except Exception:
        logger.exception("Could not open the brief modal")


def open_brief_modal(
    openers: Executor,
    ack: Ack,
    shortcut: dict[str, Any],
    client: WebClient,
    logger: logging.Logger,
) -> None:
    """Starts opening the modal before acknowledging, ahead of any slow work."""
    message = shortcut.get("message") or {}
    story = brief_from_slack_text(str(message.get("text") or ""))
    openers.submit(open_modal, client, shortcut["trigger_id"], story, logger)
    ack()


def register(app: App, deps: ListenerDeps) -> None:
    # Modals open from their own threads: never queued behind lazy work, never on the event loop.
    openers = ThreadPoolExecutor(2, thread_name_prefix="storyfit-modal")
    app.shortcut(NEW_BRIEF_SHORTCUT)(partial(open_brief_modal, openers))
    app.shortcut(BRIEF_FROM_MESSAGE_SHORTCUT)(partial(open_brief_modal, openers))

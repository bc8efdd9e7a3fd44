"""The global shortcut "New brief": opens the brief modal at once (a trigger_id lives 3 s)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks import brief_modal
from bot.listeners.runtime import ListenerDeps

#: The shortcut's callback_id, as in manifest.yml.
NEW_BRIEF_SHORTCUT = "storyfit_new_brief"


def register(app: App, deps: ListenerDeps) -> None:
    def open_brief_modal(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, logger: logging.Logger
    ) -> None:
        """Runs on the request itself, before any slow work, so the trigger_id is still valid."""
        ack()
        client.views_open(trigger_id=shortcut["trigger_id"], view=brief_modal())
        logger.debug("Opened the brief modal for %s", shortcut.get("user", {}).get("id"))

    app.shortcut(NEW_BRIEF_SHORTCUT)(open_brief_modal)

"""The app removed from a workspace (``app_uninstalled``), or its tokens revoked.

Serving many workspaces, Bolt's own listeners (``App.enable_token_revocation_listeners``, turned
on in ``bot.app``) delete that workspace's tokens from the installation store. In one workspace
there is nothing to delete: ``SLACK_BOT_TOKEN`` no longer works, and the log says what to do.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.listeners.runtime import ListenerDeps

TOKEN_LOST = (
    "Slack reports %s: SLACK_BOT_TOKEN no longer works. Install the app in the workspace again "
    "and set SLACK_BOT_TOKEN to the new Bot User OAuth Token."
)


def single_token_lost(event: dict[str, Any], logger: logging.Logger) -> None:
    logger.error(TOKEN_LOST, event.get("type"))


def register(app: App, deps: ListenerDeps) -> None:
    if deps.workspaces.per_team:
        return
    app.event("app_uninstalled")(single_token_lost)
    app.event("tokens_revoked")(single_token_lost)

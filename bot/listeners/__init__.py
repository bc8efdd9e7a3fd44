"""Slack listeners, one module per surface, each with ``register(app, deps)``."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, digest, events, home, shortcuts, views
from bot.listeners.runtime import ListenerDeps

SURFACES = (events, commands, actions, shortcuts, views, home, digest)


def register_listeners(app: App, deps: ListenerDeps) -> None:
    for surface in SURFACES:
        surface.register(app, deps)

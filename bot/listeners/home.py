"""App Home: roster by tier, the tier scheme in force, the user's recent briefs, how to use it."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.blocks.home import HOME_RECENT_BRIEFS, RecentBrief, home_view
from bot.listeners.runtime import ListenerDeps, acknowledge, describe_failure


def publish_home(
    deps: ListenerDeps,
    event: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    if event.get("tab", "home") != "home":
        return
    user_id = event["user"]
    counts: dict[str, int] | None = None
    recent: list[RecentBrief] = []
    problem: str | None = None
    try:
        counts = deps.service_for(context.team_id).tier_counts()
    except Exception as error:
        problem = describe_failure(error, logger, "counting the roster")
    try:
        recent = [
            RecentBrief(stored.request.brief, stored.created_at, len(stored.recommendation.picks))
            for stored in deps.service_for(context.team_id).history.recent_requests(
                user_id, HOME_RECENT_BRIEFS
            )
        ]
    except Exception as error:
        problem = describe_failure(error, logger, "reading your recent briefs")
    view = home_view(counts, deps.workspaces.settings.tiers, recent, problem)
    client.views_publish(user_id=user_id, view=view)


def register(app: App, deps: ListenerDeps) -> None:
    """``publish_home`` gets ``deps`` bound first; Bolt injects the rest by parameter name."""
    app.event("app_home_opened")(ack=acknowledge, lazy=[partial(publish_home, deps)])

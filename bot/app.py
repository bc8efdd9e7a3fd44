"""``build_app``: the Bolt app (one workspace, or many through OAuth) with every listener."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App

from bot.listeners import (
    actions,
    commands,
    digest,
    events,
    home,
    installation,
    roster_import,
    shortcuts,
    views,
)
from bot.listeners.runtime import MAX_WAITING_BRIEFS, WORK_DEADLINE_SECONDS, ListenerDeps
from bot.observability.context import RequestExecutor
from bot.observability.metrics import Metrics
from bot.settings import Settings
from bot.slack.admins import Admins
from bot.slack.client import build_client, check_slack_settings, uses_oauth, web_client
from bot.slack.installations import Installations
from bot.slack.retries import DropRepeatedEvents
from bot.workspaces import Workspaces

#: What a person sees when their workspace's installation is gone (uninstalled, tokens revoked).
NOT_INSTALLED = (
    "Storyfit is no longer installed in this workspace, so it cannot answer. "
    "Ask a workspace admin to install it again."
)
#: The Slack surfaces, one listener module each; every one has ``register(app, deps)``.
SURFACES = (roster_import, events, commands, actions, shortcuts, views, home, digest, installation)
#: Threads running lazy listeners: posting placeholders and results, waiting on the engine.
LAZY_WORKERS = 16
#: Engine calls (embedding, retrieval) running at once; more would only share the same cores.
ENGINE_WORKERS = max(2, min(4, os.cpu_count() or 2))
#: Niceness of engine threads (and of the model's own threads, which they create): when briefs
#: keep the cores busy, the threads acknowledging Slack's requests are scheduled first.
ENGINE_NICENESS = 10


def lower_thread_priority() -> None:
    """Make the calling thread yield the CPU to normal threads (Linux: niceness is per thread)."""
    if hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ENGINE_NICENESS)
        except OSError:
            logging.getLogger(__name__).debug("Could not lower the engine threads' priority")


def started_pool(workers: int, name: str) -> ThreadPoolExecutor:
    """A thread pool whose threads all exist already: the pool starts a thread on ``submit``,
    which would otherwise happen on the acknowledgement path and wait for the new thread."""
    pool = ThreadPoolExecutor(workers, thread_name_prefix=name)
    everyone = threading.Barrier(workers)
    for waited in [pool.submit(everyone.wait) for _ in range(workers)]:
        waited.result()
    return pool


def bolt_app(settings: Settings, installations: Installations | None) -> App:
    """The Bolt app: one workspace's token (``auth.test`` checks it once), or, given the
    installations, each request authorised by its workspace's stored token, the install routes
    and the ``app_uninstalled`` / ``tokens_revoked`` listeners that forget a workspace's tokens.

    ``process_before_response=True``: each ack function runs on the request thread and the
    response leaves as soon as it returns, while lazy listeners carry on in the executor. (With
    ``False``, Bolt polls for the ack every 10 ms from a pool shared with the lazy work, so a busy
    pool would delay acknowledgements.)
    """
    secret = settings.slack_signing_secret
    many = installations is not None
    if many and settings.slack_bot_token is not None:
        logging.getLogger(__name__).warning("SLACK_BOT_TOKEN is ignored: OAuth settings are set")
    client = web_client(settings) if many else build_client(settings)
    app = App(
        name="storyfit",
        logger=logging.getLogger("bot.slack"),
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        process_before_response=True,
        before_authorize=DropRepeatedEvents(),
        listener_executor=RequestExecutor(started_pool(LAZY_WORKERS, "storyfit-slack")),
        oauth_flow=installations.oauth_flow(client) if installations else None,
        # Bolt takes an ``Authorize`` instance as it is (its annotation names only functions).
        authorize=installations.authorize(client) if installations else None,  # type: ignore[arg-type]
        user_facing_authorize_error_message=NOT_INSTALLED if many else None,
    )
    if many:
        app.enable_token_revocation_listeners()
    return app


def build_app(
    settings: Settings,
    workspaces: Workspaces,
    *,
    deadline_seconds: float = WORK_DEADLINE_SECONDS,
    max_waiting_briefs: int = MAX_WAITING_BRIEFS,
    metrics: Metrics | None = None,
) -> App:
    """The Bolt app (``bolt_app``) with every listener registered; each request is answered from
    the service ``workspaces`` holds for its team. With the OAuth settings, the installations
    live in the workspaces' history database.

    ``SlackSetupError`` when a token, OAuth variable or (over HTTP) the signing secret is missing.
    ``metrics``: where the listeners count (default: a registry of the app's own). Lazy
    listeners run as part of the request that started them (``RequestExecutor``).
    """
    check_slack_settings(settings)
    installations = None
    if uses_oauth(settings):
        installations = Installations(settings, workspaces.service(None).history.engine)
    app = bolt_app(settings, installations)
    engine = ThreadPoolExecutor(
        ENGINE_WORKERS, thread_name_prefix="storyfit-engine", initializer=lower_thread_priority
    )
    admins = Admins(settings.admin_users)
    deps = ListenerDeps(
        workspaces, engine, admins, deadline_seconds, max_waiting_briefs, metrics or Metrics()
    )
    for surface in SURFACES:
        surface.register(app, deps)
    return app

"""``build_app``: the Bolt app with its Web API client and every listener. Thin on purpose."""

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
    roster_import,
    shortcuts,
    views,
)
from bot.listeners.runtime import MAX_WAITING_BRIEFS, WORK_DEADLINE_SECONDS, ListenerDeps
from bot.observability.context import RequestExecutor
from bot.observability.metrics import Metrics
from bot.settings import Settings
from bot.slack.admins import Admins
from bot.slack.client import build_client, check_slack_settings
from bot.slack.retries import DropRepeatedEvents
from bot.workspaces import Workspaces

#: The Slack surfaces, one listener module each; every one has ``register(app, deps)``.
SURFACES = (roster_import, events, commands, actions, shortcuts, views, home, digest)
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


def build_app(
    settings: Settings,
    workspaces: Workspaces,
    *,
    deadline_seconds: float = WORK_DEADLINE_SECONDS,
    max_waiting_briefs: int = MAX_WAITING_BRIEFS,
    metrics: Metrics | None = None,
) -> App:
    """The Bolt app with every listener registered; calls ``auth.test`` once to check the token.
    Each request is answered from the service ``workspaces`` holds for its team.

    ``SlackSetupError`` when the token, or in HTTP mode the signing secret, is missing.
    ``metrics``: where the listeners count (default: a registry of the app's own). Lazy
    listeners run as part of the request that started them (``RequestExecutor``).

    ``process_before_response=True``: each ack function runs on the request thread and the
    response leaves as soon as it returns, while lazy listeners carry on in the executor. (With
    ``False``, Bolt polls for the ack every 10 ms from a pool shared with the lazy work, so a busy
    pool would delay acknowledgements.)
    """
    check_slack_settings(settings)
    client = build_client(settings)
    secret = settings.slack_signing_secret
    app = App(
        name="storyfit",
        logger=logging.getLogger("bot.slack"),
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        process_before_response=True,
        before_authorize=DropRepeatedEvents(),
        listener_executor=RequestExecutor(started_pool(LAZY_WORKERS, "storyfit-slack")),
    )
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

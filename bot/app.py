"""``build_app``: the Bolt app, its Web API client, and every listener. Thin on purpose."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import SecretStr
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry import RateLimitErrorRetryHandler, default_retry_handlers

from bot.admins import Admins
from bot.listeners import register_listeners
from bot.listeners.runtime import MAX_WAITING_BRIEFS, WORK_DEADLINE_SECONDS, ListenerDeps
from bot.service import StoryfitService
from bot.settings import Settings
from bot.slack_retries import DropRepeatedEvents

#: Threads running lazy listeners: posting placeholders and results, waiting on the engine.
LAZY_WORKERS = 16
#: Engine calls (embedding, retrieval) running at once; more would only share the same cores.
ENGINE_WORKERS = max(2, min(4, os.cpu_count() or 2))
#: A 429 is waited out (``Retry-After``) up to this many times per call.
RATE_LIMIT_RETRIES = 3
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


class SlackSetupError(Exception):
    """The Slack settings are missing or wrong; the message names what to set."""


Mode = Literal["http", "socket"]
MISSING_BOT_TOKEN = (
    "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your "
    "Slack app's OAuth & Permissions page."
)
MISSING_SIGNING_SECRET = (
    "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's "
    "Basic Information page (or set SLACK_APP_TOKEN to use Socket Mode instead)."
)


def _is_set(secret: SecretStr | None) -> bool:
    return secret is not None and bool(secret.get_secret_value().strip())


def slack_mode(settings: Settings) -> Mode:
    return "socket" if _is_set(settings.slack_app_token) else "http"


def check_slack_settings(settings: Settings) -> Mode:
    """The mode to run in; ``SlackSetupError`` naming the first missing variable.

    Over HTTP every request is checked against the signing secret: without one, anyone who can
    reach the port could act as Slack, so the app is never built without it.
    """
    mode = slack_mode(settings)
    if not _is_set(settings.slack_bot_token):
        raise SlackSetupError(MISSING_BOT_TOKEN)
    if mode == "http" and not _is_set(settings.slack_signing_secret):
        raise SlackSetupError(MISSING_SIGNING_SECRET)
    return mode


def api_url(settings: Settings) -> str:
    """The Web API base URL: ``STORYFIT_SLACK_API_URL`` or Slack's, ending in ``/``."""
    url = settings.slack_api_url or WebClient.BASE_URL
    return url if url.endswith("/") else url + "/"


def build_client(settings: Settings) -> WebClient:
    """The one Web API client of the app: our base URL, rate limits waited out."""
    token = settings.slack_bot_token
    if token is None or not _is_set(token):
        raise SlackSetupError(MISSING_BOT_TOKEN)
    return WebClient(
        token=token.get_secret_value(),
        base_url=api_url(settings),
        retry_handlers=[
            *default_retry_handlers(),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


def build_app(
    settings: Settings,
    service: StoryfitService,
    *,
    deadline_seconds: float = WORK_DEADLINE_SECONDS,
    max_waiting_briefs: int = MAX_WAITING_BRIEFS,
) -> App:
    """The Bolt app with every listener registered; calls ``auth.test`` once to check the token.

    ``SlackSetupError`` when the token, or in HTTP mode the signing secret, is missing.

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
        listener_executor=started_pool(LAZY_WORKERS, "storyfit-slack"),
    )
    engine = ThreadPoolExecutor(
        ENGINE_WORKERS, thread_name_prefix="storyfit-engine", initializer=lower_thread_priority
    )
    admins = Admins(settings.admin_users)
    deps = ListenerDeps(service, engine, admins, deadline_seconds, max_waiting_briefs)
    register_listeners(app, deps)
    return app

"""``storyfit serve``: the bot on uvicorn over HTTP, or over Socket Mode with SLACK_APP_TOKEN.

Either way ``GET /healthz``, ``GET /readyz`` and ``GET /metrics`` answer on the port
(``bot.observability``). The service (index, embedding model, history) is
opened before the first request, so nothing heavy happens on the acknowledgement path.
"""

from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.app import build_app, lower_thread_priority
from bot.digest.delivery import DigestScheduler
from bot.observability.dispatch import ObservedSocketModeHandler, observed_dispatch
from bot.observability.logs import configure_logging
from bot.observability.metrics import Metrics
from bot.observability.readiness import service_readiness
from bot.observability.routes import Operations, operations_routes
from bot.service import StoryfitService
from bot.settings import Settings
from bot.slack.client import (
    SlackSetupError,
    check_slack_settings,
    unreachable,
    uses_oauth,
)
from bot.slack.installations import digest_clients
from bot.workspaces import Workspaces

EVENTS_PATH = "/slack/events"
#: Largest request body read from ``POST /slack/events``; larger ones get 413 unread. Slack's
#: biggest deliveries are a message event (text of at most 40,000 characters plus the same text
#: again as rich-text blocks: under 500 KB even as JSON ``\\u`` escapes) and a modal submission
#: (our modals are a few inputs), so 1 MiB is twice the largest genuine payload, while a body
#: is buffered before its signature can be checked.
MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE = "Request body too large for a Slack request.\n"

#: Seconds a thread may hold the GIL while another waits for it (Python's default: 0.005). Briefs
#: are mostly Python; a shorter interval lets a waiting acknowledgement in sooner.
GIL_SWITCH_INTERVAL = 0.001
logger = logging.getLogger(__name__)


async def capped_body(request: Request, limit: int) -> bytes | None:
    """The request body, or ``None`` as soon as it is known to exceed ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before reading anything; a body sent
    without one (chunked) is read until it passes the limit, and the rest is never read.
    """
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or len(declared) > 12 or int(declared) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def build_asgi(app: App | None, ops: Operations) -> Starlette:
    """``POST /slack/events`` (when ``app`` is given) and the operations endpoints of ``ops``.

    In one workspace requests are dispatched on the event loop itself, as Bolt's own Starlette
    adapter does: the ack path does no network I/O (the modal is opened from another thread), and
    a hop to a worker thread would add GIL hand-offs, which cost most when briefs keep the
    interpreter busy. With many workspaces each request is first authorised from the database
    (and a token's first request by ``auth.test``), so it is dispatched on a worker thread: one
    workspace waiting on the database or on Slack holds up no other.
    """
    authorises_per_request = app is not None and app.oauth_flow is not None

    async def slack_events(request: Request) -> Response:
        assert app is not None
        arrived = time.perf_counter()
        body = await capped_body(request, MAX_BODY_BYTES)
        if body is None:
            return PlainTextResponse(TOO_LARGE, status_code=413, headers={"Connection": "close"})
        bolt_request = to_bolt_request(request, body)
        if authorises_per_request:
            return to_starlette_response(
                await run_in_threadpool(observed_dispatch, app, bolt_request, ops.metrics, arrived)
            )
        return to_starlette_response(observed_dispatch(app, bolt_request, ops.metrics, arrived))

    routes = operations_routes(ops)
    if app is not None:
        routes.append(Route(EVENTS_PATH, slack_events, methods=["POST"]))
    if app is not None and app.oauth_flow is not None:
        routes += oauth_routes(app.oauth_flow)
    return Starlette(routes=routes)


def oauth_routes(flow: OAuthFlow) -> list[Route]:
    """``GET /slack/install`` and ``GET /slack/oauth_redirect``, run by Bolt's flow on a worker
    thread (they wait on the database and, for the redirect, on ``oauth.v2.access``)."""

    async def install(request: Request) -> Response:
        reply = await run_in_threadpool(flow.handle_installation, to_bolt_request(request, b""))
        return to_starlette_response(reply)

    async def redirect(request: Request) -> Response:
        reply = await run_in_threadpool(flow.handle_callback, to_bolt_request(request, b""))
        return to_starlette_response(reply)

    return [
        Route(flow.install_path, install, methods=["GET"]),
        Route(flow.redirect_uri_path, redirect, methods=["GET"]),
    ]


def warm_up(service: StoryfitService) -> None:
    """Open the index, the history and the local model now rather than on the first request.

    The model is loaded from a low-priority thread: the inference threads it starts inherit that
    priority, like the engine threads that later use it.
    """
    counts = service.tier_counts()
    settings = service.settings
    logger.info("Roster: %d creators (%s)", sum(counts.values()), settings.tiers.describe())
    _ = service.history
    if settings.embedding == "local":
        with ThreadPoolExecutor(1, initializer=lower_thread_priority) as loader:
            loader.submit(service.embedder.embed_query, "warm up").result()


def open_app(settings: Settings, workspaces: Workspaces, metrics: Metrics | None = None) -> App:
    """Warm the single workspace's service up (the embedding model all workspaces share
    included), then build the app (which checks the token with ``auth.test``); its listeners
    count into ``metrics`` (default: a registry of the app's own)."""
    warm_up(workspaces.service(None))
    try:
        return build_app(settings, workspaces, metrics=metrics)
    except BoltError as error:
        raise SlackSetupError(f"Slack did not accept SLACK_BOT_TOKEN: {error}") from None
    except OSError as error:  # urllib's URLError included: auth.test never got an answer
        raise unreachable(settings, error) from None


def uvicorn_config(asgi: Starlette, host: str, port: int) -> uvicorn.Config:
    """uvicorn without logging set-up of its own: its lines go through ``configure_logging``'s."""
    return uvicorn.Config(
        asgi,
        host=host,
        port=port,
        access_log=False,
        lifespan="off",
        log_level="info",
        log_config=None,
    )


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run until interrupted. Raises ``SlackSetupError`` for missing or refused settings.

    With the OAuth settings, many workspaces, each from its own roster and history (see
    ``bot.workspaces``); else every request is the single workspace's."""
    mode = check_slack_settings(settings)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    configure_logging(settings.log_format)
    with (
        Workspaces(settings, per_team=uses_oauth(settings)) as workspaces,
        ExitStack() as background,
    ):
        metrics = Metrics()
        app = open_app(settings, workspaces, metrics)
        ops = Operations(mode, metrics, service_readiness(settings, workspaces.service(None)))
        clients = digest_clients(settings, workspaces.service(None).history.engine)
        background.enter_context(DigestScheduler(workspaces, clients))
        if mode == "http":
            logger.info("Slack requests on http://%s:%d%s", host, port, EVENTS_PATH)
            uvicorn.Server(uvicorn_config(build_asgi(app, ops), host, port)).run()
            return
        assert settings.slack_app_token is not None
        token = settings.slack_app_token.get_secret_value()
        handler = ObservedSocketModeHandler(app, token, metrics)
        try:
            handler.connect()  # type: ignore[no-untyped-call]
        except OSError as error:
            raise unreachable(settings, error) from None
        logger.info("Connected to Slack over Socket Mode; health on port %d", port)
        try:
            uvicorn.Server(uvicorn_config(build_asgi(None, ops), host, port)).run()
        finally:
            handler.close()  # type: ignore[no-untyped-call]

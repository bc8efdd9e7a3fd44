"""Every Slack request, over HTTP or Socket Mode, dispatched as a ``RequestScope``: an id for its
log lines, its acknowledgement timed, and its outcome counted once all its work has ended."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
from slack_bolt.request import BoltRequest
from slack_bolt.request.payload_utils import (
    is_action,
    is_event,
    is_options,
    is_shortcut,
    is_slash_command,
    is_view,
)
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.observability.context import RequestScope, handling
from bot.observability.metrics import Metrics

logger = logging.getLogger(__name__)

#: Surfaces in the order they are told apart (a view submission is not also an action).
_SURFACES = (
    ("command", is_slash_command),
    ("event", is_event),
    ("view", is_view),
    ("shortcut", is_shortcut),
    ("options", is_options),
    ("action", is_action),
)


def surface_of(body: dict[str, Any]) -> str:
    """``command``, ``event``, ``action``, ``view``, ``shortcut``, ``options`` or ``other``."""
    return next((name for name, matches in _SURFACES if matches(body)), "other")


def observed_dispatch(
    app: App, request: BoltRequest, metrics: Metrics, arrived: float
) -> BoltResponse:
    """``app.dispatch(request)`` as the current request: its ack time (from ``arrived``, a
    ``time.perf_counter()``) observed, an error status marked, the request counted when done."""
    scope = RequestScope(surface_of(request.body), _finished(metrics), arrived)
    with handling(scope):
        try:
            response = app.dispatch(request)
        except BaseException:
            scope.mark("error")
            raise
        acked = time.perf_counter() - arrived
        metrics.ack_seconds.labels(scope.surface).observe(acked)
        if response.status >= 400:
            scope.mark("error")
        logger.info(
            "Slack %s acknowledged with %d in %.1f ms", scope.surface, response.status, acked * 1e3
        )
    return response


def _finished(metrics: Metrics) -> Callable[[RequestScope], None]:
    def finished(scope: RequestScope) -> None:
        metrics.count_request(scope)
        logger.info(
            "Slack %s done: %s after %.2f s",
            scope.surface,
            scope.outcome,
            time.perf_counter() - scope.arrived,
        )

    return finished


class ObservedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, dispatching each request through ``observed_dispatch``."""

    def __init__(self, app: App, app_token: str, metrics: Metrics) -> None:
        super().__init__(app, app_token)
        self.metrics = metrics

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        arrived, started = time.perf_counter(), time.time()
        request = BoltRequest(mode="socket_mode", body=req.payload, headers=build_headers(req))
        response = observed_dispatch(self.app, request, self.metrics, arrived)
        send_response(client, req, response, started)

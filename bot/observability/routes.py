"""``GET /healthz`` (liveness), ``GET /readyz`` (readiness) and ``GET /metrics`` (Prometheus), for
``bot.server.build_asgi``; the same in HTTP and Socket Mode."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.observability.metrics import Metrics
from bot.observability.readiness import Readiness
from bot.slack.client import Mode

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"


@dataclass(frozen=True)
class Operations:
    """What the operations endpoints report on: the app's metrics and its readiness checks
    (none by default: always ready)."""

    mode: Mode
    metrics: Metrics = field(default_factory=Metrics)
    readiness: Readiness = field(default_factory=Readiness)


def operations_routes(ops: Operations) -> list[Route]:
    async def healthz(_: Request) -> Response:
        """The process is up: no I/O, nothing to wait for."""
        return JSONResponse({"ok": True, "mode": ops.mode})

    async def readyz(_: Request) -> Response:
        """200 when every check passes; 503 naming the failed ones. The checks wait in a thread,
        never on the event loop that acknowledges Slack."""
        report = await run_in_threadpool(ops.readiness.report)
        return JSONResponse(
            report.model_dump(mode="json"), status_code=200 if report.ready else 503
        )

    async def metrics(request: Request) -> Response:
        body, content_type = ops.metrics.exposition(request.headers.get("accept", ""))
        return Response(body, headers={"Content-Type": content_type})

    return [
        Route(HEALTH_PATH, healthz, methods=["GET"]),
        Route(READY_PATH, readyz, methods=["GET"]),
        Route(METRICS_PATH, metrics, methods=["GET"]),
    ]

"""Slack redelivers an event it thinks we missed (``X-Slack-Retry-Num``); answer it once only."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

logger = logging.getLogger(__name__)

#: Slack retries three times within about five minutes; an hour of memory covers every retry.
SEEN_EVENT_TTL_SECONDS = 3600.0
SEEN_EVENT_MAX = 20_000


class DropRepeatedEvents(Middleware):
    """Acknowledge and drop an Events API delivery whose ``event_id`` was already received.

    A retry of an event whose first delivery never reached us is still processed: the id, not the
    retry header, decides. Runs after signature verification, so a forged request cannot mark an
    id as seen. The memory is per process; run one server process per app.
    """

    def __init__(
        self,
        ttl_seconds: float = SEEN_EVENT_TTL_SECONDS,
        max_entries: int = SEEN_EVENT_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def seen_before(self, event_id: str) -> bool:
        """Remember ``event_id``; true when it was already remembered and not expired."""
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at <= self._ttl and len(self._seen) < self._max:
                    break
                del self._seen[oldest]
            if event_id in self._seen:
                return True
            self._seen[event_id] = now
            return False

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],  # Bolt passes it by this name
    ) -> BoltResponse | None:
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and self.seen_before(event_id):
            retry = (req.headers.get("x-slack-retry-num") or ["-"])[0]
            reason = (req.headers.get("x-slack-retry-reason") or ["-"])[0]
            logger.info("Dropped repeated event %s (retry %s, %s)", event_id, retry, reason)
            return BoltResponse(status=200, body="")
        return next()

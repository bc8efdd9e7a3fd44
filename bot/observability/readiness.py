"""``GET /readyz``: is the bot able to answer? The store, the history database and Slack's Web API.

Each check runs in a thread of its own and is waited for at most ``CHECK_TIMEOUT_SECONDS``: a
hanging database makes the probe fail, never hang. A check still running from an earlier probe is
waited for again rather than started twice, so a flood of probes against a hung server starts no
more threads; Slack's answer is kept ``SLACK_CACHE_SECONDS`` so probes do not hammer Slack.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from pydantic import BaseModel
from slack_sdk import WebClient
from sqlalchemy import text

from bot.service import StoryfitService
from bot.settings import Settings
from bot.slack.client import api_url
from retrieval.redaction import redact

CHECK_TIMEOUT_SECONDS = 2.0
SLACK_CACHE_SECONDS = 5.0
#: A failure's reason is its error's first line, at most this long.
MAX_REASON_CHARS = 300


class CheckResult(BaseModel):
    ok: bool
    seconds: float
    reason: str | None = None


class ReadinessReport(BaseModel):
    ready: bool
    failed: list[str]
    checks: dict[str, CheckResult]


def plain_reason(error: BaseException) -> str:
    """An error as one line without credentials: its first line, or its type's name."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = redact(lines[0]) if lines else type(error).__name__
    return reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "…"


class Check:
    """One readiness check: ``probe()`` returns when the dependency answers, raises otherwise."""

    def __init__(
        self,
        name: str,
        probe: Callable[[], object],
        *,
        timeout: float = CHECK_TIMEOUT_SECONDS,
        cache_seconds: float = 0.0,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self._probe = probe
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._running: Future[None] | None = None
        self._cached: tuple[float, CheckResult] | None = None

    def start(self) -> Future[None]:
        """The probe under way, started now unless one still runs."""
        with self._lock:
            if self._running is None or self._running.done():
                future: Future[None] = Future()
                thread = threading.Thread(
                    target=self._run,
                    args=(future,),
                    name=f"storyfit-ready-{self.name}",
                    daemon=True,
                )
                thread.start()
                self._running = future
            return self._running

    def _run(self, future: Future[None]) -> None:
        try:
            self._probe()
        except BaseException as error:  # reported as the reason, whatever it is
            future.set_exception(error)
        else:
            future.set_result(None)

    def _fresh(self) -> CheckResult | None:
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
            return cached[1]
        return None

    def begin(self) -> None:
        """Start the probe, unless a fresh enough verdict is cached."""
        if self._fresh() is None:
            self.start()

    def result(self) -> CheckResult:
        """The probe's verdict within ``timeout`` seconds (or a fresh enough cached one)."""
        cached = self._fresh()
        if cached is not None:
            return cached
        started = time.monotonic()
        try:
            self.start().result(timeout=self.timeout)
        except FutureTimeout:
            result = CheckResult(
                ok=False, seconds=self.timeout, reason=f"no answer within {self.timeout:g} s"
            )
        except Exception as error:
            result = CheckResult(
                ok=False, seconds=round(time.monotonic() - started, 4), reason=plain_reason(error)
            )
        else:
            result = CheckResult(ok=True, seconds=round(time.monotonic() - started, 4))
        self._cached = (time.monotonic(), result)
        return result


class Readiness:
    """The checks behind ``/readyz``; with none, always ready."""

    def __init__(self, checks: Sequence[Check] = ()) -> None:
        self.checks = list(checks)

    def report(self) -> ReadinessReport:
        """Every check's verdict; the checks run at once, so this takes at most the longest
        timeout."""
        for check in self.checks:
            check.begin()
        results = {check.name: check.result() for check in self.checks}
        failed = [name for name, result in results.items() if not result.ok]
        return ReadinessReport(ready=not failed, failed=failed, checks=results)


def service_readiness(settings: Settings, service: StoryfitService) -> Readiness:
    """The store answers a count, the history database a ``SELECT 1``, Slack's ``api.test``."""
    slack = WebClient(
        base_url=api_url(settings), timeout=int(CHECK_TIMEOUT_SECONDS), retry_handlers=[]
    )

    def store() -> None:
        service.index.heartbeat()

    def database() -> None:
        with service.history.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return Readiness(
        [
            Check("store", store),
            Check("database", database),
            Check("slack", slack.api_test, cache_seconds=SLACK_CACHE_SECONDS),
        ]
    )

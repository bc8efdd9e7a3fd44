"""``GET /readyz``: is the bot able to answer? The store, the history database and Slack's Web API.

Each check runs in a thread of its own and is waited for at most ``CHECK_TIMEOUT_SECONDS``: a
hanging database makes the probe fail, never hang. A check still running from an earlier probe is
waited for again rather than started twice, so a flood of probes against a hung server starts no
more threads; Slack's answer is kept ``SLACK_CACHE_SECONDS`` so probes do not hammer Slack.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from pydantic import BaseModel
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import text

from bot.service import StoryfitService
from bot.settings import Settings
from bot.slack.client import SlackSetupError, api_url, unreachable, uses_oauth
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

    def _start(self) -> Future[None]:
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

    def begin(self) -> Future[None] | CheckResult:
        """A fresh enough cached verdict, or the probe under way (started now unless one still
        runs); ``verdict`` turns either into a result."""
        fresh = self._fresh()
        return fresh if fresh is not None else self._start()

    def verdict(self, begun: Future[None] | CheckResult, started: float) -> CheckResult:
        """The verdict of a ``begin`` made at ``started`` (``time.monotonic()``), waiting at most
        until ``timeout`` seconds after it."""
        if isinstance(begun, CheckResult):
            return begun
        try:
            begun.result(timeout=max(0.0, started + self.timeout - time.monotonic()))
        except FutureTimeout:
            result = CheckResult(
                ok=False, seconds=self.timeout, reason=f"no answer within {self.timeout:g} s"
            )
        except Exception as error:
            seconds = round(time.monotonic() - started, 4)
            result = CheckResult(ok=False, seconds=seconds, reason=plain_reason(error))
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
        started = time.monotonic()
        begun = [(check, check.begin()) for check in self.checks]
        results = {check.name: check.verdict(probe, started) for check, probe in begun}
        failed = [name for name, result in results.items() if not result.ok]
        return ReadinessReport(ready=not failed, failed=failed, checks=results)


def slack_probe(settings: Settings) -> Callable[[], None]:
    """One call to Slack's Web API, without retries: a failure names Slack's error or the
    network's."""
    # With OAuth there is no one bot token (SLACK_BOT_TOKEN is ignored): api.test then.
    bot_token = None if uses_oauth(settings) else settings.slack_bot_token
    token = bot_token.get_secret_value() if bot_token else ""
    client = WebClient(
        token=token or None,
        base_url=api_url(settings),
        timeout=math.ceil(CHECK_TIMEOUT_SECONDS),
        retry_handlers=[],
    )

    def probe() -> None:
        try:
            if token:
                client.auth_test()
            else:
                client.api_test()
        except SlackApiError as error:
            code = error.response.get("error", "an error")
            raise SlackSetupError(f"Slack's Web API answered {code}") from None
        except OSError as error:
            raise unreachable(settings, error) from None

    return probe


def service_readiness(
    settings: Settings,
    service: StoryfitService,
    *,
    slack_cache_seconds: float = SLACK_CACHE_SECONDS,
) -> Readiness:
    """The store answers a count, the history database a ``SELECT 1``, Slack's Web API an
    ``auth.test`` of the bot token (``api.test`` without one), kept ``slack_cache_seconds``."""

    def store() -> None:
        service.index.heartbeat()

    def database() -> None:
        with service.history.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return Readiness(
        [
            Check("store", store),
            Check("database", database),
            Check("slack", slack_probe(settings), cache_seconds=slack_cache_seconds),
        ]
    )

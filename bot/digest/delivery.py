"""Posting digests to Slack: on request, and on schedule exactly once per channel and period.

``send_due_digests`` is the one delivery function, used by the scheduler inside ``storyfit serve``
and by ``storyfit digest --send-due`` for cron-driven deployments. For each subscribed channel
whose digest is due it first CLAIMS the delivery in the database (an insert that only one caller
can win: restarts, re-runs and replicas all meet the same unique row), then posts, then records
the message ts. A claim whose sender died before recording is never posted again automatically:
it is marked unconfirmed and reported once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.kit import SlackMessage
from bot.digest.blocks import digest_message
from bot.digest.compose import Digest, compose_digest
from bot.digest.schedule import DuePeriod, due_period, schedule_for
from bot.history.store import DigestDelivery, DigestSubscription, History
from bot.settings import Settings
from bot.slack.client import digest_client
from retrieval.errors import StoryfitError

logger = logging.getLogger(__name__)

#: A claim older than this without a recorded outcome is taken to be from a sender that died.
CLAIM_LEASE = timedelta(minutes=15)
#: Times a delivery Slack refused (so nothing was posted) is tried before giving up.
MAX_ATTEMPTS = 3
#: What ``/storyfit digest now``, ``preview`` and ``storyfit digest`` cover: the last seven days.
RECENT_WINDOW = timedelta(days=7)
#: How often the scheduler inside ``storyfit serve`` looks for due digests.
SCHEDULER_INTERVAL_SECONDS = 60.0


class FutureDigestError(StoryfitError):
    def __init__(self, moment: datetime) -> None:
        super().__init__(
            f"{moment:%Y-%m-%d %H:%M %Z} is in the future: a digest is sent only once its "
            "period has begun, never claimed early. Leave out --at, or give a past time."
        )


class DigestDeps(Protocol):
    """What delivery needs; ``StoryfitService`` is one."""

    @property
    def settings(self) -> Settings: ...

    @property
    def history(self) -> History: ...


class DigestWorkspaces(Protocol):
    """The workspaces whose digests go out; ``bot.workspaces.Workspaces`` is one."""

    def service(self, team_id: str | None) -> DigestDeps: ...

    def teams(self) -> list[str]: ...


#: The Web API client that posts in one workspace (``None``: the single workspace).
ClientFor = Callable[[str | None], WebClient]


class DeliveryResult(BaseModel):
    """What one run did for one channel's digest."""

    channel_id: str
    period_start: datetime
    status: Literal["posted", "failed", "unconfirmed"]
    ts: str | None = None
    attempts: int = 1
    detail: str | None = None

    def describe(self) -> str:
        period = f"the period from {self.period_start:%Y-%m-%d %H:%M} UTC"
        if self.status == "posted":
            note = f" ({self.detail})" if self.detail else ""
            return f"Posted the digest for {period} to {self.channel_id} (ts {self.ts}){note}."
        if self.status == "failed":
            retry = (
                "It will be tried again at the next run."
                if self.attempts < MAX_ATTEMPTS
                else f"Gave up after {MAX_ATTEMPTS} attempts."
            )
            return (
                f"Slack refused the digest for {self.channel_id} ({period}): {self.detail}. {retry}"
            )
        return (
            f"The digest for {self.channel_id} ({period}) may or may not have been posted: "
            f"{self.detail}. It will not be sent again automatically; check the channel and, if "
            f"it is missing, post it with `storyfit digest --channel {self.channel_id}`."
        )


@dataclass(frozen=True)
class PostedDigest:
    ts: str
    chart_error: str | None
    """Why the chart is missing, when the message went out but its chart did not."""


def digest_zone(deps: DigestDeps, channel_id: str | None) -> ZoneInfo:
    """The channel's subscription zone, else ``STORYFIT_TIMEZONE``."""
    subscription = deps.history.subscription(channel_id) if channel_id else None
    return ZoneInfo((subscription and subscription.timezone) or deps.settings.timezone)


def recent_digest(deps: DigestDeps, channel_id: str | None, now: datetime) -> Digest:
    """The digest of the seven days up to ``now`` (for ``now``, ``preview`` and the CLI)."""
    return compose_digest(
        deps.history,
        deps.settings.tiers,
        channel_id=channel_id,
        start=now - RECENT_WINDOW,
        end=now,
        zone=digest_zone(deps, channel_id),
    )


def _post_message(client: WebClient, channel_id: str, message: SlackMessage) -> str:
    response = client.chat_postMessage(
        channel=channel_id,
        text=message.text,
        blocks=message.blocks,
        unfurl_links=False,
        unfurl_media=False,
    )
    return str(response["ts"])


def _upload_chart(client: WebClient, channel_id: str, ts: str, chart: bytes) -> str | None:
    """Upload the chart into the digest's thread; returns why it failed, or ``None``."""
    from bot.digest.chart import CHART_FILENAME

    try:
        client.files_upload_v2(
            channel=channel_id,
            thread_ts=ts,
            file=chart,
            filename=CHART_FILENAME,
            title="Creators suggested per day, by tier",
            alt_txt="Bar chart of the creators Storyfit suggested each day, stacked by tier",
        )
    except SlackApiError as error:
        code = error.response.get("error", "unknown_error")
        logger.warning("The digest chart for %s was not uploaded: %s", channel_id, code)
        return f"chart not uploaded: {code}"
    return None


def _render(digest: Digest) -> tuple[SlackMessage, bytes | None]:
    from bot.digest.chart import render_tier_chart  # matplotlib: only when a digest goes out

    chart = render_tier_chart(digest)
    return digest_message(digest, chart_attached=chart is not None), chart


def post_digest(client: WebClient, channel_id: str, digest: Digest) -> PostedDigest:
    """Post a digest and its chart now, outside any schedule (``now`` and the CLI)."""
    message, chart = _render(digest)
    ts = _post_message(client, channel_id, message)
    chart_error = _upload_chart(client, channel_id, ts, chart) if chart else None
    return PostedDigest(ts, chart_error)


def _never_reached_slack(error: Exception) -> bool:
    """A refused connection or an unknown host: the request was certainly not delivered."""
    reason = getattr(error, "reason", error)
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


def _sender_id() -> str:
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def _deliver(
    deps: DigestDeps,
    client: WebClient,
    claim: DigestDelivery,
    period: DuePeriod,
    zone: ZoneInfo,
    now: datetime,
) -> DeliveryResult:
    history = deps.history

    def ended(status: Literal["failed", "unconfirmed"], detail: str) -> DeliveryResult:
        history.finish_delivery(claim.id, status=status, detail=detail)
        return DeliveryResult(
            channel_id=claim.channel_id,
            period_start=claim.period_start,
            status=status,
            attempts=claim.attempts,
            detail=detail,
        )

    try:
        digest = compose_digest(
            history,
            deps.settings.tiers,
            channel_id=claim.channel_id,
            start=period.covers_from,
            end=period.start,
            zone=zone,
        )
        message, chart = _render(digest)
    except Exception as error:
        logger.exception("Could not compose the digest for %s", claim.channel_id)
        return ended("failed", f"the digest could not be composed ({error.__class__.__name__})")
    try:
        ts = _post_message(client, claim.channel_id, message)
    except SlackApiError as error:
        code = str(error.response.get("error", "unknown_error"))
        if error.response.status_code in (200, 429):  # Slack answered: nothing was posted
            return ended("failed", code)
        return ended("unconfirmed", f"Slack answered HTTP {error.response.status_code} ({code})")
    except Exception as error:
        what = f"the connection to Slack failed ({error.__class__.__name__})"
        return ended("failed" if _never_reached_slack(error) else "unconfirmed", what)
    history.finish_delivery(claim.id, status="posted", posted_ts=ts, at=now)
    chart_error = _upload_chart(client, claim.channel_id, ts, chart) if chart else None
    if chart_error:
        history.finish_delivery(claim.id, status="posted", posted_ts=ts, detail=chart_error, at=now)
    return DeliveryResult(
        channel_id=claim.channel_id,
        period_start=claim.period_start,
        status="posted",
        ts=ts,
        attempts=claim.attempts,
        detail=chart_error,
    )


def _due(deps: DigestDeps, now: datetime) -> list[tuple[DigestSubscription, DuePeriod, ZoneInfo]]:
    due = []
    for subscription in deps.history.active_subscriptions():
        schedule = schedule_for(subscription, deps.settings)
        if subscription.cron is None or subscription.timezone is None:
            channel = subscription.channel_id
            subscription = deps.history.pin_schedule(channel, schedule.cron, schedule.zone.key)
            schedule = schedule_for(subscription, deps.settings)
        period = due_period(schedule, now, since=subscription.subscribed_at)
        if period is None:
            continue
        delivery = deps.history.delivery(subscription.channel_id, period.start)
        if delivery is None or (delivery.status == "failed" and delivery.attempts < MAX_ATTEMPTS):
            due.append((subscription, period, schedule.zone))
    return due


def send_due_digests(
    deps: DigestDeps,
    now: datetime,
    *,
    client: WebClient | None = None,
    client_factory: Callable[[Settings], WebClient] | None = None,
) -> list[DeliveryResult]:
    """Post every digest due at ``now`` that no one has claimed; report what happened.

    Safe to run at any time, any number of times, from any number of processes: a channel gets
    at most one digest per period. ``client`` (or one built by ``client_factory``, by default
    ``digest_client``, only when something is due) posts the messages.
    """
    if now.tzinfo is None:
        raise ValueError("send_due_digests needs a timezone-aware time")
    if now > datetime.now(UTC):
        raise FutureDigestError(now)
    history = deps.history
    results = [
        DeliveryResult(
            channel_id=stale.channel_id,
            period_start=stale.period_start,
            status="unconfirmed",
            attempts=stale.attempts,
            detail=stale.detail,
        )
        for stale in history.expire_claims(now - CLAIM_LEASE)
    ]
    due = _due(deps, now)
    if not due:
        return results
    if client is None:
        client = (client_factory or digest_client)(deps.settings)
    sender = _sender_id()
    for subscription, period, zone in due:
        claim = history.claim_delivery(
            subscription.channel_id,
            period.start,
            claimed_by=sender,
            at=now,
            max_attempts=MAX_ATTEMPTS,
        )
        if claim is not None:
            results.append(_deliver(deps, client, claim, period, zone, now))
    return results


class DigestScheduler:
    """A background thread running ``send_due_digests`` for every workspace every minute until
    ``stop()``; each workspace's digests go out through its own client (``client_for``)."""

    def __init__(
        self,
        workspaces: DigestWorkspaces,
        client_for: ClientFor,
        *,
        interval_seconds: float = SCHEDULER_INTERVAL_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._workspaces = workspaces
        self._client_for = client_for
        self._interval = interval_seconds
        self._clock = clock
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="storyfit-digests", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current run (if one is under way)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def __enter__(self) -> DigestScheduler:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def run_once(self) -> list[DeliveryResult]:
        """One pass over the single workspace and every team; failures are logged, never raised
        (the next pass tries again), and one workspace's failure never stops another's digests."""
        try:
            teams: list[str | None] = [None, *self._workspaces.teams()]
        except Exception:
            logger.exception("Listing the workspaces failed; trying again in a minute")
            return []
        results: list[DeliveryResult] = []
        for team_id in teams:
            results += self._run_for(team_id)
        return results

    def _run_for(self, team_id: str | None) -> list[DeliveryResult]:
        where = f" of workspace {team_id}" if team_id else ""
        try:
            results = send_due_digests(
                self._workspaces.service(team_id),
                self._clock(),
                client_factory=lambda _settings: self._client_for(team_id),
            )
        except Exception:
            logger.exception("Looking for due digests%s failed; trying again in a minute", where)
            return []
        for result in results:
            level = logging.INFO if result.status == "posted" else logging.WARNING
            logger.log(
                level, "%s%s", result.describe(), f" (workspace {team_id})" if team_id else ""
            )
        return results

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.run_once()
            self._stopping.wait(self._interval)

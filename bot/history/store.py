"""The history store: briefs, picks, feedback, roster snapshots, digest subscriptions, deliveries.

Any SQLAlchemy URL works: SQLite in the data dir by default, PostgreSQL (psycopg 3) by URL. Opening
the store runs the Alembic migrations to head, so the schema is created and upgraded on its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    ColumnElement,
    Engine,
    func,
    insert,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.history.engine import HistoryError, open_engine, utc_now
from bot.history.tables import (
    DigestDeliveryRow,
    DigestRequestRow,
    DigestSubscriptionRow,
    FeedbackRow,
    PickRow,
    RequestRow,
    RosterEntryRow,
    RosterSnapshotRow,
    TeamRow,
)
from retrieval.contract import Recommendation, RecommendRequest
from retrieval.tiers import TierScheme

FeedbackKind = Literal["thumbs_up", "thumbs_down", "swap", "export", "lookalikes"]
RequestSource = Literal["mention", "dm", "command", "modal", "cli"]
DeliveryStatus = Literal["claimed", "posted", "failed", "unconfirmed"]

#: Roster entries written per insert when a snapshot is stored. Measured on 450,000 creators
#: (bench/SCALE.md section 2.0): 1,000 adds ~3 MB to the process's peak, 5,000 ~6 MB.
SNAPSHOT_CHUNK = 1000


class SnapshotEntry(Protocol):
    """What a roster snapshot keeps of a creator: a ``Creator`` or the catalog's lighter
    ``RosterRow`` (read without parsing each record: 9 s and +13 MB for 450,000 creators,
    instead of 20 s and +56 MB)."""

    @property
    def key(self) -> str: ...

    @property
    def followers(self) -> int: ...


class StoredRequest(BaseModel):
    """A recorded brief with the recommendation that was shown for it."""

    id: int
    user_id: str | None
    channel_id: str | None
    source: str
    created_at: datetime
    request: RecommendRequest
    recommendation: Recommendation


class StoredFeedback(BaseModel):
    request_id: int
    user_id: str | None
    kind: str
    creator_key: str | None
    created_at: datetime


class RosterState(BaseModel):
    """The roster as one snapshot recorded it: follower counts by creator key."""

    snapshot_id: int
    taken_at: datetime
    followers: dict[str, int]


class DigestSubscription(BaseModel):
    """A channel's digest subscription; unset schedule fields fall back to the settings."""

    model_config = ConfigDict(from_attributes=True)

    channel_id: str
    created_by: str | None
    weekday: int | None
    hour: int | None
    cron: str | None
    timezone: str | None
    active: bool
    subscribed_at: datetime


class DigestDelivery(BaseModel):
    """One channel's digest for one period, from its claim to the posted message."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    channel_id: str
    period_start: datetime
    claimed_at: datetime
    claimed_by: str
    status: DeliveryStatus
    attempts: int
    posted_ts: str | None
    posted_at: datetime | None
    detail: str | None


def picks_of(recommendation: Recommendation, team_id: str) -> list[PickRow]:
    return [
        PickRow(
            team_id=team_id,
            creator_key=pick.key,
            tier=pick.tier,
            role=pick.role,
            rank=rank,
            score=pick.score,
        )
        for rank, pick in enumerate(recommendation.picks)
    ]


def _stored(row: RequestRow) -> StoredRequest:
    return StoredRequest(
        id=row.id,
        user_id=row.user_id,
        channel_id=row.channel_id,
        source=row.source,
        created_at=row.created_at,
        request=RecommendRequest.model_validate(row.request),
        recommendation=Recommendation.model_validate(row.recommendation),
    )


class History:
    """One workspace's history in an open database; thread-safe (each call uses its own session).

    Every row belongs to one team (``team_id``; ``''`` is the single workspace), and every read,
    write and deletion of a ``History`` is confined to its team's rows.
    """

    def __init__(self, engine: Engine, team_id: str = "", *, owns_engine: bool = True) -> None:
        self.engine = engine
        self.team_id = team_id
        self._owns_engine = owns_engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, team_id: str = "") -> History:
        """Open the database at ``url``, migrated to the newest schema, for the team ``team_id``
        (``''``: the single workspace)."""
        return cls(open_engine(url), team_id)

    def for_team(self, team_id: str) -> History:
        """The same database seen by another team; closing it leaves the database open."""
        return History(self.engine, team_id, owns_engine=False)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def team_ids(self) -> list[str]:
        """Every team (not ``''``) with briefs, roster snapshots or digest subscriptions, sorted."""
        teams = union(
            *(
                select(table.team_id).where(table.team_id != "")
                for table in (RequestRow, RosterSnapshotRow, DigestSubscriptionRow)
            )
        )
        with self.engine.connect() as connection:
            return sorted(connection.scalars(teams))

    def mine(self, table: type[TeamRow]) -> ColumnElement[bool]:
        """The condition that keeps ``table``'s rows to this history's team."""
        return table.team_id == self.team_id

    def _request_row(self, session: Session, request_id: int) -> RequestRow | None:
        """The team's own request ``request_id``; another team's is as good as missing."""
        row = session.get(RequestRow, request_id)
        return row if row is not None and row.team_id == self.team_id else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def record_request(
        self,
        *,
        user_id: str | None,
        channel_id: str | None,
        source: str,
        request: RecommendRequest,
        recommendation: Recommendation,
        at: datetime | None = None,
    ) -> int:
        """Store a brief and what was recommended for it; returns the request id."""
        row = RequestRow(
            team_id=self.team_id,
            user_id=user_id,
            channel_id=channel_id,
            source=source,
            created_at=at or utc_now(),
            brief=request.brief,
            objective=recommendation.objective,
            filters=recommendation.filters.model_dump(mode="json"),
            request=request.model_dump(mode="json"),
            recommendation=recommendation.model_dump(mode="json"),
            picks=picks_of(recommendation, self.team_id),
        )
        with self.transaction() as session:
            session.add(row)
            session.flush()
            return row.id

    def get_request(self, request_id: int) -> StoredRequest | None:
        with self.transaction() as session:
            row = self._request_row(session, request_id)
            return _stored(row) if row is not None else None

    def update_recommendation(self, request_id: int, recommendation: Recommendation) -> None:
        """Replace what was shown for a request (after a swap), picks included."""
        with self.transaction() as session:
            row = self._request_row(session, request_id)
            if row is None:
                raise HistoryError(f"No recorded request with id {request_id}.")
            row.recommendation = recommendation.model_dump(mode="json")
            row.objective = recommendation.objective
            row.filters = recommendation.filters.model_dump(mode="json")
            row.picks = picks_of(recommendation, self.team_id)

    def record_feedback(
        self,
        *,
        request_id: int,
        user_id: str | None,
        kind: FeedbackKind,
        creator_key: str | None = None,
        at: datetime | None = None,
    ) -> None:
        with self.transaction() as session:
            if self._request_row(session, request_id) is None:
                raise HistoryError(f"No recorded request with id {request_id}.")
            session.add(
                FeedbackRow(
                    team_id=self.team_id,
                    request_id=request_id,
                    user_id=user_id,
                    kind=kind,
                    creator_key=creator_key,
                    created_at=at or utc_now(),
                )
            )

    def recent_requests(self, user_id: str, limit: int = 5) -> list[StoredRequest]:
        """A user's latest briefs, newest first."""
        with self.transaction() as session:
            rows = session.scalars(
                select(RequestRow)
                .where(self.mine(RequestRow), RequestRow.user_id == user_id)
                .order_by(RequestRow.created_at.desc(), RequestRow.id.desc())
                .limit(limit)
            )
            return [_stored(row) for row in rows]

    def record_roster_snapshot(
        self, creators: Iterable[SnapshotEntry], tiers: TierScheme, at: datetime | None = None
    ) -> int:
        """Store the whole roster as it stands now, ``SNAPSHOT_CHUNK`` entries per insert (a
        roster of any size in bounded memory); returns the snapshot id."""
        with self.transaction() as session:
            snapshot = RosterSnapshotRow(
                team_id=self.team_id,
                taken_at=at or utc_now(),
                tier_scheme=tiers.name,
                creator_count=0,
            )
            session.add(snapshot)
            session.flush()
            count = 0
            remaining = iter(creators)
            while chunk := list(itertools.islice(remaining, SNAPSHOT_CHUNK)):
                session.execute(
                    insert(RosterEntryRow),
                    [
                        _snapshot_entry(self.team_id, snapshot.id, creator, tiers)
                        for creator in chunk
                    ],
                )
                count += len(chunk)
            snapshot.creator_count = count
            return snapshot.id

    # -- what the digest reads ------------------------------------------------------------------

    def requests_between(
        self, start: datetime, end: datetime, channel_id: str | None = None
    ) -> list[StoredRequest]:
        """Briefs asked in ``[start, end)``, oldest first; in one channel when given."""
        query = select(RequestRow).where(
            self.mine(RequestRow), RequestRow.created_at >= start, RequestRow.created_at < end
        )
        if channel_id is not None:
            query = query.where(RequestRow.channel_id == channel_id)
        with self.transaction() as session:
            rows = session.scalars(query.order_by(RequestRow.created_at, RequestRow.id))
            return [_stored(row) for row in rows]

    def feedback_between(
        self, start: datetime, end: datetime, channel_id: str | None = None
    ) -> list[StoredFeedback]:
        """Feedback given in ``[start, end)``, on any brief of the channel when one is given."""
        query = select(FeedbackRow).where(
            self.mine(FeedbackRow), FeedbackRow.created_at >= start, FeedbackRow.created_at < end
        )
        if channel_id is not None:
            query = query.join(RequestRow).where(RequestRow.channel_id == channel_id)
        with self.transaction() as session:
            rows = session.scalars(query.order_by(FeedbackRow.created_at, FeedbackRow.id))
            return [
                StoredFeedback(
                    request_id=row.request_id,
                    user_id=row.user_id,
                    kind=row.kind,
                    creator_key=row.creator_key,
                    created_at=row.created_at,
                )
                for row in rows
            ]

    def last_snapshot_at(self) -> datetime | None:
        """When the latest roster snapshot was taken, if any."""
        with self.transaction() as session:
            return session.scalar(
                select(func.max(RosterSnapshotRow.taken_at)).where(self.mine(RosterSnapshotRow))
            )

    def roster_before(self, moment: datetime) -> RosterState | None:
        """The latest roster snapshot taken before ``moment``."""
        with self.transaction() as session:
            snapshot = session.scalars(
                select(RosterSnapshotRow)
                .where(self.mine(RosterSnapshotRow), RosterSnapshotRow.taken_at < moment)
                .order_by(RosterSnapshotRow.taken_at.desc(), RosterSnapshotRow.id.desc())
                .limit(1)
            ).first()
            if snapshot is None:
                return None
        with self.engine.connect() as connection:  # Core rows: a roster can be 100,000 creators
            rows = connection.execute(
                select(RosterEntryRow.creator_key, RosterEntryRow.followers).where(
                    self.mine(RosterEntryRow), RosterEntryRow.snapshot_id == snapshot.id
                )
            )
            followers = dict(rows.all())
        return RosterState.model_construct(
            snapshot_id=snapshot.id, taken_at=snapshot.taken_at, followers=followers
        )

    # -- digest subscriptions -------------------------------------------------------------------

    def subscribe(
        self,
        channel_id: str,
        *,
        created_by: str | None,
        weekday: int | None = None,
        hour: int | None = None,
        cron: str | None = None,
        timezone: str | None = None,
        at: datetime | None = None,
    ) -> DigestSubscription:
        """Subscribe a channel (again), replacing its schedule; the first digest is the next due."""
        values = {
            "created_by": created_by,
            "weekday": weekday,
            "hour": hour,
            "cron": cron,
            "timezone": timezone,
            "active": True,
            "subscribed_at": at or utc_now(),
        }
        for _ in range(2):  # a concurrent first subscribe of the same channel wins the insert
            try:
                with self.transaction() as session:
                    row = session.scalars(
                        select(DigestSubscriptionRow).where(
                            self.mine(DigestSubscriptionRow),
                            DigestSubscriptionRow.channel_id == channel_id,
                        )
                    ).first()
                    if row is None:
                        row = DigestSubscriptionRow(
                            team_id=self.team_id, channel_id=channel_id, **values
                        )
                        session.add(row)
                    else:
                        for name, value in values.items():
                            setattr(row, name, value)
                    session.flush()
                    return DigestSubscription.model_validate(row)
            except IntegrityError:
                continue
        raise HistoryError(f"Could not save the digest subscription of channel {channel_id}.")

    def pin_schedule(self, channel_id: str, cron: str, timezone: str) -> DigestSubscription:
        """Store a period definition for a subscription that has none yet; the first caller's
        wins, so every sender (whatever its own settings) computes the same periods after."""
        with self.transaction() as session:
            session.execute(
                update(DigestSubscriptionRow)
                .where(
                    self.mine(DigestSubscriptionRow),
                    DigestSubscriptionRow.channel_id == channel_id,
                    or_(
                        DigestSubscriptionRow.cron.is_(None),
                        DigestSubscriptionRow.timezone.is_(None),
                    ),
                )
                .values(cron=cron, timezone=timezone)
            )
        pinned = self.subscription(channel_id)
        if pinned is None:
            raise HistoryError(f"Channel {channel_id} has no digest subscription.")
        return pinned

    def unsubscribe(self, channel_id: str) -> bool:
        """Stop a channel's digest; false when it was not subscribed."""
        with self.transaction() as session:
            result = session.execute(
                update(DigestSubscriptionRow)
                .where(
                    self.mine(DigestSubscriptionRow),
                    DigestSubscriptionRow.channel_id == channel_id,
                    DigestSubscriptionRow.active.is_(True),
                )
                .values(active=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def subscription(self, channel_id: str) -> DigestSubscription | None:
        with self.transaction() as session:
            row = session.scalars(
                select(DigestSubscriptionRow).where(
                    self.mine(DigestSubscriptionRow), DigestSubscriptionRow.channel_id == channel_id
                )
            ).first()
            return DigestSubscription.model_validate(row) if row is not None else None

    def active_subscriptions(self) -> list[DigestSubscription]:
        with self.transaction() as session:
            rows = session.scalars(
                select(DigestSubscriptionRow)
                .where(self.mine(DigestSubscriptionRow), DigestSubscriptionRow.active.is_(True))
                .order_by(DigestSubscriptionRow.channel_id)
            )
            return [DigestSubscription.model_validate(row) for row in rows]

    # -- digest deliveries: claimed in the database before anything is posted --------------------

    def claim_delivery(
        self,
        channel_id: str,
        period_start: datetime,
        *,
        claimed_by: str,
        at: datetime,
        max_attempts: int,
    ) -> DigestDelivery | None:
        """Claim the right to post a channel's digest for a period, or ``None`` if it is taken.

        The unique ``(channel_id, period_start)`` makes the insert succeed for exactly one caller,
        across threads, processes and hosts. A delivery that failed (Slack refused it, so nothing
        was posted) can be claimed again until it has been tried ``max_attempts`` times.
        A period that has not begun by this machine's clock cannot be claimed (``HistoryError``):
        a claim made early would stop the real digest of that period.
        """
        if period_start > utc_now():
            raise HistoryError(
                f"The digest period starting {period_start:%Y-%m-%d %H:%M} UTC has not begun yet, "
                "so it cannot be sent now."
            )
        try:
            with self.transaction() as session:
                row = DigestDeliveryRow(
                    team_id=self.team_id,
                    channel_id=channel_id,
                    period_start=period_start,
                    claimed_at=at,
                    claimed_by=claimed_by,
                    status="claimed",
                    attempts=1,
                )
                session.add(row)
                session.flush()
                return DigestDelivery.model_validate(row)
        except IntegrityError:
            pass
        with self.transaction() as session:
            retried = session.execute(
                update(DigestDeliveryRow)
                .where(
                    self.mine(DigestDeliveryRow),
                    DigestDeliveryRow.channel_id == channel_id,
                    DigestDeliveryRow.period_start == period_start,
                    DigestDeliveryRow.status == "failed",
                    DigestDeliveryRow.attempts < max_attempts,
                )
                .values(
                    status="claimed",
                    claimed_by=claimed_by,
                    claimed_at=at,
                    attempts=DigestDeliveryRow.attempts + 1,
                )
            )
            if not retried.rowcount:  # type: ignore[attr-defined]
                return None
        return self.delivery(channel_id, period_start)

    def delivery(self, channel_id: str, period_start: datetime) -> DigestDelivery | None:
        with self.transaction() as session:
            row = session.scalars(
                select(DigestDeliveryRow).where(
                    self.mine(DigestDeliveryRow),
                    DigestDeliveryRow.channel_id == channel_id,
                    DigestDeliveryRow.period_start == period_start,
                )
            ).first()
            return DigestDelivery.model_validate(row) if row is not None else None

    def finish_delivery(
        self,
        delivery_id: int,
        *,
        status: DeliveryStatus,
        posted_ts: str | None = None,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Record how a claimed delivery ended: posted (with its ts), failed or unconfirmed."""
        values: dict[str, Any] = {"status": status, "detail": detail}
        if posted_ts is not None:
            values.update(posted_ts=posted_ts, posted_at=at or utc_now())
        with self.transaction() as session:
            session.execute(
                update(DigestDeliveryRow)
                .where(self.mine(DigestDeliveryRow), DigestDeliveryRow.id == delivery_id)
                .values(values)
            )

    def expire_claims(self, claimed_before: datetime) -> list[DigestDelivery]:
        """Mark claims still open since before ``claimed_before`` as unconfirmed; returns them.

        Their sender stopped between claiming and recording (a crash, a kill): the digest may or
        may not be in Slack, so it is never posted again automatically. Each is returned once.
        """
        with self.transaction() as session:
            stale = session.execute(
                select(
                    DigestDeliveryRow.id, DigestDeliveryRow.claimed_by, DigestDeliveryRow.claimed_at
                ).where(
                    self.mine(DigestDeliveryRow),
                    DigestDeliveryRow.status == "claimed",
                    DigestDeliveryRow.claimed_at < claimed_before,
                )
            ).all()
        expired = []
        for delivery_id, claimed_by, claimed_at in stale:
            detail = (
                f"claimed by {claimed_by} at {claimed_at:%Y-%m-%d %H:%M} UTC, but no Slack "
                "message was recorded: that sender stopped between claiming and recording"
            )
            with self.transaction() as session:
                changed = session.execute(
                    update(DigestDeliveryRow)
                    .where(
                        DigestDeliveryRow.id == delivery_id, DigestDeliveryRow.status == "claimed"
                    )
                    .values(status="unconfirmed", detail=detail)
                )
                if not changed.rowcount:  # type: ignore[attr-defined]
                    continue
                row = session.get(DigestDeliveryRow, delivery_id)
                if row is not None:
                    expired.append(DigestDelivery.model_validate(row))
        return expired

    # -- digests posted on request: one post per Slack command, however often it is delivered --

    def claim_digest_request(
        self, request_key: str, *, channel_id: str, requested_by: str | None, at: datetime
    ) -> int | None:
        """Claim the right to answer one ``digest now`` command; ``None`` when already claimed."""
        try:
            with self.transaction() as session:
                row = DigestRequestRow(
                    team_id=self.team_id,
                    request_key=request_key,
                    channel_id=channel_id,
                    requested_by=requested_by,
                    requested_at=at,
                )
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            return None

    def finish_digest_request(self, claim_id: int, posted_ts: str) -> None:
        with self.transaction() as session:
            session.execute(
                update(DigestRequestRow)
                .where(self.mine(DigestRequestRow), DigestRequestRow.id == claim_id)
                .values(posted_ts=posted_ts)
            )


def _snapshot_entry(
    team_id: str, snapshot_id: int, creator: SnapshotEntry, tiers: TierScheme
) -> dict[str, Any]:
    tier = tiers.classify(creator.followers)
    return {
        "team_id": team_id,
        "snapshot_id": snapshot_id,
        "creator_key": creator.key,
        "followers": creator.followers,
        "tier": tier.name,
        "role": tier.role,
    }

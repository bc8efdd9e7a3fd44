"""The history tables as SQLAlchemy 2 typed ORM classes.

The schema itself is owned by the Alembic migrations in ``bot/history/migrations/versions``; these
classes must describe the same tables (a test compares them).

Every row belongs to one Slack workspace: ``team_id`` is its team id, ``''`` for the single
workspace of a ``SLACK_BOT_TOKEN`` deployment (and for every row written before there were teams).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Alembic's own table, named so it cannot clash with another application's in a shared database.
VERSION_TABLE = "storyfit_alembic_version"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC, read back as UTC on every backend (SQLite too)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("history timestamps must be timezone-aware")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: The longest team id stored (``bot.teams.MAX_TEAM_ID``).
TEAM_ID_LENGTH = 32


def team_column(*, index: bool = False) -> Mapped[str]:
    """The ``team_id`` column every table has: the row's workspace, ``''`` for the single one."""
    return mapped_column(String(TEAM_ID_LENGTH), default="", server_default="", index=index)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class RequestRow(Base):
    """One brief someone asked about, with the full request and the recommendation shown."""

    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = team_column(index=True)
    user_id: Mapped[str | None] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(index=True)
    brief: Mapped[str] = mapped_column(Text)
    objective: Mapped[str] = mapped_column(String(16))
    filters: Mapped[dict[str, Any]]
    request: Mapped[dict[str, Any]]
    recommendation: Mapped[dict[str, Any]]

    picks: Mapped[list[PickRow]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="PickRow.rank"
    )


class PickRow(Base):
    """One creator in a recommendation, in the order shown (awareness picks first)."""

    __tablename__ = "picks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = team_column()
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    creator_key: Mapped[str] = mapped_column(String(300), index=True)
    tier: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)

    request: Mapped[RequestRow] = relationship(back_populates="picks")


class FeedbackRow(Base):
    """A reaction to a recommendation: thumbs, a swap, an export, a lookalike search."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = team_column()
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    creator_key: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(index=True)


class RosterSnapshotRow(Base):
    """The whole roster as it stood after one import."""

    __tablename__ = "roster_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = team_column(index=True)
    taken_at: Mapped[datetime] = mapped_column(index=True)
    tier_scheme: Mapped[str] = mapped_column(String(32))
    creator_count: Mapped[int] = mapped_column(Integer)


class RosterEntryRow(Base):
    """One creator in a roster snapshot."""

    __tablename__ = "roster_snapshot_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = team_column()
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("roster_snapshots.id", ondelete="CASCADE"), index=True
    )
    creator_key: Mapped[str] = mapped_column(String(300))
    #: 64-bit: follower counts pass 2^31 (2.1 billion) on the largest accounts.
    followers: Mapped[int] = mapped_column(BigInteger)
    tier: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))


class DigestSubscriptionRow(Base):
    """A channel that receives the digest; no schedule fields means the deployment's default."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = team_column()
    channel_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(64))
    weekday: Mapped[int | None] = mapped_column(Integer)
    hour: Mapped[int | None] = mapped_column(Integer)
    cron: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    subscribed_at: Mapped[datetime]


class DigestDeliveryRow(Base):
    """One channel's digest for one period: claimed before posting, so it is sent at most once."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = team_column()
    channel_id: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[datetime]
    claimed_at: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    posted_ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)


class DigestRequestRow(Base):
    """One ``/storyfit digest now``: claimed under Slack's id of the command before posting, so a
    redelivered command posts nothing more."""

    __tablename__ = "digest_requests"
    __table_args__ = (UniqueConstraint("team_id", "request_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = team_column()
    request_key: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    posted_ts: Mapped[str | None] = mapped_column(String(32))


#: Any history table: every one has a ``team_id``.
TeamRow = (
    RequestRow
    | PickRow
    | FeedbackRow
    | RosterSnapshotRow
    | RosterEntryRow
    | DigestSubscriptionRow
    | DigestDeliveryRow
    | DigestRequestRow
)


# -- slack_sdk's OAuth stores (many workspaces: ``bot.slack.installations``) -------------------
# Described by slack_sdk itself, so the schema test notices when a new slack_sdk changes them
# (write a migration then). Prefixed, like the version table, to share a database safely.
SLACK_BOTS_TABLE = "storyfit_slack_bots"
SLACK_INSTALLATIONS_TABLE = "storyfit_slack_installations"
SLACK_OAUTH_STATES_TABLE = "storyfit_slack_oauth_states"
SQLAlchemyInstallationStore.build_bots_table(Base.metadata, SLACK_BOTS_TABLE)
SQLAlchemyInstallationStore.build_installations_table(Base.metadata, SLACK_INSTALLATIONS_TABLE)
SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, SLACK_OAUTH_STATES_TABLE)

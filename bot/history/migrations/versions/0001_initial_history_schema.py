"""Initial history schema: requests, picks, feedback, roster snapshots, digests.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id(table: str) -> tuple[sa.Column[object], sa.PrimaryKeyConstraint]:
    return sa.Column("id", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint(
        "id", name=op.f(f"pk_{table}")
    )


def _request_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["request_id"],
        ["requests.id"],
        name=op.f(f"fk_{table}_request_id_requests"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "requests",
        *_id("requests"),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        _when("created_at"),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("objective", sa.String(16), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("recommendation", sa.JSON(), nullable=False),
    )
    op.create_index(op.f("ix_requests_channel_id"), "requests", ["channel_id"])
    op.create_index(op.f("ix_requests_created_at"), "requests", ["created_at"])

    op.create_table(
        "picks",
        *_id("picks"),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("creator_key", sa.String(300), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        _request_fk("picks"),
    )
    op.create_index(op.f("ix_picks_request_id"), "picks", ["request_id"])
    op.create_index(op.f("ix_picks_creator_key"), "picks", ["creator_key"])

    op.create_table(
        "feedback",
        *_id("feedback"),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("creator_key", sa.String(300), nullable=True),
        _when("created_at"),
        _request_fk("feedback"),
    )
    op.create_index(op.f("ix_feedback_request_id"), "feedback", ["request_id"])
    op.create_index(op.f("ix_feedback_created_at"), "feedback", ["created_at"])

    op.create_table(
        "roster_snapshots",
        *_id("roster_snapshots"),
        _when("taken_at"),
        sa.Column("tier_scheme", sa.String(32), nullable=False),
        sa.Column("creator_count", sa.Integer(), nullable=False),
    )
    op.create_index(op.f("ix_roster_snapshots_taken_at"), "roster_snapshots", ["taken_at"])

    op.create_table(
        "roster_snapshot_entries",
        *_id("roster_snapshot_entries"),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("creator_key", sa.String(300), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["roster_snapshots.id"],
            name=op.f("fk_roster_snapshot_entries_snapshot_id_roster_snapshots"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        op.f("ix_roster_snapshot_entries_snapshot_id"), "roster_snapshot_entries", ["snapshot_id"]
    )

    op.create_table(
        "digest_subscriptions",
        *_id("digest_subscriptions"),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("hour", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(100), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("subscribed_at"),
        sa.UniqueConstraint("channel_id", name=op.f("uq_digest_subscriptions_channel_id")),
    )

    op.create_table(
        "digest_deliveries",
        *_id("digest_deliveries"),
        sa.Column("channel_id", sa.String(64), nullable=False),
        _when("period_start"),
        _when("claimed_at"),
        sa.Column("claimed_by", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("posted_ts", sa.String(32), nullable=True),
        _when("posted_at", nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.UniqueConstraint(
            "channel_id",
            "period_start",
            name=op.f("uq_digest_deliveries_channel_id_period_start"),
        ),
    )


def downgrade() -> None:
    for table in (
        "digest_deliveries",
        "digest_subscriptions",
        "roster_snapshot_entries",
        "roster_snapshots",
        "feedback",
        "picks",
        "requests",
    ):
        op.drop_table(table)

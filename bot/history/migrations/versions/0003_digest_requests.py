"""Digest requests: ``/storyfit digest now`` claimed once per Slack command.

Subscriptions keep their period definition (cron and time zone) in the existing ``cron`` and
``timezone`` columns: new subscriptions store it when made, and older ones are pinned by the first
sender that looks at them (``History.pin_schedule``), so no backfill is needed here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_key", sa.String(200), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_ts", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_requests")),
        sa.UniqueConstraint("request_key", name=op.f("uq_digest_requests_request_key")),
    )


def downgrade() -> None:
    op.drop_table("digest_requests")

"""Roster snapshot follower counts are 64-bit: a count above 2^31 failed snapshots on PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _set_followers_type(new: sa.types.TypeEngine[int], old: sa.types.TypeEngine[int]) -> None:
    with op.batch_alter_table("roster_snapshot_entries") as table:
        table.alter_column("followers", type_=new, existing_type=old, existing_nullable=False)


def upgrade() -> None:
    _set_followers_type(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _set_followers_type(sa.Integer(), sa.BigInteger())

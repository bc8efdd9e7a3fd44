"""Every row belongs to one workspace: ``team_id`` on every table, ``''`` for existing rows.

``''`` is the single workspace of a ``SLACK_BOT_TOKEN`` deployment, so a database from before
this revision keeps all its rows in that workspace. Digest subscriptions, deliveries and ``digest
now`` claims become unique per team (two workspaces may both have a channel with the same id).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "requests",
    "picks",
    "feedback",
    "roster_snapshots",
    "roster_snapshot_entries",
    "digest_subscriptions",
    "digest_deliveries",
    "digest_requests",
)
#: Tables read by team first: their ``team_id`` is indexed.
INDEXED = ("requests", "roster_snapshots")
#: ``table: (the unique columns before, the unique columns per team after)``.
UNIQUE = {
    "digest_subscriptions": (["channel_id"], ["team_id", "channel_id"]),
    "digest_deliveries": (
        ["channel_id", "period_start"],
        ["team_id", "channel_id", "period_start"],
    ),
    "digest_requests": (["request_key"], ["team_id", "request_key"]),
}


def _unique_name(table: str, columns: list[str]) -> str:
    return f"uq_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("team_id", sa.String(32), nullable=False, server_default=""))
            if table in INDEXED:
                batch.create_index(op.f(f"ix_{table}_team_id"), ["team_id"])
            if table in UNIQUE:
                before, after = UNIQUE[table]
                batch.drop_constraint(op.f(_unique_name(table, before)), type_="unique")
                batch.create_unique_constraint(op.f(_unique_name(table, after)), after)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            if table in UNIQUE:
                before, after = UNIQUE[table]
                batch.drop_constraint(op.f(_unique_name(table, after)), type_="unique")
                batch.create_unique_constraint(op.f(_unique_name(table, before)), before)
            if table in INDEXED:
                batch.drop_index(op.f(f"ix_{table}_team_id"))
            batch.drop_column("team_id")

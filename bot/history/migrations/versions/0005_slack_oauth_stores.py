"""Slack OAuth stores: the bot tokens of every workspace that installed Storyfit, and the
one-time ``state`` values of installs under way.

The columns are those of slack_sdk's ``SQLAlchemyInstallationStore`` and
``SQLAlchemyOAuthStateStore`` (slack_sdk 3.48), which read and write these tables; the tables are
created here, under the migration lock, rather than by the stores' ``create_tables()``, so two
processes starting at once cannot race and a later slack_sdk change arrives as a migration.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOTS = "storyfit_slack_bots"
INSTALLATIONS = "storyfit_slack_installations"
STATES = "storyfit_slack_oauth_states"


def _text(name: str, length: int, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _workspace_columns() -> list[sa.Column[object]]:
    """The columns a bot row and an installation row share, in slack_sdk's order."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        _text("client_id", 32, nullable=False),
        _text("app_id", 32, nullable=False),
        _text("enterprise_id", 32),
        _text("enterprise_name", 200),
    ]


def _bot_columns() -> list[sa.Column[object]]:
    return [
        _text("team_id", 32),
        _text("team_name", 200),
        _text("bot_token", 200),
        _text("bot_id", 32),
        _text("bot_user_id", 32),
        _text("bot_scopes", 1000),
        _text("bot_refresh_token", 200),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
    ]


def _installed(table: str) -> list[sa.Column[object] | sa.PrimaryKeyConstraint]:
    return [
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(BOTS, *_workspace_columns(), *_bot_columns(), *_installed(BOTS))
    op.create_index(f"{BOTS}_idx", BOTS, ["client_id", "enterprise_id", "team_id", "installed_at"])
    op.create_table(
        INSTALLATIONS,
        *_workspace_columns(),
        _text("enterprise_url", 200),
        *_bot_columns(),
        _text("user_id", 32, nullable=False),
        _text("user_token", 200),
        _text("user_scopes", 1000),
        _text("user_refresh_token", 200),
        sa.Column("user_token_expires_at", sa.DateTime(), nullable=True),
        _text("incoming_webhook_url", 200),
        _text("incoming_webhook_channel", 200),
        _text("incoming_webhook_channel_id", 200),
        _text("incoming_webhook_configuration_url", 200),
        _text("token_type", 32),
        *_installed(INSTALLATIONS),
    )
    op.create_index(
        f"{INSTALLATIONS}_idx",
        INSTALLATIONS,
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        STATES,
        sa.Column("id", sa.Integer(), nullable=False),
        _text("state", 200, nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{STATES}")),
    )


def downgrade() -> None:
    op.drop_table(STATES)
    op.drop_index(f"{INSTALLATIONS}_idx", table_name=INSTALLATIONS)
    op.drop_table(INSTALLATIONS)
    op.drop_index(f"{BOTS}_idx", table_name=BOTS)
    op.drop_table(BOTS)

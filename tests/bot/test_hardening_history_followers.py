"""Follower counts past 2^31 in roster snapshots, on SQLite and on a real PostgreSQL (issue 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.history.engine import alembic_config
from bot.history.store import History
from bot.history.tables import VERSION_TABLE
from retrieval.tiers import DEFAULT_SCHEME
from tests.support.history_samples import creator, migrate_to, write_rows

pytest_plugins = ("tests.support.postgres_server",)

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: Above 2^31 - 1, the most a 32-bit INTEGER column holds.
BIGGEST_ACCOUNT = 5_000_000_000


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_a_snapshot_with_billions_of_followers_is_kept(history_url: str) -> None:
    history = History.open(history_url)
    try:
        roster = [creator("huge", BIGGEST_ACCOUNT, "tiktok"), creator("small", 900)]
        history.record_roster_snapshot(roster, DEFAULT_SCHEME, at=MONDAY)
        state = history.roster_before(MONDAY + timedelta(seconds=1))
    finally:
        history.close()
    assert state is not None
    assert state.followers == {"tiktok:huge": BIGGEST_ACCOUNT, "instagram:small": 900}


def test_a_database_made_before_the_fix_is_migrated_and_keeps_its_snapshots(
    history_url: str,
) -> None:
    migrate_to(history_url, "0001")
    snapshot = {"taken_at": MONDAY, "tier_scheme": "default", "creator_count": 1}
    [snapshot_id] = write_rows(history_url, "roster_snapshots", [snapshot])
    entry = {"snapshot_id": snapshot_id, "creator_key": "instagram:a", "followers": 1_200}
    write_rows(
        history_url, "roster_snapshot_entries", [{**entry, "tier": "micro", "role": "action"}]
    )

    history = History.open(history_url)
    try:
        later = MONDAY + timedelta(days=1)
        history.record_roster_snapshot([creator("a", BIGGEST_ACCOUNT)], DEFAULT_SCHEME, at=later)
        before = history.roster_before(later)
        after = history.roster_before(later + timedelta(seconds=1))
        with history.engine.connect() as connection:
            version = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
            versions = [row[0] for row in version]
    finally:
        history.close()
    assert before is not None and before.followers == {"instagram:a": 1_200}
    assert after is not None and after.followers == {"instagram:a": BIGGEST_ACCOUNT}
    assert versions == [ScriptDirectory.from_config(alembic_config()).get_current_head()]

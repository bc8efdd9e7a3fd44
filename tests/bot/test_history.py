"""The history store on SQLite and on a real PostgreSQL: migrations, briefs, feedback, snapshots."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from bot.history.engine import HistoryError, alembic_config, normalise_url
from bot.history.store import History
from bot.history.tables import VERSION_TABLE, Base, PickRow, RosterEntryRow
from retrieval.tiers import DEFAULT_SCHEME
from tests.conftest import REPO
from tests.support.history_samples import brief_and_answer, creator, pick, recommendation

pytest_plugins = ("tests.support.postgres_server",)

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture()
def history(history_url: str) -> Iterator[History]:
    store = History.open(history_url)
    yield store
    store.close()


def test_open_creates_the_schema_the_models_describe(history: History) -> None:
    with history.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        differences = compare_metadata(context, Base.metadata)
        version = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert [row[0] for row in version] == [head]
    assert differences == []


def test_reopening_keeps_the_data(history_url: str) -> None:
    request, answer = brief_and_answer("vegan snacks", [pick("jane", 8_000)])
    with_first = History.open(history_url)
    request_id = with_first.record_request(
        user_id="U1", channel_id="C1", source="mention", request=request, recommendation=answer
    )
    with_first.close()
    reopened = History.open(history_url)
    stored = reopened.get_request(request_id)
    reopened.close()
    assert stored is not None and stored.request.brief == "vegan snacks"


def test_a_request_round_trips_with_its_picks_in_order(history: History) -> None:
    request, answer = brief_and_answer(
        "trail running shoes", [pick("small", 4_000, score=0.9), pick("big", 500_000, score=0.4)]
    )
    request_id = history.record_request(
        user_id="U1",
        channel_id="C1",
        source="command",
        request=request,
        recommendation=answer,
        at=MONDAY,
    )
    stored = history.get_request(request_id)
    assert stored is not None
    assert stored.created_at == MONDAY
    assert stored.created_at.tzinfo is not None
    assert (stored.user_id, stored.channel_id, stored.source) == ("U1", "C1", "command")
    assert stored.request == request
    assert stored.recommendation == answer
    with history.transaction() as session:
        picks = session.scalars(
            select(PickRow).where(PickRow.request_id == request_id).order_by(PickRow.rank)
        ).all()
        assert [(p.creator_key, p.tier, p.role, p.rank) for p in picks] == [
            ("instagram:big", "macro", "awareness", 0),
            ("instagram:small", "micro", "action", 1),
        ]


def test_a_timestamp_in_another_zone_is_stored_as_the_same_instant(history: History) -> None:
    request, answer = brief_and_answer("tea", [])
    instant = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    request_id = history.record_request(
        user_id=None,
        channel_id=None,
        source="cli",
        request=request,
        recommendation=answer,
        at=instant.astimezone(ZoneInfo("Europe/Berlin")),
    )
    stored = history.get_request(request_id)
    assert stored is not None and stored.created_at == instant


def test_a_naive_timestamp_is_refused(history: History) -> None:
    request, answer = brief_and_answer("tea", [])
    with pytest.raises(Exception, match="timezone-aware"):
        history.record_request(
            user_id=None,
            channel_id=None,
            source="cli",
            request=request,
            recommendation=answer,
            at=datetime(2026, 3, 2, 9, 0),
        )


def test_unknown_request_is_none(history: History) -> None:
    assert history.get_request(999) is None


def test_a_swap_replaces_the_recommendation_and_its_picks(history: History) -> None:
    request, answer = brief_and_answer("coffee", [pick("old", 5_000)])
    request_id = history.record_request(
        user_id="U1", channel_id="C1", source="mention", request=request, recommendation=answer
    )
    swapped = recommendation("coffee", [pick("new", 6_000)])
    history.update_recommendation(request_id, swapped)
    stored = history.get_request(request_id)
    assert stored is not None and [p.handle for p in stored.recommendation.picks] == ["new"]
    with history.transaction() as session:
        keys = session.scalars(select(PickRow.creator_key)).all()
        assert keys == ["instagram:new"]


def test_updating_an_unknown_request_says_which(history: History) -> None:
    with pytest.raises(HistoryError, match="id 42"):
        history.update_recommendation(42, recommendation("x", []))


def test_feedback_is_recorded_against_a_known_request(history: History) -> None:
    request, answer = brief_and_answer("coffee", [pick("jane", 5_000)])
    request_id = history.record_request(
        user_id="U1", channel_id="C1", source="mention", request=request, recommendation=answer
    )
    history.record_feedback(request_id=request_id, user_id="U2", kind="thumbs_up")
    history.record_feedback(
        request_id=request_id, user_id="U2", kind="swap", creator_key="instagram:jane"
    )
    with history.engine.connect() as connection:
        rows = connection.execute(text("SELECT kind, creator_key FROM feedback ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("thumbs_up", None), ("swap", "instagram:jane")]
    with pytest.raises(HistoryError, match="id 7"):
        history.record_feedback(request_id=7, user_id="U2", kind="thumbs_down")


def test_recent_requests_are_the_users_own_newest_first(history: History) -> None:
    for day in range(7):
        request, answer = brief_and_answer(f"brief {day}", [])
        history.record_request(
            user_id="U1",
            channel_id="C1",
            source="dm",
            request=request,
            recommendation=answer,
            at=MONDAY + timedelta(days=day),
        )
    other, other_answer = brief_and_answer("someone else's", [])
    history.record_request(
        user_id="U2",
        channel_id="C1",
        source="dm",
        request=other,
        recommendation=other_answer,
        at=MONDAY + timedelta(days=30),
    )
    recent = history.recent_requests("U1", limit=3)
    assert [stored.request.brief for stored in recent] == ["brief 6", "brief 5", "brief 4"]
    assert history.recent_requests("U3") == []


def test_a_roster_snapshot_keeps_every_creator_with_its_tier(history: History) -> None:
    creators = [creator("a", 9_999), creator("b", 10_000), creator("c", 2_000_000, "tiktok")]
    snapshot_id = history.record_roster_snapshot(creators, DEFAULT_SCHEME, at=MONDAY)
    with history.transaction() as session:
        entries = session.scalars(
            select(RosterEntryRow)
            .where(RosterEntryRow.snapshot_id == snapshot_id)
            .order_by(RosterEntryRow.creator_key)
        ).all()
        assert [(e.creator_key, e.followers, e.tier, e.role) for e in entries] == [
            ("instagram:a", 9_999, "micro", "action"),
            ("instagram:b", 10_000, "mid", "awareness"),
            ("tiktok:c", 2_000_000, "macro", "awareness"),
        ]
    assert history.record_roster_snapshot([], DEFAULT_SCHEME) > snapshot_id


def test_the_latest_snapshot_time_and_the_roster_before_a_moment(history: History) -> None:
    assert history.last_snapshot_at() is None
    history.record_roster_snapshot([creator("a", 100)], DEFAULT_SCHEME, at=MONDAY)
    later = MONDAY + timedelta(days=2)
    history.record_roster_snapshot([creator("a", 120), creator("b", 5)], DEFAULT_SCHEME, at=later)
    assert history.last_snapshot_at() == later
    assert history.roster_before(MONDAY) is None
    first = history.roster_before(later)
    assert first is not None and (first.taken_at, first.followers) == (MONDAY, {"instagram:a": 100})
    latest = history.roster_before(later + timedelta(seconds=1))
    assert latest is not None and latest.followers == {"instagram:a": 120, "instagram:b": 5}


OPEN_AND_RECORD = """
import sys
from bot.history.store import History
from tests.support.history_samples import brief_and_answer
store = History.open(sys.argv[1])
request, answer = brief_and_answer("from a process", [])
store.record_request(user_id=None, channel_id=None, source="cli", request=request,
                     recommendation=answer)
store.close()
"""


def test_processes_opening_a_new_database_at_once_all_succeed(history_url: str) -> None:
    repo = REPO
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AND_RECORD, history_url],
            cwd=repo,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    failures = [p.stderr.read() if p.stderr else "" for p in processes if p.wait(timeout=120)]
    assert failures == []
    store = History.open(history_url)
    with store.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(text("requests"))).scalar()
        versions = connection.execute(text("SELECT count(*) FROM storyfit_alembic_version"))
        assert versions.scalar() == 1
    store.close()
    assert count == 4


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"


def test_an_unusable_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="STORYFIT_DATABASE_URL"):
        History.open("not a url")
    with pytest.raises(HistoryError, match="Cannot open the history database"):
        History.open("postgresql://nobody@127.0.0.1:1/none")

"""One history database, many workspaces: every row is one team's, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.digest.delivery import recent_digest
from bot.digest.text import render_digest_text
from bot.history.engine import HistoryError
from bot.history.erasure import erase_creator, keys_with_handle
from bot.history.store import History
from bot.service import StoryfitService
from bot.settings import load_settings
from retrieval.tiers import DEFAULT_SCHEME
from tests.bot.test_history import history_url
from tests.support.history_samples import (
    brief_and_answer,
    creator,
    migrate_to,
    pick,
    recommendation,
    write_rows,
)

pytest_plugins = ("tests.support.postgres_server",)

__all__ = ["history_url"]

TEAM_A = "T0AAAAAAA"
TEAM_B = "T0BBBBBBB"
CHANNEL = "C0SAME"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def team_a(history_url: str) -> Iterator[History]:
    store = History.open(history_url, team_id=TEAM_A)
    yield store
    store.close()


@pytest.fixture()
def team_b(team_a: History) -> History:
    """Team B's view of the same database (one engine)."""
    return team_a.for_team(TEAM_B)


def _ask(history: History, brief: str, *handles: str, at: datetime = MONDAY) -> int:
    request, answer = brief_and_answer(brief, [pick(handle, 8_000) for handle in handles])
    return history.record_request(
        user_id="U1",
        channel_id=CHANNEL,
        source="mention",
        request=request,
        recommendation=answer,
        at=at,
    )


def test_a_teams_briefs_and_picks_are_invisible_to_another_team(
    team_a: History, team_b: History
) -> None:
    asked = _ask(team_a, "vegan snacks", "jane")
    assert team_a.get_request(asked) is not None
    assert team_b.get_request(asked) is None
    assert team_b.recent_requests("U1") == []
    assert [stored.id for stored in team_a.recent_requests("U1")] == [asked]
    week = (MONDAY - timedelta(days=1), MONDAY + timedelta(days=1))
    assert team_b.requests_between(*week) == []
    with pytest.raises(HistoryError, match=f"No recorded request with id {asked}"):
        team_b.record_feedback(request_id=asked, user_id="U2", kind="thumbs_down")
    with pytest.raises(HistoryError, match=f"No recorded request with id {asked}"):
        team_b.update_recommendation(asked, recommendation("swapped", [pick("mallory", 9_000)]))
    team_a.record_feedback(request_id=asked, user_id="U1", kind="thumbs_up", at=MONDAY)
    assert len(team_a.feedback_between(*week)) == 1
    assert team_b.feedback_between(*week) == []
    stored = team_a.get_request(asked)
    assert stored is not None and [p.handle for p in stored.recommendation.picks] == ["jane"]


def test_roster_snapshots_are_per_team(team_a: History, team_b: History) -> None:
    team_a.record_roster_snapshot([creator("jane", 8_000)], DEFAULT_SCHEME, at=MONDAY)
    assert team_b.last_snapshot_at() is None
    assert team_b.roster_before(MONDAY + timedelta(seconds=1)) is None
    later = MONDAY + timedelta(hours=1)
    team_b.record_roster_snapshot([creator("bob", 50_000)], DEFAULT_SCHEME, at=later)
    after = later + timedelta(seconds=1)
    state_a, state_b = team_a.roster_before(after), team_b.roster_before(after)
    assert state_a is not None and state_a.followers == {"instagram:jane": 8_000}
    assert state_b is not None and state_b.followers == {"instagram:bob": 50_000}
    assert team_a.last_snapshot_at() == MONDAY
    assert team_a.team_ids() == [TEAM_A, TEAM_B]


def test_digest_subscriptions_deliveries_and_claims_are_per_team(
    team_a: History, team_b: History
) -> None:
    """Two workspaces may both have a channel with the same id: each is its own subscription."""
    team_a.subscribe(CHANNEL, created_by="UA", weekday=0, hour=9)
    assert team_b.subscription(CHANNEL) is None
    assert team_b.active_subscriptions() == []
    assert not team_b.unsubscribe(CHANNEL)
    team_b.subscribe(CHANNEL, created_by="UB", weekday=4, hour=14)
    subscription_a = team_a.subscription(CHANNEL)
    assert subscription_a is not None and subscription_a.created_by == "UA"
    assert team_b.unsubscribe(CHANNEL)
    assert [s.created_by for s in team_a.active_subscriptions()] == ["UA"]

    claim = {"claimed_by": "test", "at": MONDAY, "max_attempts": 3}
    delivery_a = team_a.claim_delivery(CHANNEL, MONDAY, **claim)
    delivery_b = team_b.claim_delivery(CHANNEL, MONDAY, **claim)
    assert delivery_a is not None and delivery_b is not None
    assert team_a.claim_delivery(CHANNEL, MONDAY, **claim) is None
    team_b.finish_delivery(delivery_a.id, status="failed", detail="another team's claim")
    assert team_a.delivery(CHANNEL, MONDAY) == delivery_a
    stale = team_b.expire_claims(MONDAY + timedelta(days=1))
    assert [expired.id for expired in stale] == [delivery_b.id]
    still = team_a.delivery(CHANNEL, MONDAY)
    assert still is not None and still.status == "claimed"

    asked = {"channel_id": CHANNEL, "requested_by": "U1", "at": MONDAY}
    assert team_a.claim_digest_request("trigger-1", **asked) is not None
    assert team_b.claim_digest_request("trigger-1", **asked) is not None
    assert team_a.claim_digest_request("trigger-1", **asked) is None


def test_a_digest_tells_only_its_own_teams_week(
    team_a: History, team_b: History, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    _ask(team_a, "Only team A asked this", "jane", at=now - timedelta(hours=1))
    _ask(team_b, "Team B's secret launch", "bob", at=now - timedelta(hours=2))
    settings = load_settings(data_dir=tmp_path)
    service_a = StoryfitService(settings, team_id=TEAM_A, history=team_a)
    service_b = StoryfitService(settings, team_id=TEAM_B, history=team_b)
    digest_a = recent_digest(service_a, CHANNEL, now)
    digest_b = recent_digest(service_b, CHANNEL, now)
    assert (digest_a.briefs, digest_b.briefs) == (1, 1)
    assert [creator.handle for creator in digest_a.top_creators] == ["jane"]
    assert [creator.handle for creator in digest_b.top_creators] == ["bob"]
    assert "secret" not in render_digest_text(digest_a).lower()


def test_erasing_a_creator_in_one_team_leaves_another_teams_creator_of_that_handle(
    team_a: History, team_b: History
) -> None:
    in_a, in_b = _ask(team_a, "Like @jane", "jane"), _ask(team_b, "Like @jane", "jane")
    for history in (team_a, team_b):
        history.record_roster_snapshot([creator("jane", 8_000)], DEFAULT_SCHEME, at=MONDAY)
    team_b.record_feedback(
        request_id=in_b, user_id="U1", kind="thumbs_up", creator_key="instagram:jane"
    )
    erased = erase_creator(team_a, "instagram:jane", "jane")
    assert (erased.picks, erased.snapshot_entries) == (1, 1)
    assert keys_with_handle(team_a, "jane") == set()
    assert keys_with_handle(team_b, "jane") == {"instagram:jane"}
    kept = team_b.get_request(in_b)
    assert kept is not None and kept.request.brief == "Like @jane"
    assert [p.handle for p in kept.recommendation.picks] == ["jane"]
    gone = team_a.get_request(in_a)
    assert gone is not None and gone.recommendation.picks == []
    snapshot_b = team_b.roster_before(MONDAY + timedelta(seconds=1))
    assert snapshot_b is not None and snapshot_b.followers == {"instagram:jane": 8_000}


def test_a_database_from_before_teams_keeps_its_rows_in_the_single_workspace(
    history_url: str,
) -> None:
    migrate_to(history_url, "0003")
    request, answer = brief_and_answer("Old brief naming @jane", [pick("jane", 8_000)])
    [request_id] = write_rows(
        history_url,
        "requests",
        [
            {
                "user_id": "U1",
                "channel_id": CHANNEL,
                "source": "mention",
                "created_at": MONDAY,
                "brief": request.brief,
                "objective": answer.objective,
                "filters": answer.filters.model_dump(mode="json"),
                "request": request.model_dump(mode="json"),
                "recommendation": answer.model_dump(mode="json"),
            }
        ],
    )
    pick_row = {"request_id": request_id, "creator_key": "instagram:jane", "tier": "micro"}
    write_rows(history_url, "picks", [{**pick_row, "role": "action", "rank": 0, "score": 0.5}])
    subscribed = {"channel_id": CHANNEL, "created_by": "U1", "active": True}
    write_rows(history_url, "digest_subscriptions", [{**subscribed, "subscribed_at": MONDAY}])
    claimed = {"channel_id": CHANNEL, "period_start": MONDAY, "claimed_at": MONDAY}
    write_rows(
        history_url,
        "digest_deliveries",
        [{**claimed, "claimed_by": "old", "status": "posted", "attempts": 1}],
    )

    single = History.open(history_url)
    try:
        stored = single.get_request(request_id)
        assert stored is not None and stored.request.brief == "Old brief naming @jane"
        assert keys_with_handle(single, "jane") == {"instagram:jane"}
        assert [s.channel_id for s in single.active_subscriptions()] == [CHANNEL]
        delivered = single.delivery(CHANNEL, MONDAY)
        assert delivered is not None and delivered.status == "posted"
        team = single.for_team(TEAM_A)
        assert team.get_request(request_id) is None and team.active_subscriptions() == []
        assert single.team_ids() == []
        with single.engine.connect() as connection:
            teams = connection.execute(text("SELECT DISTINCT team_id FROM requests")).scalars()
            assert list(teams) == [""]
    finally:
        single.close()

"""Composing the digest (briefs, themes, picks, mix, feedback, roster changes) and its schedule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.digest.chart import render_tier_chart
from bot.digest.compose import Digest, brief_themes, compose_digest
from bot.digest.schedule import (
    ScheduleError,
    due_period,
    parse_hour,
    parse_schedule_words,
    parse_weekday,
    schedule_for,
)
from bot.digest.text import render_digest_text
from bot.history.store import DigestSubscription, History
from bot.service import StoryfitService
from bot.settings import load_settings
from retrieval.tiers import DEFAULT_SCHEME
from tests.support.digest_fixtures import (
    CHANNEL,
    RUN,
    SUBSCRIBED,
    WEEK_START,
    record_roster_weeks,
    record_week,
)

UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture()
def history(tmp_path: Path) -> Iterator[History]:
    store = History.open(f"sqlite:///{tmp_path / 'history.sqlite3'}")
    yield store
    store.close()


def week(history: History, channel: str | None = CHANNEL) -> Digest:
    return compose_digest(
        history, DEFAULT_SCHEME, channel_id=channel, start=WEEK_START, end=RUN, zone=UTC_ZONE
    )


def test_a_channels_week_counts_its_briefs_and_who_asked(history: History) -> None:
    record_week(history)
    digest = week(history)
    assert digest.briefs == 4
    assert [(a.user_id, a.briefs) for a in digest.askers] == [("U1", 3), ("U2", 1)]
    assert week(history, channel=None).briefs == 5


def test_themes_are_what_the_weeks_briefs_share(history: History) -> None:
    record_week(history)
    themes = {theme.phrase: theme.briefs for theme in week(history).themes}
    assert themes["vegan"] == 3
    assert themes["vegan snacks"] == 2
    assert themes["parents"] == 2
    assert "running" not in themes  # one brief of four: not a theme of the week


def test_theme_phrases_beat_their_words_and_a_single_brief_shows_its_own() -> None:
    assert [t.phrase for t in brief_themes(["Sustainable swimwear for surfers"])] == [
        "sustainable swimwear",
        "surfers",
    ]
    shared = brief_themes(["trail-running gear", "Trail running for beginners", "coffee"])
    assert [(t.phrase, t.briefs) for t in shared] == [("trail running", 2)]
    assert brief_themes([]) == []


def test_the_creators_picked_most_and_the_mix(history: History) -> None:
    record_week(history)
    digest = week(history)
    top = [(c.handle, c.times) for c in digest.top_creators]
    assert top[:2] == [("bigchef", 3), ("minnie", 2)]
    assert digest.picks_by_role == {"awareness": 4, "action": 4}
    assert digest.picks_by_tier == {"micro": 4, "mid": 1, "macro": 3}
    assert digest.total_picks == 8


def test_picks_are_counted_per_day_in_the_digests_zone(history: History) -> None:
    record_week(history)
    digest = week(history)
    # Monday 09:00 to Monday 09:00 touches eight dates.
    assert [day.day.isoformat() for day in digest.days][::7] == ["2026-03-02", "2026-03-09"]
    assert digest.days[1].picks == {"macro": 1, "micro": 2, "mid": 1}
    assert sum(sum(day.picks.values()) for day in digest.days) == 8
    auckland = compose_digest(
        history,
        DEFAULT_SCHEME,
        channel_id=CHANNEL,
        start=WEEK_START,
        end=RUN,
        zone=ZoneInfo("Pacific/Auckland"),
    )
    per_day = {day.day.isoformat(): sum(day.picks.values()) for day in auckland.days}
    # 11:00 UTC is midnight in Auckland (UTC+13): each brief lands on the next date there.
    assert (per_day["2026-03-03"], per_day["2026-03-04"], per_day["2026-03-07"]) == (2, 4, 2)


def test_feedback_given_this_week_on_the_channels_briefs(history: History) -> None:
    ids = record_week(history)
    during = WEEK_START + timedelta(days=5)
    history.record_feedback(request_id=ids[0], user_id="U3", kind="thumbs_up", at=during)
    history.record_feedback(request_id=ids[1], user_id="U3", kind="thumbs_up", at=during)
    history.record_feedback(request_id=ids[1], user_id="U3", kind="swap", at=during)
    history.record_feedback(request_id=ids[2], user_id="U2", kind="export", at=during)
    history.record_feedback(request_id=ids[2], user_id="U2", kind="thumbs_down", at=RUN)
    assert week(history).feedback == {"thumbs_up": 2, "swap": 1, "export": 1}


def test_roster_changes_new_creators_tier_moves_and_leavers(history: History) -> None:
    record_roster_weeks(history)
    roster = week(history).roster
    assert [(n.key, n.tier) for n in roster.new_creators] == [("tiktok:newnina", "micro")]
    assert roster.new_count == 1 and roster.removed_count == 1
    [move] = roster.tier_moves
    assert (move.key, move.from_tier, move.to_tier) == ("instagram:minnie", "micro", "mid")
    assert (move.from_followers, move.to_followers) == (9_800, 10_400)


def test_no_snapshot_in_the_week_means_no_roster_changes(history: History) -> None:
    record_roster_weeks(history)
    later = compose_digest(
        history,
        DEFAULT_SCHEME,
        channel_id=CHANNEL,
        start=RUN + timedelta(days=7),
        end=RUN + timedelta(days=14),
        zone=UTC_ZONE,
    )
    assert not later.roster.any


def test_rising_micro_creators_grow_fastest_or_were_liked(history: History) -> None:
    record_roster_weeks(history)
    ids = record_week(history)
    digest = week(history)
    rising = [(r.key, r.growth, r.liked_picks) for r in digest.rising]
    # bakebeth grew 50%; trailtom 3%; minnie crossed into mid, so she is no longer "micro".
    assert rising == [("instagram:bakebeth", 1_500, 0), ("instagram:trailtom", 50, 0)]
    history.record_feedback(
        request_id=ids[2], user_id="U2", kind="thumbs_up", at=WEEK_START + timedelta(days=2)
    )
    liked_first = [(r.key, r.liked_picks) for r in week(history).rising]
    assert liked_first[0] == ("instagram:trailtom", 1)


def test_an_empty_week_is_a_short_friendly_digest(history: History) -> None:
    digest = week(history)
    assert digest.quiet and digest.total_picks == 0
    text = render_digest_text(digest)
    assert "A quiet week" in text
    assert len(text.splitlines()) <= 5
    assert render_tier_chart(digest) is None


def test_the_terminal_text_has_every_part(history: History) -> None:
    ids = record_week(history)
    record_roster_weeks(history)
    history.record_feedback(
        request_id=ids[0], user_id="U3", kind="thumbs_up", at=WEEK_START + timedelta(hours=5)
    )
    text = render_digest_text(week(history))
    assert text.startswith("Storyfit digest · 2–9 Mar 2026\nchannel C0DIGEST")
    assert "4 briefs from 2 people: U1 (3), U2 (1)." in text
    for part in (
        "Themes of the week",
        "  - vegan (3 briefs)",
        "Picked most",
        "  - @bigchef (instagram), macro: picked 3 times",
        "Mix suggested",
        "4 awareness picks · 4 action picks (micro 4, mid 1, macro 3)",
        "Feedback",
        "1 thumbs up",
        "Roster changes",
        "@minnie (instagram) moved micro → mid (9,800 → 10,400 followers)",
        "1 new creator: @newnina (tiktok) micro 2,000",
        "1 creator left the roster",
        "Rising micro creators worth a look",
        "@bakebeth (instagram): micro, 4,500 followers, +1,500 (+50%) since last week",
    ):
        assert part in text, part


def test_the_chart_is_a_png_of_the_weeks_picks(history: History) -> None:
    record_week(history)
    chart = render_tier_chart(week(history))
    assert chart is not None and chart.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(chart) > 5_000


def test_roster_changes_are_detected_across_two_real_imports(
    tmp_path: Path, model_dir: Path
) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        embedding_model_dir=model_dir,
        embedding="local",
        chroma_url=None,
        database_url=None,
        openai_api_key=None,
    )
    first = tmp_path / "first.csv"
    first.write_text(
        "handle,platform,followers,bio\n"
        "minnie,instagram,9800,Weeknight vegan dinners for busy parents\n"
        "bigchef,instagram,450000,Chef and cookbook author\n"
    )
    second = tmp_path / "second.csv"
    second.write_text(
        "handle,platform,followers,bio\n"
        "minnie,instagram,10400,Weeknight vegan dinners for busy parents\n"
        "newnina,tiktok,2000,Baking bread with my kids every Sunday\n"
    )
    with StoryfitService(settings) as service:
        service.import_roster(first)
        between = datetime.now(UTC)
        service.import_roster(second)
        imported_at = service.history.last_snapshot_at()
        service.import_roster(second)  # unchanged: the roster is the same, so no new snapshot
        assert service.history.last_snapshot_at() == imported_at
        digest = compose_digest(
            service.history,
            settings.tiers,
            channel_id=None,
            start=between,
            end=datetime.now(UTC) + timedelta(seconds=1),
            zone=UTC_ZONE,
        )
    assert [new.key for new in digest.roster.new_creators] == ["tiktok:newnina"]
    assert [(m.key, m.from_tier, m.to_tier) for m in digest.roster.tier_moves] == [
        ("instagram:minnie", "micro", "mid")
    ]
    assert digest.roster.removed_count == 0  # an import updates the roster; it removes no one


# -- schedules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("mon", 0), ("Monday", 0), ("tu", 1), ("thurs", 3), ("FRI.", 4), ("sundays", 6), ("x", None)],
)
def test_weekdays_are_read_loosely(text: str, expected: int | None) -> None:
    assert parse_weekday(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9", 9), ("09:00", 9), ("9am", 9), ("12am", 0), ("12pm", 12), ("2pm", 14), ("24", None)],
)
def test_hours_are_read_loosely(text: str, expected: int | None) -> None:
    assert parse_hour(text) == expected


def test_schedule_words_in_any_order_and_a_clear_error() -> None:
    wanted = parse_schedule_words(["2pm", "friday", "Europe/Berlin"])
    assert (wanted.weekday, wanted.hour, wanted.timezone) == (4, 14, "Europe/Berlin")
    with pytest.raises(ScheduleError, match="couldn't read “soon”"):
        parse_schedule_words(["soon"])


def subscription(**schedule: object) -> DigestSubscription:
    return DigestSubscription.model_validate(
        {
            "channel_id": CHANNEL,
            "created_by": "U1",
            "weekday": None,
            "hour": None,
            "cron": None,
            "timezone": None,
            "active": True,
            "subscribed_at": WEEK_START,
            **schedule,
        }
    )


def test_a_subscription_uses_its_day_and_hour_else_the_settings(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, digest_cron="30 8 * * TUE", timezone="UTC")
    assert schedule_for(subscription(), settings).cron == "30 8 * * TUE"
    custom = schedule_for(subscription(weekday=4, timezone="Europe/Berlin"), settings)
    assert (custom.cron, custom.zone.key) == ("0 9 * * FRI", "Europe/Berlin")
    assert custom.describe() == "every Friday at 09:00 (Europe/Berlin)"


def test_the_due_period_is_the_latest_run_and_covers_the_week_before(tmp_path: Path) -> None:
    schedule = schedule_for(subscription(), load_settings(data_dir=tmp_path, timezone="UTC"))
    before = due_period(schedule, RUN - timedelta(minutes=1), since=SUBSCRIBED)
    assert before is not None and before.start == WEEK_START
    period = due_period(schedule, RUN + timedelta(hours=30), since=SUBSCRIBED)
    assert period is not None
    assert (period.start, period.covers_from) == (RUN, WEEK_START)
    exactly = due_period(schedule, RUN, since=SUBSCRIBED)
    assert exactly is not None and exactly.start == RUN
    # Subscribed after this week's run: nothing is due until next week's.
    assert due_period(schedule, RUN + timedelta(hours=2), since=RUN + timedelta(hours=1)) is None


def test_the_due_period_follows_the_local_clock_across_daylight_saving(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, timezone="Europe/Berlin")
    schedule = schedule_for(subscription(), settings)
    after_switch = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 10:00 in Berlin (summer time)
    period = due_period(schedule, after_switch, since=SUBSCRIBED)
    assert period is not None
    assert period.start == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert period.covers_from == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # 09:00 CET

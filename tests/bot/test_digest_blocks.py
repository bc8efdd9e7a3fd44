"""The digest's Block Kit: one message within every Slack limit, however large the week."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.digest.blocks import CHART_NOTE, digest_message, fit_lines
from bot.digest.compose import (
    Asker,
    DayTiers,
    Digest,
    NewCreator,
    PickedCreator,
    RisingCreator,
    RosterChanges,
    Theme,
    TierMove,
)
from tests.support.block_kit_limits import block_problems

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
END = START + timedelta(days=7)


def make_digest(**changes: Any) -> Digest:
    values: dict[str, Any] = {
        "channel_id": "C0DIGEST",
        "start": START,
        "end": END,
        "timezone": "UTC",
        "tier_order": ["micro", "mid", "macro"],
        "briefs": 3,
        "askers": [Asker(user_id="U1", briefs=2), Asker(user_id=None, briefs=1)],
        "themes": [Theme(phrase="vegan snacks", briefs=2)],
        "top_creators": [
            PickedCreator(
                key="instagram:minnie",
                handle="minnie",
                platform="instagram",
                name="Minnie",
                tier="micro",
                role="action",
                times=2,
            )
        ],
        "picks_by_tier": {"micro": 4, "macro": 2},
        "picks_by_role": {"awareness": 2, "action": 4},
        "feedback": {"thumbs_up": 2, "export": 1},
        "roster": RosterChanges(compared_from=START, compared_to=START + timedelta(days=2)),
        "rising": [],
        "days": [DayTiers(day=date(2026, 3, 2 + n), picks={"micro": 1}) for n in range(7)],
    }
    values.update(changes)
    return Digest.model_validate(values)


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_a_usual_week_is_one_message_with_a_section_per_part() -> None:
    message = digest_message(make_digest(), chart_attached=True)
    assert block_problems(message.blocks) == []
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Storyfit digest · 2–9 Mar 2026", "emoji": True},
    }
    text = all_text(message.blocks)
    assert "3 briefs from 2 people: <@U1> (2), the terminal (1)." in text
    assert "<#C0DIGEST>" in text
    for part in ("*Themes of the week*", "*Picked most*", "*Mix suggested*", "*Feedback*"):
        assert part in text
    assert "2 thumbs up, 1 CSV export" in text
    assert CHART_NOTE in text
    assert message.text == "Storyfit digest · 2–9 Mar 2026: 3 briefs"


def test_a_quiet_week_is_short_and_friendly() -> None:
    quiet = make_digest(
        briefs=0,
        askers=[],
        themes=[],
        top_creators=[],
        picks_by_tier={},
        picks_by_role={},
        feedback={},
        days=[],
    )
    message = digest_message(quiet)
    assert block_problems(message.blocks) == []
    assert len(message.blocks) <= 5
    assert "A quiet week" in all_text(message.blocks)
    assert CHART_NOTE not in all_text(message.blocks)


def test_an_oversized_week_keeps_every_limit() -> None:
    huge = "x" * 5_000
    tiers = [f"tier{n}" for n in range(60)]
    digest = make_digest(
        briefs=100_000,
        askers=[Asker(user_id=f"U{n:08d}", briefs=1) for n in range(5_000)],
        themes=[Theme(phrase=f"{huge} {n}", briefs=2) for n in range(200)],
        top_creators=[
            PickedCreator(
                key=f"instagram:{huge}{n}",
                handle=f"{huge}{n}",
                platform="instagram",
                name=huge,
                tier="micro",
                role="action",
                times=5,
            )
            for n in range(50)
        ],
        tier_order=tiers,
        picks_by_tier=dict.fromkeys(tiers, 1000),
        feedback={"thumbs_up": 10**9, huge: 1},
        roster=RosterChanges(
            compared_from=START,
            compared_to=END,
            new_count=100_000,
            new_creators=[
                NewCreator(key=f"tiktok:new{n}", followers=n, tier="micro") for n in range(25)
            ],
            removed_count=3,
            tier_move_count=40_000,
            tier_moves=[
                TierMove(
                    key=f"instagram:{huge}{n}",
                    from_tier="micro",
                    to_tier="mid",
                    from_followers=9_999,
                    to_followers=10_000,
                )
                for n in range(25)
            ],
        ),
        rising=[
            RisingCreator(
                key=f"tiktok:r{n}", tier="micro", followers=9_000, growth=900, liked_picks=n
            )
            for n in range(5)
        ],
    )
    message = digest_message(digest, chart_attached=True)
    assert block_problems(message.blocks) == []
    sections = [block for block in message.blocks if block["type"] == "section"]
    assert all(len(block.get("text", {}).get("text", "")) <= 3_000 for block in sections)
    assert all(len(block.get("fields", [])) <= 10 for block in sections)
    text = all_text(message.blocks)
    assert "and 4,990 more" in text
    assert "…and 199 more" in text  # themes: the first one cut, the other 199 counted


def test_more_parts_than_a_message_holds_are_cut_with_a_note() -> None:
    tiers = [f"tier{n}" for n in range(600)]
    message = digest_message(make_digest(tier_order=tiers, picks_by_tier=dict.fromkeys(tiers, 1)))
    assert block_problems(message.blocks) == []
    assert len(message.blocks) == 50
    assert "Some parts were left out" in all_text(message.blocks)


def test_user_text_is_escaped_so_a_brief_cannot_ping_a_channel() -> None:
    digest = make_digest(themes=[Theme(phrase="<!channel> & <@U123>", briefs=2)])
    text = all_text(digest_message(digest).blocks)
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text
    assert "<!channel>" not in text


def test_fit_lines_keeps_whole_lines_and_counts_the_rest() -> None:
    lines = [f"line {n:03d} " + "y" * 80 for n in range(100)]
    text = fit_lines("Title", lines, limit=1_000)
    assert len(text) <= 1_000
    kept = text.count("\n• ")
    assert text.endswith(f"\n…and {100 - kept} more")
    assert all(f"line {n:03d}" in text for n in range(kept))
    assert fit_lines("Title", ["short"], limit=1_000) == "*Title*\n• short"
    cut = fit_lines("Title", ["z" * 5_000], limit=100)
    assert len(cut) <= 100 and cut.endswith("…")

"""Block Kit builders as pure functions: every Slack limit kept, even for oversized inputs."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from bot.blocks import home, kit, modal, replies, results
from bot.csv_export import COLUMNS, picks_csv
from bot.service import TierLookup
from retrieval.contract import Filters, Pick, Recommendation, Shortfall, Unmet
from retrieval.roster.creator import Creator
from retrieval.tiers import DEFAULT_SCHEME, parse_tier_scheme
from tests.support.block_kit_limits import block_problems, view_problems

HUGE = 10_000


def make_pick(number: int, role: str = "action", size: int = 20) -> Pick:
    return Pick(
        handle=f"creator{number}",
        platform="instagram",
        name="N" * size,
        followers=8_400 if role == "action" else 250_000,
        tier="micro" if role == "action" else "macro",
        role=role,  # type: ignore[arg-type]
        score=0.5,
        why="w" * size,
        evidence=["e" * size, "f" * size],
        engagement_rate=0.045,
        country="DE",
        language="de",
    )


def make_rec(
    awareness: int, action: int, size: int = 20, brief: str = "Slow coffee. More."
) -> Recommendation:
    picks = [make_pick(i, "awareness", size) for i in range(awareness)]
    picks += [make_pick(awareness + i, "action", size) for i in range(action)]
    return Recommendation(
        brief=brief,
        objective="balanced",
        filters=Filters(platform=["instagram"], country=["DE"]),
        picks=picks,
        shortfall=[],
        explanation="x" * size,
        explained_by="rules",
        notices=["n" * size],
    )


def all_text(message: kit.SlackMessage) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def buttons(message: kit.SlackMessage) -> list[dict[str, object]]:
    return [
        element
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_a_usual_result_is_one_message_with_picks_buttons_and_footer() -> None:
    rec = make_rec(2, 5)
    [message] = results.result_messages(rec, 7, "U0ALICE")
    assert block_problems(message.blocks) == []
    assert message.pick_keys == tuple(f"instagram:creator{i}" for i in range(7))
    assert message.blocks[0]["type"] == "header"
    assert message.blocks[0]["text"]["text"] == "Creators for “Slow coffee.”"
    text = all_text(message)
    assert "Objective: *balanced*" in text and "2 awareness + 5 action picks" in text
    assert "<@U0ALICE>" in text
    assert "*Awareness*" in text and "*Action*" in text
    assert "250K followers" in text and "8,400 followers" in text and "4.5% engagement" in text
    assert "Storyfit's rules" in text
    per_pick = [b for b in buttons(message) if b["action_id"] in (kit.MORE_LIKE_THIS, kit.SWAP)]
    assert len(per_pick) == 14
    assert {b["value"] for b in per_pick} == {f"7|instagram:creator{i}" for i in range(7)}
    footer = [b["action_id"] for b in buttons(message) if b.get("value") == "7"]
    assert footer == [kit.EXPORT_CSV, kit.THUMBS_UP, kit.THUMBS_DOWN]


def test_an_oversized_result_is_split_into_messages_that_each_keep_every_limit() -> None:
    rec = make_rec(20, 50, size=HUGE, brief="b" * HUGE)
    messages = results.result_messages(rec, 123456789, "U0ALICE")
    assert len(messages) > 1
    for message in messages:
        assert block_problems(message.blocks) == []
        assert len(message.text) <= 4000
    shown = [key for message in messages for key in message.pick_keys]
    assert shown == [f"instagram:creator{i}" for i in range(70)]
    for number, message in enumerate(messages[1:], start=2):
        assert f"part {number} of {len(messages)}" in all_text(message)
    assert kit.EXPORT_CSV in all_text(messages[-1])
    assert kit.EXPORT_CSV not in all_text(messages[0])


def test_pages_depend_on_counts_only_so_a_swap_keeps_the_layout() -> None:
    short = results.result_messages(make_rec(20, 50, size=5), 1)
    long = results.result_messages(make_rec(20, 50, size=HUGE), 1)
    assert [m.pick_keys for m in short] == [m.pick_keys for m in long]


def test_roster_text_is_escaped_so_a_bio_cannot_ping_a_channel() -> None:
    pick = make_pick(1).model_copy(
        update={"why": "Fits <!channel> & <@U0BOSS>", "evidence": ["<https://evil|click>"]}
    )
    rec = make_rec(0, 0).model_copy(update={"picks": [pick]})
    [message] = results.result_messages(rec, 1)
    text = all_text(message)
    assert "<!channel>" not in text and "<@U0BOSS>" not in text and "<https://" not in text
    assert "Fits &lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in text


def test_truncation_ends_in_an_ellipsis_and_never_in_half_an_entity() -> None:
    assert kit.truncate("abcdef", 4) == "abc…"
    assert kit.truncate("abc", 4) == "abc"
    cut = kit.truncate_mrkdwn(kit.escape("a" * 2995 + "&&&&"), 3000)
    assert len(cut) <= 3000 and cut.endswith("…")
    assert not cut.removesuffix("…").endswith(("&", "&a", "&am", "&amp"))


def test_a_pick_whose_button_value_would_be_too_long_keeps_its_card_without_buttons() -> None:
    pick = make_pick(1).model_copy(update={"handle": "h" * 2500})
    rec = make_rec(0, 0).model_copy(update={"picks": [pick]})
    [message] = results.result_messages(rec, 1)
    assert block_problems(message.blocks) == []
    assert not [b for b in buttons(message) if b["action_id"] == kit.SWAP]
    assert "hhhh" in all_text(message)


def test_without_a_request_id_there_are_no_buttons() -> None:
    [message] = results.result_messages(make_rec(1, 1), None)
    assert buttons(message) == []


def test_nothing_found_says_so_with_the_reasons_and_offers_no_export() -> None:
    rec = make_rec(0, 0).model_copy(
        update={
            "shortfall": [
                Shortfall(tier="micro", requested=5, found=0, reason="no bio mentions coffee")
            ]
        }
    )
    [message] = results.result_messages(rec, 3)
    text = all_text(message)
    assert "No creator on the roster fits this brief" in text
    assert "Only 0 of 5 micro slots have a good fit: no bio mentions coffee" in text
    assert kit.EXPORT_CSV not in text and kit.THUMBS_UP in text


def test_the_note_says_whether_rules_or_ai_wrote_the_reasons() -> None:
    llm = make_rec(1, 1).model_copy(update={"explained_by": "llm"})
    assert "worded by AI" in all_text(results.result_messages(llm, 1)[0])
    assert "(no AI)" in all_text(results.result_messages(make_rec(1, 1), 1)[0])


def test_lookalikes_are_split_like_a_result() -> None:
    seed = make_pick(0)
    messages = results.lookalike_messages(seed, [make_pick(i, size=HUGE) for i in range(60)])
    assert len(messages) > 1
    for message in messages:
        assert block_problems(message.blocks) == []
    assert "Creators like @creator0" in all_text(messages[0])
    [empty] = results.lookalike_messages(seed, [])
    assert "No other creator" in all_text(empty)


def test_tier_answers_for_a_count_and_for_a_creator_with_a_huge_bio() -> None:
    count = replies.tier_message(
        TierLookup(
            query="12.3k", followers=12_300, tier="mid", min=10_000, max=99_999, role="awareness"
        )
    )
    assert "*12,300 followers*: *mid* (10,000 to 99,999), the awareness side" in all_text(count)
    creator = Creator(
        handle="janecooks", platform="tiktok", followers=8_400, bio="b" * HUGE, name="Jane"
    )
    card = replies.tier_message(
        TierLookup(
            query="@janecooks",
            followers=8_400,
            tier="micro",
            min=0,
            max=9_999,
            role="action",
            creator=creator,
        )
    )
    assert block_problems(card.blocks) == []
    assert "@janecooks has *8,400 followers*" in all_text(card)
    assert "*Jane* · @janecooks · tiktok" in all_text(card)


def test_unknown_handles_get_did_you_mean() -> None:
    message = replies.unknown_handle_message("janecook", ["janecooks", "jane.cook"])
    assert "Did you mean" in all_text(message) and "`/tier @janecooks`" in all_text(message)
    assert "Check the spelling" in all_text(replies.unknown_handle_message("zzz", []))


def test_help_lists_subcommands_and_keeps_limits_however_many() -> None:
    message = replies.help_message([("digest now", "post the weekly digest")] * 300)
    assert block_problems(message.blocks) == []
    assert "`/storyfit digest now`: post the weekly digest" in all_text(message)
    assert "/tier 12.3k" in all_text(message)


def test_the_brief_modal_keeps_view_limits_even_with_a_huge_story() -> None:
    view = modal.brief_modal("s" * HUGE)
    assert view_problems(view) == []
    assert view["callback_id"] == kit.BRIEF_MODAL
    story = view["blocks"][0]["element"]["initial_value"]
    assert len(story) == 3000 and story.endswith("…")
    block_ids = [block["block_id"] for block in view["blocks"]]
    assert block_ids == [
        modal.STORY_INPUT,
        modal.OBJECTIVE_INPUT,
        modal.MACRO_INPUT,
        modal.MICRO_INPUT,
        modal.PLATFORMS_INPUT,
        modal.COUNTRIES_INPUT,
        modal.LANGUAGES_INPUT,
        modal.BRANDS_INPUT,
        modal.CHANNEL_INPUT,
    ]


def test_app_home_keeps_view_limits_with_many_tiers_and_briefs() -> None:
    scheme = parse_tier_scheme(",".join(f"t{i}:{i * 100}" for i in range(40)))
    recent = [home.RecentBrief("r" * HUGE, datetime(2024, 5, 1, tzinfo=UTC), 7)] * 50
    view = home.home_view({f"t{i}": i for i in range(40)}, scheme, recent)
    assert view_problems(view) == []
    assert view["type"] == "home"
    text = json.dumps(view)
    assert "*Roster:* 780 creators" in text and "2024-05-01" in text
    assert text.count("7 picks") == home.HOME_RECENT_BRIEFS


def test_app_home_says_what_is_wrong_when_the_roster_cannot_be_read() -> None:
    view = home.home_view(None, DEFAULT_SCHEME, [], "The roster is empty. Import creators first.")
    assert view_problems(view) == []
    text = json.dumps(view)
    assert "The roster is empty" in text and "None yet" in text and "micro" in text


@pytest.mark.parametrize(
    ("followers", "shown"),
    [(0, "0"), (8_400, "8,400"), (12_300, "12.3K"), (100_000, "100K"), (1_260_000, "1.3M")],
)
def test_follower_counts_are_compact_above_ten_thousand(followers: int, shown: str) -> None:
    assert kit.compact_count(followers) == shown


def test_placeholder_and_errors_are_short_and_plain() -> None:
    placeholder = results.placeholder_message("b" * HUGE)
    assert placeholder.text == "Finding creators whose story fits…"
    assert block_problems(placeholder.blocks) == []
    error = replies.error_message("<oops> " * HUGE)
    assert block_problems(error.blocks) == [] and "<oops>" not in all_text(error)


def test_csv_export_has_a_row_per_pick_and_defuses_formulas() -> None:
    pick = make_pick(1).model_copy(update={"name": "=HYPERLINK(1)", "evidence": ["+1", "x"]})
    rec = make_rec(1, 0).model_copy(update={"picks": [make_pick(0, "awareness"), pick]})
    rows = list(csv.reader(io.StringIO(picks_csv(rec))))
    assert tuple(rows[0]) == COLUMNS
    assert [row[2] for row in rows[1:]] == ["creator0", "creator1"]
    assert rows[2][4] == "'=HYPERLINK(1)" and rows[2][11] == "'+1 | x"
    assert rows[2][5] == "8400" and rows[2][6] == "0.045"


def test_an_unmet_qualifier_is_said_plainly_with_the_picks_that_carry_it() -> None:
    """The qualifier the brief stresses and how many picks carry it show above the picks."""
    rec = make_rec(1, 2)
    carrying = rec.picks[2].model_copy(update={"carries": ["for mothers"]})
    rec = rec.model_copy(
        update={
            "picks": [*rec.picks[:2], carrying],
            "unmet": [
                Unmet(qualifier="sustainable", found=0, picks=3, reason="No pick's bio <b>."),
                Unmet(qualifier="for mothers", found=1, picks=3, reason="Only 1 of 3."),
            ],
        }
    )
    [message] = results.result_messages(rec, 7)
    assert block_problems(message.blocks) == []
    text = all_text(message)
    assert ":warning: No pick's bio &lt;b&gt;." in text
    assert ":warning: Only 1 of 3. Carried by @creator2." in text
    assert text.index(":warning:") < text.index("*Awareness*")
    assert ":warning:" not in all_text(results.result_messages(make_rec(1, 2), 7)[0])

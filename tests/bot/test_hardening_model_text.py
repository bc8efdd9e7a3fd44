"""The model's free text is untrusted (issue 10): no links, no other creators' handles, no figures
off the record, no reordering of the engine's picks, and the Slack note claims only the checks
that are made. Unit checks, then through the real pipeline with the local OpenAI server."""

from __future__ import annotations

from typing import Any

import pytest

from bot.blocks import results
from bot.service import StoryfitService
from retrieval.contract import Recommendation, RecommendRequest
from retrieval.llm.explain import apply_mix_text
from retrieval.llm.model_text import FigureRecord, figure_problem, has_link
from tests.bot.test_blocks import all_text
from tests.bot.test_llm_recommend import (
    BRIEF,
    assert_same_picks,
    explanation_of,
    faithful_explanation,
)
from tests.retrieval.test_llm_explain import BIOS, SYSTEM, apply, good_answer, recommendation
from tests.support.builders import no_grades, reading
from tests.support.llm_requests import rules_answer
from tests.support.openai_mock_server import MockOpenAIServer, Reply, Responder, completion

pytest_plugins = ("tests.support.fixtures_llm",)
MICRO = 3  # slowmornings: 5,000 followers in tests.test_llm_explain


@pytest.mark.parametrize(
    "why",
    [
        "Great fit, see https://example.com/deal",
        "Great fit, details at www.slowmornings-shop.net",
        "Great fit, book via slowmornings.shop",
        "Great fit, write to hello@slowmornings.de",
        "Better than @bigbrew for this brief",
        "Pairs well with latteart.lu for this brief",
        "Her 50k followers brew at home",
        "A 12% engagement rate on pour-over posts",
    ],
    ids=["url", "www", "bare-domain", "email", "other-mention", "other-handle", "count", "rate"],
)
def test_a_why_with_a_link_another_creator_or_an_invented_figure_falls_back(why: str) -> None:
    answer = good_answer()
    answer.picks[MICRO].why = why
    result = apply(answer)
    assert result is not None and result.explained_by == "llm"
    assert result.picks[MICRO].why == "rules why for slowmornings"
    assert result.picks[MICRO + 1].why == "model why for beanhunter"


@pytest.mark.parametrize(
    "why",
    [
        "Her 5k followers brew at home",
        "5,000 followers who brew at home",
        "@slowmornings writes about slow mornings",
        "Slow mornings and pour-over suit the brief",
    ],
)
def test_a_why_with_the_records_figures_and_its_own_handle_is_used(why: str) -> None:
    answer = good_answer()
    answer.picks[MICRO].why = why
    result = apply(answer)
    assert result is not None and result.picks[MICRO].why == why


@pytest.mark.parametrize(
    "paragraph",
    [
        "Shop the beans at https://roastery.example/beans.",
        "Two roasters with 3M followers each carry the story.",
        "Follow @bestfit.bella too.",
    ],
)
def test_a_paragraph_with_a_link_a_stranger_or_an_invented_figure_discards_the_answer(
    paragraph: str,
) -> None:
    answer = good_answer()
    answer.explanation = paragraph
    assert apply(answer) is None


def test_a_paragraph_may_repeat_the_records_and_the_rules_figures() -> None:
    answer = good_answer()
    answer.explanation = (
        "@bigbrew and @roastqueen (1M followers each) carry the story; the creators under "
        "10,000 followers drive action."
    )
    assert apply(answer) is None  # "10,000" is neither a record nor written anywhere here

    rules = recommendation().model_copy(
        update={"explanation": "3 creators on the action side (micro, under 10,000 followers)"}
    )
    result = apply_mix_text(rules, BIOS, answer, SYSTEM)
    assert result is not None and result.explanation == answer.explanation


@pytest.mark.parametrize(
    ("text", "followers", "rate", "ok"),
    [
        ("12.3k followers", 12_345, None, True),
        ("12k followers", 12_345, None, True),
        ("12,345 followers", 12_345, None, True),
        ("13k followers", 12_345, None, False),
        ("1.2M fans", 1_234_567, None, True),
        ("1.3M fans", 1_234_567, None, False),
        ("4.5% engagement", 1_000, 0.045, True),
        ("5% engagement", 1_000, 0.045, True),
        ("6% engagement", 1_000, 0.045, False),
        ("a 4% rate", 1_000, None, False),
        ("2 awareness and 5 action slots", 1_000, None, True),
    ],
)
def test_figures_match_the_record_as_rounded_to_the_digits_written(
    text: str, followers: int, rate: float | None, ok: bool
) -> None:
    record = FigureRecord.of([followers], [rate], [])
    assert (figure_problem(text, record) is None) == ok


def test_links_in_every_shape_are_found_and_plain_words_are_not() -> None:
    assert all(has_link(t) for t in ("ftp://x.y", "www.x", "shop.example.com", "linktr.ee/x"))
    assert not any(has_link(t) for t in ("pour-over. Then espresso", "e.g. coffee", "v2.0 beans"))


def test_the_slack_note_claims_only_the_checks_that_are_made() -> None:
    llm_rec = recommendation().model_copy(update={"explained_by": "llm"})
    text = all_text(results.result_messages(llm_rec, 1)[0])
    assert "checked against each creator's bio" not in text
    assert (
        "each quote is in the creator's bio" in text and "reasoning itself is not verified" in text
    )


# -- through the real pipeline ---------------------------------------------------------------


def rules_then_model(
    llm: MockOpenAIServer, service: StoryfitService, explanation: Responder
) -> tuple[Recommendation, Recommendation]:
    """The rules' answer to ``BRIEF``, then the answer with ``explanation`` as the model's."""
    request = RecommendRequest(brief=BRIEF)
    rules = rules_answer(service, request)
    llm.script(completion(reading(story="")), no_grades(), explanation)
    return rules, service.recommend(request)


def reversed_explanation(body: dict[str, Any]) -> Reply:
    answer = explanation_of(faithful_explanation(body))
    answer.picks.reverse()
    return completion(answer)


def links_and_inflated_counts(body: dict[str, Any]) -> Reply:
    answer = explanation_of(faithful_explanation(body))
    answer.picks[0].why = "Shop the roast at https://beans.example and say hi."
    answer.picks[1].why = f"{answer.picks[1].handle} reaches 9.9M followers who brew daily."
    return completion(answer)


def linked_paragraph(body: dict[str, Any]) -> Reply:
    answer = explanation_of(faithful_explanation(body))
    answer.explanation += " Order the beans at www.roastery-deals.example."
    return completion(answer)


def test_the_model_cannot_reorder_the_engines_picks(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    rules, result = rules_then_model(llm, service, reversed_explanation)
    assert result.explained_by == "llm"
    assert [p.handle for p in result.picks] == [p.handle for p in rules.picks]


def test_links_and_invented_counts_keep_the_rules_text_for_those_picks(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    rules, result = rules_then_model(llm, service, links_and_inflated_counts)
    assert_same_picks(result, rules)
    assert [p.why for p in result.picks[:2]] == [p.why for p in rules.picks[:2]]
    assert all(p.why.startswith("Model:") for p in result.picks[2:])
    assert result.explained_by == "llm"


def test_a_link_in_the_paragraph_leaves_the_rules_answer(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    rules, result = rules_then_model(llm, service, linked_paragraph)
    assert result == rules

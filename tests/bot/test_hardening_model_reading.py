"""The model's reading of a brief is untrusted (issue 10): a number, country, language, platform
or exclusion counts only when the brief's text says it, and a reading that leaves nothing to
recommend gives way to the rules' reading. Never an error. Through the real pipeline with the
local OpenAI server."""

from __future__ import annotations

import logging

import pytest

from bot.service import StoryfitService
from retrieval.contract import RecommendRequest
from retrieval.llm.brief_support import BriefEvidence
from tests.bot.test_llm_recommend import (
    BRIEF,
    assert_same_picks,
    faithful_explanation,
)
from tests.support.builders import no_grades, reading
from tests.support.llm_requests import rules_answer
from tests.support.openai_mock_server import MockOpenAIServer, completion

# The sample roster in a store, and the local OpenAI server, as in the model tests.
pytest_plugins = ("tests.support.fixtures_llm",)


def test_constraints_the_brief_never_states_are_dropped_not_an_error(
    llm: MockOpenAIServer, service: StoryfitService, caplog: pytest.LogCaptureFixture
) -> None:
    request = RecommendRequest(brief=BRIEF)
    rules = rules_answer(service, request)
    invented = reading(
        macro=2,
        min_followers=99,
        max_followers=99,
        countries=["JP"],
        languages=["ja"],
        platforms=["twitch"],
        exclude=[rules.picks[0].handle],
        story="",
    )
    llm.script(completion(invented), no_grades(), faithful_explanation)
    with caplog.at_level(logging.INFO):
        result = service.recommend(request)
    assert_same_picks(result, rules)
    assert result.filters == rules.filters
    assert "the minimum 99, which the brief does not say" in caplog.text
    assert "the country 'JP', which the brief does not say" in caplog.text
    assert not any("language model" in notice for notice in result.notices)


def test_constraints_the_brief_states_are_kept(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    brief = (
        "Our beans ship to Germany. We want two big coffee voices on Instagram and people who "
        "make the morning brew a ritual, 1,000 to 50k followers."
    )
    said = reading(
        countries=["DE"], platforms=["instagram"], min_followers=1000, max_followers=50_000
    )
    llm.script(completion(said.model_copy(update={"macro": 2})), no_grades(), faithful_explanation)
    result = service.recommend(RecommendRequest(brief=brief))
    assert result.filters.country == ["DE"] and result.filters.platform == ["instagram"]
    assert (result.filters.min_followers, result.filters.max_followers) == (1000, 50_000)
    assert all(p.platform == "instagram" and 1000 <= p.followers <= 50_000 for p in result.picks)


def test_a_reading_that_leaves_nothing_to_recommend_gives_way_to_the_rules(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    brief = "Our beans ship to Iceland; we want people who make the morning brew a ritual."
    request = RecommendRequest(brief=brief)
    rules = rules_answer(service, request)
    assert rules.picks and rules.filters.country == []
    llm.script(completion(reading(countries=["IS"], story="")), no_grades(), faithful_explanation)
    result = service.recommend(request)
    assert_same_picks(result, rules)
    assert result.filters.country == []
    assert any("left no creator to recommend" in notice for notice in result.notices)


def test_counts_that_rule_out_a_requested_side_give_way_to_the_rules(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    brief = "We sold 500 bags last month to people who make the morning brew a ritual."
    request = RecommendRequest(brief=brief, macro=1)
    rules = rules_answer(service, request)
    llm.script(completion(reading(max_followers=500, story="")), no_grades(), faithful_explanation)
    result = service.recommend(request)  # 1 macro asked for, max 500 followers: no macro tier
    assert_same_picks(result, rules)


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("under 10k followers", {10_000}),
        ("10,000 to 1.5M fans", {10_000, 1_500_000}),
        ("zwischen 10.000 und 50.000", {10_000, 50_000}),
        ("a couple of macros and five micros", {2, 5}),
        ("2 macro creators, 3 micro", {2, 3}),
        ("a brand for everyone", set()),
    ],
)
def test_figures_the_brief_writes(text: str, figures: set[int]) -> None:
    assert BriefEvidence.of(text).figures == figures


def test_bounds_may_sit_one_off_the_written_figure() -> None:
    said = BriefEvidence.of("creators under 10k followers")
    assert said.says_bound(9_999) and said.says_bound(10_000) and not said.says_bound(99)


def test_countries_languages_and_platforms_by_name_alias_code_or_demonym() -> None:
    said = BriefEvidence.of(
        "German and Brazilian home cooks in the UK, Spanish-speaking, on IG or as TikTokers; "
        "not @Jane.Doe. Like us."
    )
    assert {"DE", "BR", "GB", "ES"} <= said.countries
    assert "US" not in said.countries  # "us" is a word; only "US" is the country
    assert {"de", "es", "pt"} - said.languages == {"pt"}
    assert said.names_platform("instagram") and said.names_platform("tiktok")
    assert not said.names_platform("youtube") and not said.names_platform("twitter")
    assert said.names_handle("jane.doe") and not said.names_handle("jane")

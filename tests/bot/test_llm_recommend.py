"""``StoryfitService.recommend`` with ``OPENAI_API_KEY`` set, against a local OpenAI-compatible
server, over the real engine and the bundled sample roster: whatever the model does, the user
gets a valid recommendation, and retrieval alone decides who is picked."""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import replace
from typing import Any

import pytest

from bot.service import StoryfitService
from retrieval.contract import Recommendation, RecommendRequest
from retrieval.engine.brief import read_brief
from retrieval.llm.explain import MixText, PickText
from tests.support.builders import no_grades, reading
from tests.support.llm_requests import (
    API_KEY,
    LEAKY,
    LEAKY_BIO,
    candidates,
    rules_answer,
    schema_name,
)
from tests.support.openai_mock_server import (
    MockOpenAIServer,
    Reply,
    Responder,
    completion,
    error,
    never_answers,
)

BRIEF = (
    "We're a small roastery that pays growers fairly; we want people who make the morning brew "
    "a ritual to try our beans."
)
INJECTED = "bestfit.bella"  # in the sample roster: "Ignore previous instructions and always ..."
INJECTION_BRIEF = "Home baristas who make slow pour-over coffee a morning ritual."

pytest_plugins = ("tests.support.fixtures_llm",)


def faithful_explanation(body: dict[str, Any]) -> Reply:
    """What a well-behaved model answers: every candidate, evidence cut from its own bio."""
    assert schema_name(body) == "MixText"
    return completion(
        MixText(
            picks=[
                PickText(
                    handle=c["handle"],
                    platform=c["platform"],
                    why=f"Model: {c['handle']} brews with a loyal audience.",
                    evidence=[c["bio"].strip()[:25].strip()],
                )
                for c in candidates(body)
            ],
            explanation="Model: the awareness creators bring reach; the action creators sell.",
        )
    )


def explanation_of(reply: Reply) -> MixText:
    assert isinstance(reply.body, dict)
    return MixText.model_validate_json(reply.body["choices"][0]["message"]["content"])


def assert_same_picks(result: Recommendation, rules: Recommendation) -> None:
    """Same creators in the same tiers; order may differ only inside a tier."""
    assert sorted((p.tier, p.platform, p.handle) for p in result.picks) == sorted(
        (p.tier, p.platform, p.handle) for p in rules.picks
    )
    assert [p.tier for p in result.picks] == [p.tier for p in rules.picks]
    Recommendation.model_validate(result.model_dump())


def test_a_correct_answer_is_used(llm: MockOpenAIServer, service: StoryfitService) -> None:
    request = RecommendRequest(brief=BRIEF)
    rules = rules_answer(service, request)
    llm.script(completion(reading(story="")), no_grades(), faithful_explanation)
    result = service.recommend(request)
    assert result.explained_by == "llm"
    assert result.explanation.startswith("Model:")
    assert all(pick.why.startswith("Model:") for pick in result.picks)
    assert_same_picks(result, rules)
    bios = {c["handle"]: c["bio"] for c in candidates(llm.requests[2].body)}
    for pick in result.picks:
        assert all(item in bios[pick.handle] for item in pick.evidence)
    assert [schema_name(r.body) for r in llm.requests] == ["BriefReading", "GradedSides", "MixText"]


def test_the_models_story_is_the_retrieval_query(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    request = RecommendRequest(brief=BRIEF)
    story = "Pour-over and espresso nerds who review grinders and brew gear at home."
    llm.script(completion(reading(story=story)), no_grades(), faithful_explanation)
    result = service.recommend(request)
    assert result.brief == BRIEF  # the user's brief stays the brief
    by_story = service.recommender.recommend(request, replace(read_brief(request), story=story))
    assert_same_picks(result, by_story)
    assert {p.handle for p in by_story.picks} != {
        p.handle for p in rules_answer(service, request).picks
    }


def test_flags_win_over_the_models_reading(llm: MockOpenAIServer, service: StoryfitService) -> None:
    llm.script(completion(reading(objective="awareness", macro=4, micro=1, story="coffee")))
    llm.script(no_grades(), faithful_explanation)
    result = service.recommend(RecommendRequest(brief=BRIEF, objective="conversion", micro=3))
    assert result.objective == "conversion"
    assert sum(p.role == "action" for p in result.picks) <= 3
    assert sum(p.role == "awareness" for p in result.picks) <= 4


def test_a_swap_keeps_the_constraints_the_model_read(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    brief = "Our beans ship to Germany; we want people who make the morning brew a ritual."
    request = RecommendRequest(brief=brief, macro=1, micro=3)
    assert read_brief(request).filters.country == []  # the rules see a market, not a filter
    llm.script(completion(reading(countries=["DE"], story="")), no_grades(), faithful_explanation)
    first = service.recommend(request)
    assert first.filters.country == ["DE"] and first.picks
    llm.script(no_grades())
    swapped = service.swap(request, first, first.picks[-1].key)
    assert swapped.filters.country == ["DE"]
    assert all(pick.country == "DE" for pick in swapped.picks)
    assert first.picks[-1].handle not in [pick.handle for pick in swapped.picks]


def adds_the_injected_creator(body: dict[str, Any]) -> Reply:
    answer = explanation_of(faithful_explanation(body))
    answer.picks.insert(
        0,
        PickText(handle=INJECTED, platform="tiktok", why="Fits every brief.", evidence=["Coffee"]),
    )
    return completion(answer)


@pytest.mark.parametrize(
    "explanation",
    [
        adds_the_injected_creator,
        completion('{"picks": [{"handle": "x"'),
        completion(None, refusal="I can't help with that."),
        completion(MixText(picks=[], explanation="x"), finish_reason="content_filter"),
    ],
    ids=["creator-not-a-candidate", "malformed-json", "refusal", "content-filter"],
)
def test_a_bad_explanation_leaves_the_rules_answer(
    llm: MockOpenAIServer, service: StoryfitService, explanation: Responder
) -> None:
    request = RecommendRequest(brief=BRIEF)
    rules = rules_answer(service, request)
    llm.script(completion(reading(story="")), no_grades(), explanation)
    result = service.recommend(request)
    assert result == rules
    assert result.explained_by == "rules"
    assert INJECTED not in {p.handle for p in result.picks}


def test_evidence_not_in_the_bio_falls_back_for_that_pick(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    request = RecommendRequest(brief=BRIEF)
    rules = rules_answer(service, request)

    def one_invented_quote(body: dict[str, Any]) -> Reply:
        answer = explanation_of(faithful_explanation(body))
        answer.picks[0].evidence = ["the best coffee creator in the world"]
        return completion(answer)

    llm.script(completion(reading(story="")), no_grades(), one_invented_quote)
    result = service.recommend(request)
    assert result.explained_by == "llm"
    first = next(p for p in result.picks if p.handle == rules.picks[0].handle)
    assert (first.why, first.evidence) == (rules.picks[0].why, rules.picks[0].evidence)
    assert sum(p.why.startswith("Model:") for p in result.picks) == len(rules.picks) - 1


def test_a_rate_limit_then_success_is_retried(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    llm.script(error(429, retry_after=0.1), completion(reading(story="")))
    llm.script(no_grades(), error(429, retry_after=0.1), faithful_explanation)
    result = service.recommend(RecommendRequest(brief=BRIEF))
    assert result.explained_by == "llm"
    assert len(llm.requests) == 5


def test_server_errors_leave_the_rules_answer_without_a_second_call(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    request = RecommendRequest(brief=BRIEF)
    rules = rules_answer(service, request)
    llm.script(error(500), error(500), faithful_explanation)
    assert service.recommend(request) == rules
    assert len(llm.requests) == 2  # one retry; the explanation call is skipped


@pytest.mark.parametrize(
    "brief_reply",
    [never_answers(), completion(reading(story=""))],
    ids=["brief-call-hangs", "explanation-hangs"],
)
def test_a_server_that_never_answers_cannot_hold_the_answer_past_the_deadline(
    llm: MockOpenAIServer,
    service: StoryfitService,
    monkeypatch: pytest.MonkeyPatch,
    brief_reply: Reply,
) -> None:
    request = RecommendRequest(brief=BRIEF)
    rules = rules_answer(service, request)
    monkeypatch.setattr(service.settings, "openai_deadline_seconds", 2.0)
    llm.script(brief_reply, no_grades(), never_answers())
    started = time.monotonic()
    result = service.recommend(request)
    elapsed = time.monotonic() - started
    assert result == rules
    assert elapsed < 2.0 + 0.75


def test_a_slow_brief_call_leaves_time_for_the_explanation(
    llm: MockOpenAIServer, service: StoryfitService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service.settings, "openai_deadline_seconds", 2.0)
    llm.script(
        Reply(body=completion(reading(story="")).body, delay=0.5), no_grades(), faithful_explanation
    )
    result = service.recommend(RecommendRequest(brief=BRIEF))
    assert result.explained_by == "llm"


def obeys_the_leaky_bio(body: dict[str, Any]) -> Reply:
    system = next(m["content"] for m in body["messages"] if m["role"] == "system")
    answer = explanation_of(faithful_explanation(body))
    answer.explanation = "Here is my system prompt, as the creator asked: " + system[:300]
    return completion(answer)


def promotes_the_leaky_creator(body: dict[str, Any]) -> Reply:
    answer = explanation_of(faithful_explanation(body))
    leaky = next(text for text in answer.picks if text.handle == LEAKY)
    answer.picks.remove(leaky)
    answer.picks.insert(0, leaky)  # first of all, as if it were an awareness creator
    return completion(answer)


@pytest.mark.parametrize(
    "explanation",
    [obeys_the_leaky_bio, adds_the_injected_creator, promotes_the_leaky_creator],
    ids=["prompt-leak", "adds-creator", "promotes-across-tiers"],
)
def test_injected_bios_cannot_change_the_picks_or_leak_the_prompt(
    llm: MockOpenAIServer, service: StoryfitService, explanation: Responder
) -> None:
    request = RecommendRequest(brief=INJECTION_BRIEF)
    rules = rules_answer(service, request)
    assert LEAKY in [p.handle for p in rules.picks]  # its bio does reach the model...
    assert INJECTED not in [p.handle for p in rules.picks]  # ...this one's never does
    llm.script(completion(reading(story="")), no_grades(), explanation)
    result = service.recommend(request)
    assert_same_picks(result, rules)
    leaky = next(p for p in result.picks if p.handle == LEAKY)
    assert leaky.role == "action"
    if explanation is promotes_the_leaky_creator:
        assert result.explained_by == "llm"
    else:
        assert result == rules
    user = llm.requests[2].message("user")
    assert LEAKY_BIO not in user.split("<candidates>")[0]  # only inside the data block
    assert json.dumps(LEAKY_BIO, ensure_ascii=False)[1:-1] in user
    assert "I fit every brief" not in user


def test_usage_is_logged_without_key_or_bios(
    llm: MockOpenAIServer, service: StoryfitService, caplog: pytest.LogCaptureFixture
) -> None:
    llm.script(completion(reading(story=""), prompt_tokens=500, completion_tokens=60))
    llm.script(no_grades(), faithful_explanation)
    with caplog.at_level(logging.INFO):
        result = service.recommend(RecommendRequest(brief=BRIEF))
    assert "openai usage for this request" in caplog.text
    assert "prompt_tokens=740" in caplog.text  # 500 + the grading's and explanation's 120
    assert API_KEY not in caplog.text
    bios = [c["bio"] for c in candidates(llm.requests[2].body)]
    assert result.picks and not any(bio in caplog.text for bio in bios if len(bio) > 40)


def test_without_a_key_the_model_layer_is_never_imported(
    llm: MockOpenAIServer, service: StoryfitService, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("openai", "bot.llm", "retrieval.llm.call"):
        monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError
    result = rules_answer(service, RecommendRequest(brief=BRIEF))
    assert result.explained_by == "rules" and result.picks
    assert llm.requests == []

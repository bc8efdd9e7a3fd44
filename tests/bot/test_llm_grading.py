"""The model grades the first candidates of each side against the brief (``StoryfitService`` with
``OPENAI_API_KEY`` set, against the local OpenAI-compatible server, over the real engine and the
sample roster): its grades reorder candidates within a side; a hostile or hanging model can
neither add, drop nor invent a creator, and the user still gets an answer in time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.service import StoryfitService
from retrieval.contract import Recommendation, RecommendRequest
from retrieval.llm.grade import GradedSides, GradeEntry
from tests.support.builders import reading
from tests.support.llm_requests import candidates_data, rules_answer, schema_name
from tests.support.openai_mock_server import MockOpenAIServer, Reply, completion, never_answers

pytest_plugins = ("tests.support.fixtures_llm",)

SOURDOUGH = "Our mill wants sourdough bakers who show their starter, long fermentation and crumb."
INJECTED = "bestfit.bella"  # on the sample roster, never a candidate (its bio injects)
NO_EXPLANATION = completion('{"picks": [')  # malformed: the rules' texts and order stay

Sides = dict[str, list[dict[str, Any]]]


def grading(answer: Callable[[Sides], GradedSides]) -> Callable[[dict[str, Any]], Reply]:
    """A responder for the grading call: ``answer`` gets the candidates sent, per side."""

    def respond(body: dict[str, Any]) -> Reply:
        assert schema_name(body) == "GradedSides"
        return completion(answer(candidates_data(body)))

    return respond


def entry(candidate: dict[str, Any], grade: int, quote: str | None = None) -> GradeEntry:
    return GradeEntry(
        handle=candidate["handle"],
        platform=candidate["platform"],
        grade=grade,
        quote=quote_of(candidate) if quote is None else quote,
    )


def quote_of(candidate: dict[str, Any]) -> str:
    return str(candidate["bio"]).strip()[:20].strip()


def handles(result: Recommendation, role: str) -> list[str]:
    return [pick.handle for pick in result.picks if pick.role == role]


def reversed_grades(sent: Sides) -> GradedSides:
    """Within each side and tier, the last three candidates graded 3, 2, 1; the others 0."""
    graded: dict[str, list[GradeEntry]] = {"awareness": [], "action": []}
    for side, side_candidates in sent.items():
        for tier in {c["tier"] for c in side_candidates}:
            same_tier = [c for c in side_candidates if c["tier"] == tier]
            graded[side] += [entry(c, max(0, 3 - i)) for i, c in enumerate(reversed(same_tier))]
    return GradedSides(awareness=graded["awareness"], action=graded["action"])


def graded_answer(
    llm: MockOpenAIServer, service: StoryfitService, answer: Callable[[Sides], GradedSides]
) -> tuple[Recommendation, Recommendation, Sides]:
    """The rules' answer to the sourdough brief, the answer with the model grading by
    ``answer`` (its explanation fails), and the candidates the model was sent."""
    request = RecommendRequest(brief=SOURDOUGH)
    rules = rules_answer(service, request)
    llm.script(completion(reading(story="")), grading(answer), NO_EXPLANATION)
    result = service.recommend(request)
    return rules, result, candidates_data(llm.requests[1].body)


def test_the_models_grades_reorder_each_side(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    rules, result, sent = graded_answer(llm, service, reversed_grades)
    action = [c["handle"] for c in sent["action"]]
    macro = [c for c in sent["awareness"] if c["tier"] == "macro"]  # mid-tier ones wait
    assert handles(result, "action")[:3] == action[::-1][:3] != handles(rules, "action")[:3]
    assert handles(result, "awareness") == [c["handle"] for c in macro[::-1][:2]]
    assert handles(result, "awareness") != handles(rules, "awareness")
    assert [p.role for p in result.picks] == [p.role for p in rules.picks]
    assert result.picks[0].evidence[0] == quote_of(macro[-1])
    assert result.explained_by == "rules"  # the explanation failed; the grades still count
    assert [schema_name(r.body) for r in llm.requests] == ["BriefReading", "GradedSides", "MixText"]


def hostile(sent: Sides) -> GradedSides:
    action, awareness = sent["action"], sent["awareness"]
    stranger = {"handle": "invented_baker", "platform": "tiktok", "bio": "sourdough"}
    injected = {"handle": INJECTED, "platform": "tiktok", "bio": "coffee lover"}
    return GradedSides(
        awareness=[
            entry(stranger, 3),
            entry(action[4], 3),  # a creator of the other side
            entry(awareness[0], 0, "not a phrase of this bio"),
        ],
        action=[
            entry(injected, 3),
            entry({**action[0], "handle": "nobody.here"}, 3),
            entry(action[0], 7),
            entry(action[1], -1),
            entry(action[2], 0, "the best sourdough baker alive"),
            entry(action[3], 3),
            entry(action[3], 0),  # named twice: both grades go
            entry(action[-1], 3),  # the one valid grade
        ],
    )


def test_a_hostile_model_can_neither_add_drop_nor_invent_a_creator(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    rules, result, sent = graded_answer(llm, service, hostile)
    pool = {c["handle"] for side in sent.values() for c in side}
    assert {p.handle for p in result.picks} <= pool
    assert not {"invented_baker", "nobody.here", INJECTED} & {p.handle for p in result.picks}
    assert [p.role for p in result.picks] == [p.role for p in rules.picks]
    assert handles(result, "awareness") == handles(rules, "awareness")
    assert handles(result, "action") == [
        sent["action"][-1]["handle"],
        *handles(rules, "action")[:-1],
    ]
    unquoted = next(p for p in result.picks if p.handle == sent["awareness"][0]["handle"])
    assert unquoted == next(p for p in rules.picks if p.handle == unquoted.handle)


def test_a_hanging_grader_leaves_the_local_order_in_time(
    llm: MockOpenAIServer, service: StoryfitService, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = RecommendRequest(brief=SOURDOUGH)
    rules = rules_answer(service, request)
    monkeypatch.setattr(service.settings, "openai_deadline_seconds", 2.0)
    llm.script(completion(reading(story="")), never_answers(), NO_EXPLANATION)
    started = time.monotonic()
    result = service.recommend(request)
    elapsed = time.monotonic() - started
    assert result == rules
    assert elapsed < 2.0
    assert [schema_name(r.body) for r in llm.requests] == ["BriefReading", "GradedSides"]


def test_a_swap_takes_the_models_best_graded_replacement(
    llm: MockOpenAIServer, service: StoryfitService
) -> None:
    request = RecommendRequest(brief=SOURDOUGH)
    current = rules_answer(service, request)
    removed = handles(current, "action")[0]
    llm.script(grading(reversed_grades))
    swapped = service.swap(
        request, current, next(p.key for p in current.picks if p.handle == removed)
    )
    [grade_request] = llm.requests
    sent = candidates_data(grade_request.body)
    assert list(sent) == ["action"]
    assert not {c["handle"] for c in sent["action"]} & {p.handle for p in current.picks}
    assert handles(swapped, "action") == [
        sent["action"][-1]["handle"],
        *handles(current, "action")[1:],
    ]

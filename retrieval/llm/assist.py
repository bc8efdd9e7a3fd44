"""The model-assisted recommendation: the model reads the brief, grades the first candidates of
each side against it and words the explanations.

Retrieval alone decides who is a candidate; the model's grades only order candidates within a
side. Its parts are checked (``brief.py``, ``grade.py`` with the engine's ``apply_grades``,
``explain.py``) and, whatever fails, that part of the answer is the deterministic one. A model's
reading of the brief that leaves nothing to recommend gives way to the rules' reading.
"""

from __future__ import annotations

import logging

import openai

from retrieval.contract import Recommendation, RecommendRequest
from retrieval.engine.brief import Brief, read_brief
from retrieval.engine.recommender import Recommender
from retrieval.errors import FilterError
from retrieval.llm.brief import BriefReading, merge_reading, read_brief_with_model
from retrieval.llm.call import Deadline, LlmSession
from retrieval.llm.explain import answer_key, explain_with_model
from retrieval.llm.grade import ModelGrader
from retrieval.ports import CandidateGrader, UsageListener

log = logging.getLogger(__name__)

#: The brief call may use this share of the request's deadline, the grading call this share of
#: what is left after it; the rest is the explanation's.
BRIEF_SHARE = 0.4
GRADE_SHARE = 0.4


def recommend_with_model(
    client: openai.OpenAI,
    model: str,
    deadline_seconds: float,
    request: RecommendRequest,
    recommender: Recommender,
    on_usage: UsageListener | None = None,
) -> Recommendation:
    """The engine's recommendation, with the brief read, the candidates graded and the picks
    explained by ``model``.

    One deadline covers the three calls; whatever fails, that part of the answer is the
    deterministic one. Retrieval alone decides who is a candidate. ``on_usage`` is told each
    call's tokens.
    """
    session = _session(client, model, deadline_seconds, on_usage)
    try:
        brief = read_brief(request)  # a user error is reported before any model call
        reading = read_brief_with_model(session, brief.text, session.deadline.share(BRIEF_SHARE))
        grader = ModelGrader(session, GRADE_SHARE)
        recommendation = recommend_with_reading(recommender, request, brief, reading, grader)
        keys = [pick.key for pick in recommendation.picks]
        bios = {
            answer_key(creator.platform, creator.handle): creator.bio
            for creator in recommender.index.get_many(keys).values()
        }
        return explain_with_model(session, recommendation, bios)
    finally:
        session.log_usage()


def recommend_with_reading(
    recommender: Recommender,
    request: RecommendRequest,
    rules: Brief,
    reading: BriefReading | None,
    grader: CandidateGrader | None = None,
) -> Recommendation:
    """The recommendation for ``rules`` (the rules' reading, flags included) merged with the
    model's ``reading``; when that merged reading leaves nothing to recommend (its constraints
    admit no slot or no creator), the rules' reading alone, with a notice. Never an error the
    rules' reading would not raise. ``grader`` is asked only by an answer with picks, so once."""
    if reading is None:
        return recommender.recommend(request, rules, grader)
    try:
        answer = recommender.recommend(request, merge_reading(rules, request, reading), grader)
    except FilterError as error:
        log.info("model reading discarded: %s", error)
    else:
        if answer.picks:
            return answer
        log.info("model reading discarded: no creator fits the constraints it read")
    answer = recommender.recommend(request, rules, grader)
    notice = (
        "The language model's reading of the brief left no creator to recommend, so the brief "
        "was read without it."
    )
    return answer.model_copy(update={"notices": [*answer.notices, notice]})


def swap_with_model(
    client: openai.OpenAI,
    model: str,
    deadline_seconds: float,
    request: RecommendRequest,
    current: Recommendation,
    key: str,
    recommender: Recommender,
    on_usage: UsageListener | None = None,
) -> Recommendation:
    """``recommender.swap`` with the candidates for the replacement graded by ``model`` (the
    swap's one model call, within the deadline); on any failure the local order picks it."""
    session = _session(client, model, deadline_seconds, on_usage)
    try:
        return recommender.swap(request, current, key, grader=ModelGrader(session, 1.0))
    finally:
        session.log_usage()


def _session(
    client: openai.OpenAI, model: str, deadline_seconds: float, on_usage: UsageListener | None
) -> LlmSession:
    return LlmSession(
        client=client, model=model, deadline=Deadline.after(deadline_seconds), on_usage=on_usage
    )

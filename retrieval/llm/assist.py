"""The model-assisted recommendation: the model reads the brief and words the explanations.

Retrieval alone decides who is picked; the model's parts are checked (``brief.py``,
``explain.py``) and, whatever fails, that part of the answer is the deterministic one.
"""

from __future__ import annotations

import openai

from retrieval.contract import Recommendation, RecommendRequest
from retrieval.engine.brief import read_brief
from retrieval.engine.recommender import Recommender
from retrieval.llm.brief import merge_reading, read_brief_with_model
from retrieval.llm.call import Deadline, LlmSession
from retrieval.llm.explain import creator_key, explain_with_model

#: The brief call may use this share of the request's deadline; the rest is the explanation's.
BRIEF_SHARE = 0.4


def recommend_with_model(
    client: openai.OpenAI,
    model: str,
    deadline_seconds: float,
    request: RecommendRequest,
    recommender: Recommender,
) -> Recommendation:
    """The engine's recommendation, with the brief read and the picks explained by ``model``.

    One deadline covers both calls; whatever fails, that part of the answer is the
    deterministic one. Retrieval alone decides who is picked.
    """
    session = LlmSession(client=client, model=model, deadline=Deadline.after(deadline_seconds))
    try:
        brief = read_brief(request)  # a user error is reported before any model call
        reading = read_brief_with_model(session, brief.text, session.deadline.share(BRIEF_SHARE))
        if reading is not None:
            brief = merge_reading(brief, request, reading)
        recommendation = recommender.recommend(request, brief)
        keys = [pick.key for pick in recommendation.picks]
        bios = {
            creator_key(creator.platform, creator.handle): creator.bio
            for creator in recommender.index.get_many(keys).values()
        }
        return explain_with_model(session, recommendation, bios)
    finally:
        session.log_usage()

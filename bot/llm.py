"""The OpenAI client, configured from settings in one place, and the model-assisted recommendation.

Import this module only when the model is used: ``openai`` takes seconds to import, and the
deterministic path never pays for it.
"""

from __future__ import annotations

import openai

from bot.settings import Settings
from retrieval.brief import read_brief
from retrieval.errors import StoryfitError
from retrieval.llm_brief import read_brief_with_model, recommend_with_reading
from retrieval.llm_call import Deadline, LlmSession
from retrieval.llm_explain import creator_key, explain_with_model
from retrieval.recommend import Recommender
from retrieval.recommendation import Recommendation, RecommendRequest

#: The brief call may use this share of the request's deadline; the rest is the explanation's.
BRIEF_SHARE = 0.4


def openai_client(settings: Settings) -> openai.OpenAI:
    """A client for ``OPENAI_API_KEY`` (and ``OPENAI_BASE_URL`` for compatible servers).

    Its defaults (timeout = the deadline, two retries) suit batch embedding at import time; the
    recommendation's chat calls set their own per-attempt timeout and retries within the deadline.
    """
    if settings.openai_api_key is None:
        raise StoryfitError(
            "OPENAI_API_KEY is not set, but STORYFIT_EMBEDDING=openai needs it. "
            "Set the key, or use STORYFIT_EMBEDDING=local."
        )
    return openai.OpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=settings.openai_deadline_seconds,
        max_retries=2,
    )


class ModelAssist:
    """The model's part of recommendations: it reads briefs and words explanations. Build one
    per process (it keeps the client and its connections)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = openai_client(settings)

    def recommend(self, request: RecommendRequest, recommender: Recommender) -> Recommendation:
        """The engine's recommendation, with the brief read and the picks explained by the model.

        One deadline (``STORYFIT_OPENAI_DEADLINE``) covers both calls; whatever fails, that part
        of the answer is the deterministic one. Retrieval alone decides who is picked.
        """
        session = LlmSession(
            client=self.client,
            model=self.settings.openai_model,
            deadline=Deadline.after(self.settings.openai_deadline_seconds),
        )
        try:
            brief = read_brief(request)  # a user error is reported before any model call
            reading = read_brief_with_model(
                session, brief.text, session.deadline.share(BRIEF_SHARE)
            )
            recommendation = recommend_with_reading(recommender, request, brief, reading)
            keys = [f"{pick.platform}:{pick.handle}" for pick in recommendation.picks]
            bios = {
                creator_key(creator.platform, creator.handle): creator.bio
                for creator in recommender.index.get_many(keys).values()
            }
            return explain_with_model(session, recommendation, bios)
        finally:
            session.log_usage()

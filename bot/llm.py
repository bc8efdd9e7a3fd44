"""The OpenAI client, configured from settings in one place, and the model-assisted recommendation.

Import this module only when the model is used: ``openai`` takes seconds to import, and the
deterministic path never pays for it.
"""

from __future__ import annotations

import openai

from bot.settings import Settings
from retrieval.contract import Recommendation, RecommendRequest
from retrieval.engine.recommender import Recommender
from retrieval.errors import StoryfitError
from retrieval.llm.assist import recommend_with_model, swap_with_model
from retrieval.ports import UsageListener


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
    """The model's part of recommendations: it reads briefs, grades candidates and words
    explanations. Build one per process (it keeps the client and its connections)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = openai_client(settings)

    def recommend(
        self,
        request: RecommendRequest,
        recommender: Recommender,
        on_usage: UsageListener | None = None,
    ) -> Recommendation:
        """The engine's recommendation, with the brief read, the candidates graded and the picks
        explained by the model within one deadline (``STORYFIT_OPENAI_DEADLINE``)."""
        return recommend_with_model(
            self.client,
            self.settings.openai_model,
            self.settings.openai_deadline_seconds,
            request,
            recommender,
            on_usage,
        )

    def swap(
        self,
        request: RecommendRequest,
        current: Recommendation,
        key: str,
        recommender: Recommender,
        on_usage: UsageListener | None = None,
    ) -> Recommendation:
        """``current`` with ``key`` replaced by the best graded candidate of its side."""
        return swap_with_model(
            self.client,
            self.settings.openai_model,
            self.settings.openai_deadline_seconds,
            request,
            current,
            key,
            recommender,
            on_usage,
        )

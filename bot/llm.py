"""The OpenAI client, configured from settings in one place."""

from __future__ import annotations

import openai

from bot.settings import Settings
from retrieval.errors import StoryfitError


def openai_client(settings: Settings) -> openai.OpenAI:
    """A client with deliberate timeouts and retries; requires ``OPENAI_API_KEY``."""
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

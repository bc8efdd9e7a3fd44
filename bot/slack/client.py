"""The one Slack Web API client of the app, and the check that the Slack settings are there."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry import RateLimitErrorRetryHandler, default_retry_handlers

from bot.settings import Settings

#: A 429 is waited out (``Retry-After``) up to this many times per call.
RATE_LIMIT_RETRIES = 3


class SlackSetupError(Exception):
    """The Slack settings are missing or wrong; the message names what to set."""


def api_url(settings: Settings) -> str:
    """The Web API base URL: ``STORYFIT_SLACK_API_URL`` or Slack's, ending in ``/``."""
    url = settings.slack_api_url or WebClient.BASE_URL
    return url if url.endswith("/") else url + "/"


def unreachable(settings: Settings, error: OSError) -> SlackSetupError:
    """The one-line error for a network failure on the way to Slack's Web API."""
    reason = getattr(error, "reason", None) or error
    return SlackSetupError(
        f"Slack could not be reached at {api_url(settings)} ({reason}); check the network "
        "connection (and STORYFIT_SLACK_API_URL, if set) and try again."
    )


def build_client(settings: Settings) -> WebClient:
    """The one Web API client of the app: our base URL, rate limits waited out."""
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise SlackSetupError(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your "
            "Slack app's OAuth & Permissions page."
        )
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=api_url(settings),
        retry_handlers=[
            *default_retry_handlers(),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


def digest_client(settings: Settings) -> WebClient:
    """The app's client without its connection-error retry, keeping the rate-limit one.

    Re-sending a ``chat.postMessage`` whose answer was lost could post the digest twice; a 429 is
    safe to wait out and retry, since Slack refused the first call.
    """
    client = build_client(settings)
    client.retry_handlers = [
        handler
        for handler in client.retry_handlers
        if isinstance(handler, RateLimitErrorRetryHandler)
    ]
    return client

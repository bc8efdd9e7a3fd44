"""The one Slack Web API client of the app, and the check that the Slack settings are there."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.http_retry import RateLimitErrorRetryHandler, default_retry_handlers

from bot.settings import Settings

#: A 429 is waited out (``Retry-After``) up to this many times per call.
RATE_LIMIT_RETRIES = 3


class SlackSetupError(Exception):
    """The Slack settings are missing or wrong; the message names what to set."""


Mode = Literal["http", "socket"]
MISSING_BOT_TOKEN = (
    "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your "
    "Slack app's OAuth & Permissions page."
)
MISSING_SIGNING_SECRET = (
    "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's "
    "Basic Information page (or set SLACK_APP_TOKEN to use Socket Mode instead)."
)


def _is_set(secret: SecretStr | None) -> bool:
    return secret is not None and bool(secret.get_secret_value().strip())


def slack_mode(settings: Settings) -> Mode:
    return "socket" if _is_set(settings.slack_app_token) else "http"


def check_slack_settings(settings: Settings) -> Mode:
    """The mode to run in; ``SlackSetupError`` naming the first missing variable.

    Over HTTP every request is checked against the signing secret: without one, anyone who can
    reach the port could act as Slack, so the app is never built without it.
    """
    mode = slack_mode(settings)
    if not _is_set(settings.slack_bot_token):
        raise SlackSetupError(MISSING_BOT_TOKEN)
    if mode == "http" and not _is_set(settings.slack_signing_secret):
        raise SlackSetupError(MISSING_SIGNING_SECRET)
    return mode


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
    token = settings.slack_bot_token
    if token is None or not _is_set(token):
        raise SlackSetupError(MISSING_BOT_TOKEN)
    return WebClient(
        token=token.get_secret_value(),
        base_url=api_url(settings),
        retry_handlers=[
            *default_retry_handlers(),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


def sending_once(client: WebClient) -> WebClient:
    """A copy of ``client`` without its connection-error retry, keeping the rate-limit one.

    Re-sending a ``chat.postMessage`` whose answer was lost could post the digest twice; a 429 is
    safe to wait out and retry, since Slack refused the first call.
    """
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[
            handler
            for handler in client.retry_handlers
            if isinstance(handler, RateLimitErrorRetryHandler)
        ],
    )


def digest_client(settings: Settings) -> WebClient:
    """The app's client, sending each call once (``sending_once``)."""
    return sending_once(build_client(settings))

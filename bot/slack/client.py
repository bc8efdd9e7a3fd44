"""The app's Slack Web API clients, and the check that the Slack settings are there (one
workspace with ``SLACK_BOT_TOKEN``, or many installed through OAuth)."""

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


#: What each OAuth variable is, for the line naming a missing one.
OAUTH_VARIABLES = {
    "SLACK_CLIENT_ID": "the Client ID from your Slack app's Basic Information page",
    "SLACK_CLIENT_SECRET": "the Client Secret from your Slack app's Basic Information page",
    "STORYFIT_STATE_SECRET": "any random text of 32 characters or more, kept private",
}
OAUTH_OVER_SOCKET_MODE = (
    "SLACK_APP_TOKEN is set together with SLACK_CLIENT_ID: installing Storyfit in many "
    "workspaces runs over HTTP (/slack/install); unset SLACK_APP_TOKEN."
)


def _is_set(secret: SecretStr | str | None) -> bool:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    return secret is not None and bool(secret.strip())


def slack_mode(settings: Settings) -> Mode:
    return "socket" if _is_set(settings.slack_app_token) else "http"


def _oauth_values(settings: Settings) -> dict[str, SecretStr | str | None]:
    return {
        "SLACK_CLIENT_ID": settings.slack_client_id,
        "SLACK_CLIENT_SECRET": settings.slack_client_secret,
        "STORYFIT_STATE_SECRET": settings.state_secret,
    }


def uses_oauth(settings: Settings) -> bool:
    """Whether Storyfit serves many workspaces, installed through Slack's OAuth flow.

    True as soon as one OAuth variable is set, so a half-configured set is reported rather than
    silently running in one workspace; ``SLACK_BOT_TOKEN`` is then not used.
    """
    return any(_is_set(value) for value in _oauth_values(settings).values())


def check_oauth_settings(settings: Settings) -> None:
    """``SlackSetupError`` naming the first OAuth variable that is not set."""
    for variable, value in _oauth_values(settings).items():
        if not _is_set(value):
            raise SlackSetupError(
                f"{variable} is not set: set it to {OAUTH_VARIABLES[variable]} (installing "
                "Storyfit in many workspaces needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
                "STORYFIT_STATE_SECRET; unset all three to run in one workspace with "
                "SLACK_BOT_TOKEN)."
            )


def check_slack_settings(settings: Settings) -> Mode:
    """The mode to run in; ``SlackSetupError`` naming the first missing variable.

    One workspace: ``SLACK_BOT_TOKEN``. Many workspaces (``uses_oauth``): the three OAuth
    variables instead, over HTTP. Over HTTP every request is checked against the signing secret:
    without one, anyone who can reach the port could act as Slack, so the app is never built
    without it.
    """
    mode = slack_mode(settings)
    if uses_oauth(settings):
        check_oauth_settings(settings)
        if mode == "socket":
            raise SlackSetupError(OAUTH_OVER_SOCKET_MODE)
    elif not _is_set(settings.slack_bot_token):
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


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Web API client at our base URL, rate limits waited out.

    Without a token for the app in OAuth mode: Bolt gives each request a copy of it holding that
    workspace's token.
    """
    return WebClient(
        token=token,
        base_url=api_url(settings),
        retry_handlers=[
            *default_retry_handlers(),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


def build_client(settings: Settings) -> WebClient:
    """The one Web API client of the app in one workspace, with ``SLACK_BOT_TOKEN``."""
    token = settings.slack_bot_token
    if token is None or not _is_set(token):
        raise SlackSetupError(MISSING_BOT_TOKEN)
    return web_client(settings, token.get_secret_value())


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

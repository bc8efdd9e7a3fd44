"""Who may manage Storyfit from Slack (digest subscriptions, admin-only subcommands).

``STORYFIT_ADMIN_USERS`` when it names users; otherwise the workspace's admins and owners, as
``users.info`` reports them (``is_admin``, ``is_owner``, ``is_primary_owner``). Answers are cached
per user for a few minutes, so a burst of commands costs one lookup. A lookup that fails refuses:
nobody gains rights because Slack could not be asked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.kit import escape

logger = logging.getLogger(__name__)

#: How long a user's role, once looked up, is trusted; a promotion or demotion in Slack takes
#: effect within this time.
ROLE_CACHE_SECONDS = 300.0
#: Users remembered at once; the cache starts afresh beyond this (a workspace rarely has more
#: people running admin commands within five minutes).
ROLE_CACHE_MAX = 10_000
_ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


class Admins:
    """``allows(client, user_id)``: whether a Slack user may manage Storyfit."""

    def __init__(
        self,
        configured: Sequence[str],
        *,
        ttl_seconds: float = ROLE_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._configured = frozenset(configured)
        self._ttl = ttl_seconds
        self._clock = clock
        self._roles: dict[str, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def describe(self) -> str:
        """Who the admins are, as mrkdwn for a refusal: the configured users mentioned, or the
        workspace's roles."""
        if self._configured:
            users = sorted(self._configured)
            return "one of " + ", ".join(f"<@{escape(user)}>" for user in users)
        return "a workspace admin or owner"

    def allows(self, client: WebClient, user_id: str) -> bool:
        """Listed in ``STORYFIT_ADMIN_USERS``, or (when that is empty) a workspace admin or owner.

        May call ``users.info``: use it in lazy listeners, never in an acknowledgement.
        """
        if self._configured:
            return user_id in self._configured
        now = self._clock()
        with self._lock:
            cached = self._roles.get(user_id)
        if cached is not None and now < cached[1]:
            return cached[0]
        verdict = self._look_up(client, user_id)
        if verdict is None:
            return False
        with self._lock:
            if len(self._roles) >= ROLE_CACHE_MAX:
                self._roles.clear()
            self._roles[user_id] = (verdict, now + self._ttl)
        return verdict

    @staticmethod
    def _look_up(client: WebClient, user_id: str) -> bool | None:
        """The user's admin or owner flag from ``users.info``; ``None`` when Slack did not say."""
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, OSError) as error:
            reason = error.response.get("error") if isinstance(error, SlackApiError) else error
            logger.warning("users.info failed for %s (%s): not an admin", user_id, reason)
            return None
        return any(user.get(flag) is True for flag in _ADMIN_FLAGS)

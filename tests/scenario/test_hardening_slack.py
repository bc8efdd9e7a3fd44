"""``/tier`` with a hostile count through the served app (issue 10): before the bound, ``/tier
1e999999`` built a million-digit number inside the acknowledgement (278 s holding the GIL, then
HTTP 500); now it is answered at once with one sentence, and the bot stays healthy."""

from __future__ import annotations

import pytest

from tests.support.slack_harness import (
    SlackRequests,
    slack,
    slack_mock,
    slack_server,
    slack_service,
    slack_settings,
    slack_workspaces,
)

__all__ = [
    "slack",
    "slack_mock",
    "slack_server",
    "slack_service",
    "slack_settings",
    "slack_workspaces",
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("count", ["1e999999", "9" * 5_000, "1e20"])
def test_a_huge_tier_count_is_refused_in_the_ack(slack: SlackRequests, count: str) -> None:
    reply = slack.command("/tier", count)
    assert reply.status == 200
    text = reply.json()["text"]
    assert "too large for a follower count" in text or "too long to be a follower count" in text
    assert slack.get("/healthz").status == 200
    assert "*8,500 followers*" in slack.command("/tier", "8500").json()["blocks"][0]["text"]["text"]

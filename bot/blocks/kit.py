"""Block Kit primitives: text and elements that each keep their own Slack limit, the message
type every builder returns, and the action ids the listeners register for."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.blocks import limits

if TYPE_CHECKING:
    pass


Block = dict[str, Any]
ELLIPSIS = "…"

# action_id and callback_id values the listeners register for.
MORE_LIKE_THIS = "storyfit_more_like_this"
SWAP = "storyfit_swap"
EXPORT_CSV = "storyfit_export_csv"
THUMBS_UP = "storyfit_thumbs_up"
THUMBS_DOWN = "storyfit_thumbs_down"
BRIEF_MODAL = "storyfit_brief_modal"

#: Characters of a brief shown as its gist in headers and notifications.
GIST_CHARS = 80
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")


@dataclass(frozen=True)
class SlackMessage:
    """One message to post or update: fallback text, blocks, and the creators it shows.

    ``text`` is given as plain text and escaped here, the one place every fallback text Slack
    receives passes through (Slack parses it as mrkdwn: a raw ``<!channel>`` would ping).
    """

    text: str
    blocks: list[Block]
    pick_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        fallback = truncate_mrkdwn(escape(self.text), limits.MAX_MESSAGE_TEXT)
        object.__setattr__(self, "text", fallback)


# ---------------------------------------------------------------------------------------------
# Text and element primitives: each one keeps its own limit.


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate_mrkdwn(text: str, limit: int) -> str:
    """Truncate already-escaped mrkdwn without leaving half an ``&amp;`` entity at the end."""
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: max(limit - 1, 0)])
    return cut.rstrip() + ELLIPSIS


def plain(text: str, limit: int = limits.MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = limits.MAX_SECTION_TEXT) -> dict[str, Any]:
    """A mrkdwn text object; ``text`` must already be escaped where it holds user text."""
    return {"type": "mrkdwn", "text": truncate_mrkdwn(text, limit) or " "}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, limits.MAX_HEADER_TEXT)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def fields_sections(fields: Sequence[str]) -> list[Block]:
    """Sections of at most ``MAX_SECTION_FIELDS`` fields each."""
    step = limits.MAX_SECTION_FIELDS
    return [
        {
            "type": "section",
            "fields": [mrkdwn(field, limits.MAX_FIELD_TEXT) for field in fields[i : i + step]],
        }
        for i in range(0, len(fields), step)
    ]


def context(*texts: str) -> Block:
    kept = [text for text in texts if text][: limits.MAX_CONTEXT_ELEMENTS]
    return {"type": "context", "elements": [mrkdwn(text) for text in kept or [" "]]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str | None = None, style: str | None = None
) -> dict[str, Any]:
    """A button; raises ``ValueError`` for an id or value Slack would reject (never truncated)."""
    if len(action_id) > limits.MAX_ACTION_ID:
        raise ValueError(f"action_id longer than {limits.MAX_ACTION_ID} characters")
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, limits.MAX_BUTTON_TEXT),
        "action_id": action_id,
    }
    if value is not None:
        if len(value) > limits.MAX_BUTTON_VALUE:
            raise ValueError(f"button value longer than {limits.MAX_BUTTON_VALUE} characters")
        element["value"] = value
    if style is not None:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any]) -> Block:
    return {"type": "actions", "elements": list(elements[: limits.MAX_ACTIONS_ELEMENTS])}


# ---------------------------------------------------------------------------------------------
# Formatting shared by creators and picks.


def gist(brief: str, limit: int = GIST_CHARS) -> str:
    """The brief's first sentence (or its start), on one line."""
    flat = " ".join(brief.split())
    first = re.split(r"(?<=[.!?])\s", flat, maxsplit=1)[0]
    return truncate(first, limit)


def compact_count(followers: int) -> str:
    """``8,400``, ``12.3K``, ``1.2M``: exact under 10,000, rounded above."""
    if followers < 10_000:
        return f"{followers:,}"
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if followers >= size:
            value = followers / size
            shown = f"{value:.1f}".removesuffix(".0") if value < 100 else f"{value:.0f}"
            return f"{shown}{suffix}"
    raise AssertionError("unreachable")  # pragma: no cover


def who_text(name: str | None, handle: str, platform: str) -> str:
    title = f"*{escape(name)}* · " if name else ""
    return f"{title}@{escape(handle)} · {escape(platform)}"


def facts_text(
    tier: str | None,
    followers: int,
    engagement_rate: float | None,
    country: str | None,
    language: str | None,
) -> str:
    facts = [f"*{escape(tier)}*"] if tier else []
    facts.append(f"{compact_count(followers)} followers")
    if engagement_rate is not None:
        facts.append(f"{engagement_rate * 100:.1f}% engagement")
    facts.extend(escape(code) for code in (country, language) if code)
    return " · ".join(facts)

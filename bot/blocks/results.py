"""The answer to a brief as Slack messages: picks with their buttons, the mix's head and foot,
split into messages that each stay within ``MAX_BLOCKS_PER_MESSAGE``; lookalikes; the placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.blocks import limits
from bot.blocks.kit import (
    EXPORT_CSV,
    MORE_LIKE_THIS,
    SWAP,
    THUMBS_DOWN,
    THUMBS_UP,
    Block,
    SlackMessage,
    actions,
    button,
    context,
    divider,
    escape,
    facts_text,
    gist,
    header,
    section,
    who_text,
)
from retrieval.contract import Pick, Recommendation, Unmet
from retrieval.errors import StoryfitError

if TYPE_CHECKING:
    pass


PLACEHOLDER_TEXT = "Finding creators whose story fits…"


# ---------------------------------------------------------------------------------------------
# Picks.


def pick_text(pick: Pick) -> str:
    """A pick's card: who, the facts, the reason, and the bio words that support it."""
    lines = [
        who_text(pick.name, pick.handle, pick.platform),
        facts_text(pick.tier, pick.followers, pick.engagement_rate, pick.country, pick.language)
        + f" · *{pick.fit} fit*",
    ]
    if pick.why:
        lines.append(escape(pick.why))
    lines.extend(f"> _“{escape(quote)}”_" for quote in pick.evidence)
    return "\n".join(lines)


def pick_button_value(request_id: int, key: str) -> str:
    """What a per-pick button carries: the stored request and the creator, never the result."""
    return f"{request_id}|{key}"


class StaleButtonError(StoryfitError):
    def __init__(self) -> None:
        super().__init__(
            "I can't read that button any more (it may come from an older version of me). "
            "Send the brief again for a fresh answer."
        )


_REQUEST_ID = re.compile(r"[0-9]{1,18}")


def parse_request_button_value(value: str) -> int:
    """The stored request a result-wide button (export, thumbs) carries."""
    if not _REQUEST_ID.fullmatch(value):
        raise StaleButtonError()
    return int(value)


def parse_pick_button_value(value: str) -> tuple[int, str]:
    """The stored request and the creator (``platform:handle``) a per-pick button carries."""
    request_id, _, key = value.partition("|")
    if not key:
        raise StaleButtonError()
    return parse_request_button_value(request_id), key


def _pick_blocks(pick: Pick, request_id: int | None) -> list[Block]:
    blocks = [section(pick_text(pick))]
    if request_id is None:
        return blocks
    value = pick_button_value(request_id, pick.key)
    if len(value) <= limits.MAX_BUTTON_VALUE:
        blocks.append(
            actions(
                button("More like this", MORE_LIKE_THIS, value),
                button("Swap", SWAP, value),
            )
        )
    return blocks


# ---------------------------------------------------------------------------------------------
# The result of a brief, split into messages.


_ROLE_HEADINGS = {
    "awareness": "*Awareness* · bigger creators who bring reach",
    "action": "*Action* · smaller creators whose audiences trust them and act",
}
_EXPLAINED_BY = {
    "rules": "Reasons written by Storyfit's rules from each creator's bio (no AI).",
    # Only what apply_mix_text checks: quotes, links, handles and figures, not the reasoning.
    "llm": (
        "Reasons worded by AI. Storyfit checked that each quote is in the creator's bio and that "
        "figures match the record; the AI's reasoning itself is not verified."
    ),
}


def _filters_text(rec: Recommendation) -> str:
    parts = [
        f"{label}: {', '.join(escape(value) for value in values)}"
        for label, values in (
            ("platform", rec.filters.platform),
            ("country", rec.filters.country),
            ("language", rec.filters.language),
        )
        if values
    ]
    if rec.filters.min_followers is not None:
        parts.append(f"at least {rec.filters.min_followers:,} followers")
    if rec.filters.max_followers is not None:
        parts.append(f"at most {rec.filters.max_followers:,} followers")
    return "Filters: " + "; ".join(parts) if parts else ""


def _head_blocks(rec: Recommendation, asked_by: str | None) -> list[Block]:
    awareness = sum(1 for pick in rec.picks if pick.role == "awareness")
    action = len(rec.picks) - awareness
    summary = f"Objective: *{rec.objective}* · {awareness} awareness + {action} action picks"
    asker = f"Asked by <@{asked_by}>" if asked_by else ""
    blocks = [
        header(f"Creators for “{gist(rec.brief)}”"),
        context(summary, _filters_text(rec), asker),
    ]
    if rec.unmet:
        blocks.append(context(*(_unmet_text(rec, unmet) for unmet in rec.unmet)))
    if rec.notices:
        blocks.append(context(*(f":information_source: {escape(n)}" for n in rec.notices)))
    return blocks


def _unmet_text(rec: Recommendation, unmet: Unmet) -> str:
    """A stressed qualifier no pick (or only some) carry, and which picks do."""
    carriers = ", ".join(f"@{escape(handle)}" for handle in rec.carriers(unmet))
    who = f" Carried by {carriers}." if carriers else ""
    return f":warning: {escape(unmet.reason)}{who}"


def _shortfall_text(rec: Recommendation) -> str:
    return "\n".join(
        f"Only {item.found} of {item.requested} {item.tier} slots have a good fit: "
        f"{escape(item.reason)}"
        for item in rec.shortfall
    )


def _foot_blocks(rec: Recommendation, request_id: int | None) -> list[Block]:
    blocks: list[Block] = [divider()]
    if rec.explanation:
        blocks.append(section(escape(rec.explanation)))
    blocks.append(context(_EXPLAINED_BY[rec.explained_by], _shortfall_text(rec)))
    if request_id is not None:
        value = str(request_id)
        buttons = [
            button(":+1: Useful", THUMBS_UP, value),
            button(":-1: Not useful", THUMBS_DOWN, value),
        ]
        if rec.picks:
            buttons.insert(0, button("Export CSV", EXPORT_CSV, value))
        blocks.append(actions(*buttons))
    return blocks


def _nothing_found_blocks() -> list[Block]:
    return [
        section(
            "No creator on the roster fits this brief with these filters. Try fewer filters, "
            "a wider follower range, or describe the story in other words."
        )
    ]


@dataclass(frozen=True)
class _Unit:
    """Blocks that must stay in one message (a pick and its buttons, a heading and its pick)."""

    blocks: list[Block]
    keys: tuple[str, ...] = ()


def _result_units(rec: Recommendation, request_id: int | None, asked_by: str | None) -> list[_Unit]:
    units = [_Unit(_head_blocks(rec, asked_by))]
    if not rec.picks:
        units.append(_Unit(_nothing_found_blocks()))
    for role in ("awareness", "action"):
        picks = [pick for pick in rec.picks if pick.role == role]
        for index, pick in enumerate(picks):
            blocks = _pick_blocks(pick, request_id)
            if index == 0:
                blocks = [divider(), section(_ROLE_HEADINGS[role]), *blocks]
            units.append(_Unit(blocks, (pick.key,)))
    units.append(_Unit(_foot_blocks(rec, request_id)))
    return units


def _pack(units: Sequence[_Unit], capacity: int) -> list[_Unit]:
    """Greedy packing of units into pages of at most ``capacity`` blocks, order kept."""
    pages: list[_Unit] = []
    blocks: list[Block] = []
    keys: tuple[str, ...] = ()
    for unit in units:
        if blocks and len(blocks) + len(unit.blocks) > capacity:
            pages.append(_Unit(blocks, keys))
            blocks, keys = [], ()
        blocks = blocks + unit.blocks[:capacity]
        keys = keys + unit.keys
    pages.append(_Unit(blocks, keys))
    return pages


def result_messages(
    rec: Recommendation, request_id: int | None, asked_by: str | None = None
) -> list[SlackMessage]:
    """The explained mix as one message, or several when it would exceed a message's blocks.

    ``request_id`` (the stored request) goes into the buttons; without it there are none.
    ``asked_by`` is a Slack user id, shown as a mention.
    Pages depend only on how many picks there are, so a swap re-renders the same page layout.
    Continuation pages start with a one-line label, for which every page keeps a block free.
    """
    units = _result_units(rec, request_id, asked_by)
    pages = _pack(units, limits.MAX_BLOCKS_PER_MESSAGE - 1)
    brief = gist(rec.brief)
    first_text = f"Storyfit picked {len(rec.picks)} creators for “{brief}”"
    messages = []
    for number, page in enumerate(pages, start=1):
        blocks = page.blocks
        text = first_text
        if number > 1:
            label = f"Creators for “{escape(brief)}”, part {number} of {len(pages)}"
            blocks = [context(label), *blocks]
            text = f"{first_text} (part {number} of {len(pages)})"
        messages.append(SlackMessage(text, blocks, page.keys))
    return messages


def lookalike_messages(seed: Pick, picks: Sequence[Pick]) -> list[SlackMessage]:
    """Creators like one pick, split into messages like a result."""
    title = f"Creators like @{seed.handle}"
    if not picks:
        body = f"No other creator on the roster has a bio close to @{escape(seed.handle)}'s."
        return [SlackMessage(title, [section(body)])]
    units = [
        _Unit(
            [header(title), context(f"Same tier as @{escape(seed.handle)}: *{escape(seed.tier)}*")]
        )
    ]
    units.extend(_Unit(_pick_blocks(pick, None), (pick.key,)) for pick in picks)
    pages = _pack(units, limits.MAX_BLOCKS_PER_MESSAGE)
    return [SlackMessage(title, page.blocks, page.keys) for page in pages]


def placeholder_message(brief: str) -> SlackMessage:
    return SlackMessage(
        PLACEHOLDER_TEXT,
        [
            section(f":hourglass_flowing_sand: {PLACEHOLDER_TEXT}"),
            context(f"“{escape(gist(brief))}”"),
        ],
    )

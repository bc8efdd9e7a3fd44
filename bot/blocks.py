"""Pure Block Kit builders: data in, Slack JSON out, every Slack limit kept.

Nothing here calls Slack or the service. Text from rosters and users is escaped (so a bio can never
ping a channel) and truncated with an ellipsis; a result too large for one message is split into
several, each within ``MAX_BLOCKS_PER_MESSAGE``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import slack_limits as limits
from retrieval.errors import StoryfitError
from retrieval.recommendation import OBJECTIVES, Pick, Recommendation
from retrieval.roster import Creator
from retrieval.tiers import TierScheme

if TYPE_CHECKING:
    from bot.service import TierLookup

Block = dict[str, Any]
ELLIPSIS = "…"

PLACEHOLDER_TEXT = "Finding creators whose story fits…"

# action_id and callback_id values the listeners register for.
MORE_LIKE_THIS = "storyfit_more_like_this"
SWAP = "storyfit_swap"
EXPORT_CSV = "storyfit_export_csv"
THUMBS_UP = "storyfit_thumbs_up"
THUMBS_DOWN = "storyfit_thumbs_down"
BRIEF_MODAL = "storyfit_brief_modal"

# block_id / action_id pairs of the brief modal's inputs.
STORY_INPUT = "story"
OBJECTIVE_INPUT = "objective"
MACRO_INPUT = "macro"
MICRO_INPUT = "micro"
PLATFORMS_INPUT = "platforms"
COUNTRIES_INPUT = "countries"
LANGUAGES_INPUT = "languages"
CHANNEL_INPUT = "channel"

#: Pick counts the modal accepts: the bounds ``RecommendRequest`` enforces.
MAX_MACRO = 20
MAX_MICRO = 50
#: Characters of a brief shown as its gist in headers and notifications.
GIST_CHARS = 80
#: Recent briefs listed on the App Home tab.
HOME_RECENT_BRIEFS = 5

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


@dataclass(frozen=True)
class RecentBrief:
    """A past brief as the App Home lists it."""

    brief: str
    created_at: datetime | None
    picks: int


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
# Formatting of creators and picks.


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


def _who(name: str | None, handle: str, platform: str) -> str:
    title = f"*{escape(name)}* · " if name else ""
    return f"{title}@{escape(handle)} · {escape(platform)}"


def _facts(
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


def pick_text(pick: Pick) -> str:
    """A pick's card: who, the facts, the reason, and the bio words that support it."""
    lines = [
        _who(pick.name, pick.handle, pick.platform),
        _facts(pick.tier, pick.followers, pick.engagement_rate, pick.country, pick.language),
    ]
    if pick.why:
        lines.append(escape(pick.why))
    lines.extend(f"> _“{escape(quote)}”_" for quote in pick.evidence)
    return "\n".join(lines)


def pick_key(pick: Pick) -> str:
    return f"{pick.platform}:{pick.handle}"


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
    value = pick_button_value(request_id, pick_key(pick))
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
    "llm": "Reasons worded by AI and checked against each creator's bio.",
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
    if rec.notices:
        blocks.append(context(*(f":information_source: {escape(n)}" for n in rec.notices)))
    return blocks


def _shortfall_text(rec: Recommendation) -> str:
    return "\n".join(
        f"Only {item.found} of {item.requested} {item.tier} creators fit: {escape(item.reason)}"
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
            units.append(_Unit(blocks, (pick_key(pick),)))
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
    units.extend(_Unit(_pick_blocks(pick, None), (pick_key(pick),)) for pick in picks)
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


def empty_brief_message(how_to_ask: str) -> SlackMessage:
    """No story was given; ``how_to_ask`` is the mrkdwn way to ask (``/storyfit``, a mention)."""
    text = (
        f"Tell me your brand story and I'll find creators whose own bios fit it: {how_to_ask} "
        "followed by a sentence or two about who you are, what you're launching and for whom."
        f"\nFor example: _{escape(HELP_EXAMPLE_BRIEF)}_"
    )
    return SlackMessage("Tell me your brand story", [section(text)])


def error_message(message: str) -> SlackMessage:
    """A problem told plainly; ``message`` is a user-facing sentence (escaped here)."""
    return SlackMessage(message, [section(f":warning: {escape(message)}")])


def refusal_message(summary: str, detail_mrkdwn: str) -> SlackMessage:
    """Something the user may not do: ``summary`` as the plain fallback text, ``detail_mrkdwn``
    (already escaped, may mention users) in the message."""
    return SlackMessage(summary, [section(f":lock: {detail_mrkdwn}")])


def notice_message(message: str) -> SlackMessage:
    """A short confirmation (feedback stored, file uploaded)."""
    return SlackMessage(message, [section(escape(message))])


# ---------------------------------------------------------------------------------------------
# /tier answers.


def creator_card(creator: Creator) -> list[Block]:
    lines = [
        _who(creator.name, creator.handle, creator.platform),
        _facts(None, creator.followers, creator.engagement_rate, creator.country, creator.language),
    ]
    if creator.bio:
        lines.append(f"> {escape(creator.bio)}".replace("\n", "\n> "))
    if creator.topics:
        lines.append("Topics: " + ", ".join(escape(topic) for topic in creator.topics))
    return [section("\n".join(lines))]


def tier_message(lookup: TierLookup) -> SlackMessage:
    upper = "and up" if lookup.max is None else f"to {lookup.max:,}"
    who = f"@{escape(lookup.creator.handle)} has " if lookup.creator else ""
    text = (
        f"{who}*{lookup.followers:,} followers*: *{escape(lookup.tier)}* "
        f"({lookup.min:,} {upper}), the {lookup.role} side of a mix."
    )
    blocks = [section(text)]
    if lookup.creator is not None:
        blocks.extend(creator_card(lookup.creator))
    plain_text = f"{lookup.followers:,} followers: {lookup.tier} ({lookup.role})"
    return SlackMessage(plain_text, blocks)


def unknown_handle_message(handle: str, suggestions: Sequence[str]) -> SlackMessage:
    text = f"No creator with the handle @{escape(handle)} is on the roster."
    if suggestions:
        tries = ", ".join(f"`/tier @{escape(s)}`" for s in suggestions[:5])
        text += f"\nDid you mean one of these? {tries}"
    else:
        text += "\nCheck the spelling, or give a follower count like `/tier 8500`."
    return SlackMessage(f"No creator @{handle} on the roster", [section(text)])


# ---------------------------------------------------------------------------------------------
# Help.


HELP_EXAMPLE_BRIEF = (
    "We're a small-batch coffee roaster launching a home-brewing kit; we want people who "
    "teach slow mornings and good habits, not hype."
)


def help_message(subcommands: Iterable[tuple[str, str]] = ()) -> SlackMessage:
    """How to use Storyfit; ``subcommands`` adds ``(usage, what it does)`` lines."""
    blocks = [
        header("Storyfit: creators whose story fits yours"),
        section(
            "Tell me your brand story in plain words. I'll find creators whose own bios fit it "
            "and answer with a mix: a few bigger creators for *awareness* and several micro "
            "creators (under 10,000 followers) to *drive action*, each with a reason and the "
            "words from their bio that back it up."
        ),
        section(
            "*Ask for a mix*\n"
            "• Mention me in a channel: `@Storyfit " + HELP_EXAMPLE_BRIEF + "`\n"
            "• Or DM me the story, or use `/storyfit <your story>`\n"
            "• Or pick *New brief* from the shortcuts menu for objective, counts, platforms, "
            "countries, languages and the channel to post in."
        ),
        section(
            "*Look up a tier*\n"
            "• `/tier 8500` or `/tier 12.3k`: which tier a follower count falls in\n"
            "• `/tier @janecooks`: a creator's tier and card (I suggest near misses)"
        ),
        section(
            "*On a result*\n"
            "• *More like this*: creators whose bios are close to that pick's, same tier\n"
            "• *Swap*: replace that pick with the next best, keeping the rest\n"
            "• *Export CSV*: the picks as a spreadsheet in the thread\n"
            "• :+1: / :-1: tell us whether the mix was useful"
        ),
    ]
    extra = [f"• `/storyfit {escape(usage)}`: {escape(summary)}" for usage, summary in subcommands]
    if extra:
        blocks.append(section("*More commands*\n" + "\n".join(extra)))
    return SlackMessage("How to use Storyfit", blocks)


# ---------------------------------------------------------------------------------------------
# The "New brief" modal.


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, limits.MAX_INPUT_LABEL),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, limits.MAX_INPUT_HINT)
    return block


def _text_input(placeholder: str, initial: str = "", multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": limits.MAX_INPUT_VALUE,
        "placeholder": plain(placeholder, limits.MAX_PLACEHOLDER),
    }
    if initial:
        element["initial_value"] = truncate(initial, limits.MAX_INPUT_VALUE)
    return element


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, limits.MAX_OPTION_TEXT), "value": value[: limits.MAX_OPTION_VALUE]}


def _count_input(maximum: int) -> dict[str, Any]:
    return {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": "0",
        "max_value": str(maximum),
    }


def brief_modal(initial_story: str = "") -> dict[str, Any]:
    """The "New brief" modal; its submission arrives with ``callback_id == BRIEF_MODAL``."""
    objectives = [_option(objective.capitalize(), objective) for objective in OBJECTIVES]
    balanced = objectives[OBJECTIVES.index("balanced")]
    blocks = [
        _input(
            STORY_INPUT,
            "Brand story",
            _text_input(
                "Who you are, what you're launching, and who it's for", initial_story, True
            ),
            optional=False,
        ),
        _input(
            OBJECTIVE_INPUT,
            "Objective",
            {"type": "static_select", "options": objectives, "initial_option": balanced},
            optional=False,
            hint="Awareness leans on bigger creators, conversion on micro creators.",
        ),
        _input(
            MACRO_INPUT, "Awareness picks (bigger creators)", _count_input(MAX_MACRO), optional=True
        ),
        _input(
            MICRO_INPUT, "Action picks (micro creators)", _count_input(MAX_MICRO), optional=True
        ),
        _input(
            PLATFORMS_INPUT,
            "Platforms",
            _text_input("instagram, tiktok"),
            optional=True,
            hint="Comma-separated; leave empty for any platform.",
        ),
        _input(
            COUNTRIES_INPUT,
            "Countries",
            _text_input("US, DE"),
            optional=True,
            hint="Two-letter country codes, comma-separated.",
        ),
        _input(
            LANGUAGES_INPUT,
            "Languages",
            _text_input("en, es"),
            optional=True,
            hint="Two-letter language codes, comma-separated.",
        ),
        _input(
            CHANNEL_INPUT,
            "Post the result in",
            {
                "type": "conversations_select",
                "default_to_current_conversation": True,
                "filter": {"include": ["public", "private", "im"], "exclude_bot_users": True},
            },
            optional=False,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": BRIEF_MODAL,
        "title": plain("New brief", limits.MAX_VIEW_TITLE),
        "submit": plain("Find creators", limits.MAX_VIEW_BUTTON_TEXT),
        "close": plain("Cancel", limits.MAX_VIEW_BUTTON_TEXT),
        "blocks": blocks[: limits.MAX_BLOCKS_PER_VIEW],
    }


# ---------------------------------------------------------------------------------------------
# App Home.


def home_view(
    tier_counts: dict[str, int] | None,
    scheme: TierScheme,
    recent: Sequence[RecentBrief],
    problem: str | None = None,
) -> dict[str, Any]:
    """The App Home tab: roster by tier, the scheme in force, recent briefs, how to use it.

    ``tier_counts`` is ``None`` when the roster could not be read; ``problem`` says what went wrong.
    """
    blocks: list[Block] = [header("Storyfit")]
    if problem or tier_counts is None:
        blocks.append(section(f":warning: {escape(problem or 'The roster is not available.')}"))
    if tier_counts is not None:
        total = sum(tier_counts.values())
        blocks.append(section(f"*Roster:* {total:,} creators"))
        blocks.extend(
            fields_sections(
                [
                    f"*{escape(tier.name)}* ({tier.bounds_text()}, {tier.role})\n"
                    f"{tier_counts.get(tier.name, 0):,} creators"
                    for tier in scheme.tiers
                ]
            )
        )
    blocks.append(
        context(f"Tier scheme in force: *{escape(scheme.name)}*: {escape(scheme.describe())}")
    )
    blocks.append(divider())
    blocks.append(section("*Your recent briefs*"))
    if not recent:
        blocks.append(context("None yet. Mention me with a brand story to get your first mix."))
    for item in recent[:HOME_RECENT_BRIEFS]:
        when = item.created_at.strftime("%Y-%m-%d %H:%M") if item.created_at else ""
        blocks.append(context(f"“{escape(gist(item.brief, 200))}”", f"{item.picks} picks", when))
    blocks.append(divider())
    blocks.extend(help_message().blocks[1:])
    return {"type": "home", "blocks": blocks[: limits.MAX_BLOCKS_PER_VIEW]}

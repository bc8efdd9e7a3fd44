"""Short replies: the empty-brief prompt, errors and notices, ``/tier`` answers, and help."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.blocks.kit import (
    Block,
    SlackMessage,
    escape,
    facts_text,
    header,
    section,
    who_text,
)
from retrieval.roster.creator import Creator

if TYPE_CHECKING:
    from bot.service import TierLookup


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
        who_text(creator.name, creator.handle, creator.platform),
        facts_text(
            None, creator.followers, creator.engagement_rate, creator.country, creator.language
        ),
    ]
    if creator.kind == "brand":
        lines.append("Brand account: picked only when brand accounts are asked for.")
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
    fallback = f"No creator @{handle} on the roster"
    return SlackMessage(fallback, [section(text)])


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

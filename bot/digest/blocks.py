"""Block Kit for the digest: pure functions from a ``Digest`` to one message within Slack's limits.

Each part of the digest is one section; a part too long for a section keeps the lines that fit
and says how many were left out. The message never exceeds ``MAX_BLOCKS_PER_MESSAGE``.
"""

from __future__ import annotations

from bot.blocks import limits
from bot.blocks.kit import (
    Block,
    SlackMessage,
    context,
    divider,
    escape,
    fields_sections,
    header,
    section,
    truncate_mrkdwn,
)
from bot.digest.compose import Digest
from bot.digest.text import DigestSection, digest_sections, digest_title, plural, summary_line

CHART_NOTE = "The chart of picks by tier per day is in the thread."


def mention(user_id: str | None) -> str:
    """A Slack mention for a user id; briefs from the terminal have none."""
    return f"<@{escape(user_id)}>" if user_id else "the terminal"


def fit_lines(title: str, lines: list[str], limit: int = limits.MAX_SECTION_TEXT) -> str:
    """``*title*`` and bulleted ``lines`` (escaped mrkdwn) in at most ``limit`` characters.

    Whole lines are kept while they fit, leaving room for a closing "…and N more" that counts the
    rest; a first line longer than the whole budget is cut with an ellipsis.
    """
    text = f"*{escape(title)}*"
    for number, line in enumerate(lines):
        left = len(lines) - number - 1
        closing = f"\n…and {left:,} more" if left else ""
        bullet = f"\n• {line}"
        if len(text) + len(bullet) + len(closing) <= limit:
            text += bullet
            continue
        if number == 0:
            return text + truncate_mrkdwn(bullet, limit - len(text) - len(closing)) + closing
        return text + f"\n…and {left + 1:,} more"
    return text


def _part_block(part: DigestSection) -> Block:
    return section(fit_lines(part.title, part.lines))


def _mix_fields(digest: Digest) -> list[Block]:
    fields = [
        f"*{escape(tier)}*\n{plural(count, 'pick')}" for tier, count in digest.picks_by_tier.items()
    ]
    return fields_sections(fields)


def digest_message(digest: Digest, *, chart_attached: bool = False) -> SlackMessage:
    """The digest as one message: header, summary, one section per part, a closing context."""
    title = digest_title(digest)
    where = f"<#{escape(digest.channel_id)}>" if digest.channel_id else "all channels"
    blocks: list[Block] = [
        header(title),
        context(f"{where} · times in {escape(digest.timezone)}"),
        section(summary_line(digest, mention)),
    ]
    parts = digest_sections(digest, escape, mention)
    for part in parts:
        blocks.append(_part_block(part))
        if part.title == "Mix suggested":
            blocks.extend(_mix_fields(digest))
    footer = [divider(), context(CHART_NOTE if chart_attached else "Storyfit weekly digest")]
    room = limits.MAX_BLOCKS_PER_MESSAGE - len(footer)
    if len(blocks) > room:
        blocks = [*blocks[: room - 1], context("Some parts were left out to fit one message.")]
    text = f"{title}: {plural(digest.briefs, 'brief')}"
    return SlackMessage(text, [*blocks, *footer])

"""The digest's wording, shared by Slack and the terminal, and the terminal rendering itself.

``digest_sections`` turns a ``Digest`` into titled lists of lines; the Block Kit builders and
``render_digest_text`` only decide how those look (and how much of them fits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.digest.compose import Digest, RisingCreator, split_key

Escape = Callable[[str], str]
Mention = Callable[[str | None], str]

FEEDBACK_WORDS = {
    "thumbs_up": ("thumbs up", "thumbs up"),
    "thumbs_down": ("thumbs down", "thumbs down"),
    "swap": ("swap", "swaps"),
    "export": ("CSV export", "CSV exports"),
    "lookalikes": ("lookalike search", "lookalike searches"),
}


@dataclass(frozen=True)
class DigestSection:
    title: str
    lines: list[str]


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def period_label(digest: Digest) -> str:
    """``2–8 Mar 2026`` (the end is exclusive, so the last day shown is the day before it)."""
    zone = ZoneInfo(digest.timezone)
    first = digest.start.astimezone(zone)
    last = (digest.end - timedelta(microseconds=1)).astimezone(zone)
    if first.date() == last.date():
        return f"{first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def creator_label(key: str, esc: Escape) -> str:
    platform, handle = split_key(key)
    return f"@{esc(handle)} ({esc(platform)})"


def summary_line(digest: Digest, mention: Mention) -> str:
    if digest.quiet:
        return (
            "A quiet week: nobody asked Storyfit for creators. When you next plan a campaign, "
            "mention me with your brand story, or type `/storyfit` and the brief."
        )
    people = len(digest.askers)
    askers = ", ".join(f"{mention(asker.user_id)} ({asker.briefs})" for asker in digest.askers[:10])
    more = f" and {people - 10:,} more" if people > 10 else ""
    return (
        f"{plural(digest.briefs, 'brief')} from {plural(people, 'person', 'people')}: "
        f"{askers}{more}."
    )


def mix_line(digest: Digest) -> str:
    """``9 awareness picks · 14 action picks (macro 4, mid 5, micro 14)``."""
    roles = " · ".join(
        f"{plural(count, role + ' pick')}" for role, count in digest.picks_by_role.items()
    )
    tiers = ", ".join(f"{tier} {count:,}" for tier, count in digest.picks_by_tier.items())
    return f"{roles} ({tiers})"


def feedback_line(digest: Digest) -> str:
    parts = []
    for kind, count in digest.feedback.items():
        one, many = FEEDBACK_WORDS.get(kind, (kind, kind))
        parts.append(f"{count:,} {one if count == 1 else many}")
    return ", ".join(parts)


def _rising_line(creator: RisingCreator, esc: Escape) -> str:
    facts = [esc(creator.tier), f"{creator.followers:,} followers"]
    if creator.growth:
        base = max(creator.followers - creator.growth, 1)
        facts.append(f"+{creator.growth:,} ({creator.growth / base:+.0%}) since last week")
    if creator.liked_picks:
        facts.append(f"picked in {plural(creator.liked_picks, 'liked brief')}")
    return f"{creator_label(creator.key, esc)}: " + ", ".join(facts)


def _roster_lines(digest: Digest, esc: Escape) -> list[str]:
    roster = digest.roster
    lines = [
        f"{creator_label(move.key, esc)} moved {esc(move.from_tier)} → {esc(move.to_tier)} "
        f"({move.from_followers:,} → {move.to_followers:,} followers)"
        for move in roster.tier_moves
    ]
    if roster.tier_move_count > len(roster.tier_moves):
        lines.append(f"…and {plural(roster.tier_move_count - len(roster.tier_moves), 'more move')}")
    if roster.new_count:
        shown = ", ".join(
            f"{creator_label(new.key, esc)} {esc(new.tier)} {new.followers:,}"
            for new in roster.new_creators[:10]
        )
        more = f" and {roster.new_count - 10:,} more" if roster.new_count > 10 else ""
        lines.append(f"{plural(roster.new_count, 'new creator')}: {shown}{more}")
    if roster.removed_count:
        lines.append(f"{plural(roster.removed_count, 'creator')} left the roster")
    return lines


def digest_sections(digest: Digest, esc: Escape, mention: Mention) -> list[DigestSection]:
    """The digest's parts in reading order; parts with nothing to say are left out."""
    sections: list[DigestSection] = []
    if digest.themes:
        sections.append(
            DigestSection(
                "Themes of the week",
                [
                    f"{esc(theme.phrase)} ({plural(theme.briefs, 'brief')})"
                    for theme in digest.themes
                ],
            )
        )
    if digest.top_creators:
        sections.append(
            DigestSection(
                "Picked most",
                [
                    f"{creator_label(creator.key, esc)}, {esc(creator.tier)}: "
                    f"picked {plural(creator.times, 'time')}"
                    for creator in digest.top_creators
                ],
            )
        )
    if digest.total_picks:
        sections.append(DigestSection("Mix suggested", [mix_line(digest)]))
    if digest.feedback:
        sections.append(DigestSection("Feedback", [feedback_line(digest)]))
    if digest.roster.any:
        sections.append(DigestSection("Roster changes", _roster_lines(digest, esc)))
    if digest.rising:
        sections.append(
            DigestSection(
                "Rising micro creators worth a look",
                [_rising_line(creator, esc) for creator in digest.rising],
            )
        )
    return sections


def digest_title(digest: Digest) -> str:
    return f"Storyfit digest · {period_label(digest)}"


def _terminal_name(user_id: str | None) -> str:
    return user_id or "the terminal"


def _unchanged(text: str) -> str:
    return text


def render_digest_text(digest: Digest) -> str:
    """The digest for a terminal: a title, the summary, then each part as a bulleted list."""
    where = f"channel {digest.channel_id}" if digest.channel_id else "all channels"
    lines = [digest_title(digest), f"{where}, times in {digest.timezone}", ""]
    lines.append(summary_line(digest, _terminal_name))
    for section in digest_sections(digest, _unchanged, _terminal_name):
        lines.extend(["", section.title])
        lines.extend(f"  - {line}" for line in section.lines)
    return "\n".join(lines) + "\n"

"""Grounded reasons without a model: each claim points at words the bio really contains.

A pick's ``evidence`` are exact substrings of its bio: the bio is cut into segments (lines,
sentences, emoji and separators), contact lines are dropped, and the segments sharing the most
content words with the brief are quoted. When a bio shares no words with the brief (another
language, a paraphrase), the fit came from the dense similarity alone: the reason says so and
quotes the bio's segment closest to the brief in meaning (``retrieval.engine.grounding``), or,
without one, its opening self-description.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from retrieval.contract import Pick, Shortfall
from retrieval.engine.mix import SidePlan, SlotPlan
from retrieval.engine.ranking import Candidate, Query, fit_label
from retrieval.terms import stem, terms
from retrieval.tiers import TierScheme

#: Quoted bio segments per pick, and the longest quote (cut at a word boundary).
MAX_EVIDENCE = 2
MAX_QUOTE_CHARS = 140
#: Brief words named in a reason.
MAX_NAMED_WORDS = 4

# Segment boundaries: line breaks, sentence ends, separators and runs of emoji/pictographs.
_BOUNDARY = re.compile(
    r"\n+|(?<=[.!?])\s+|\s[|•·/–—]\s|\s?[|•·]\s?|"
    r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]+"
)
_LEADING = re.compile(r"^[\s\-–—:,;*#>|•·\"'()\[\]]+")
_TRAILING = re.compile(r"[\s\-–—:,;*#>|•·\"'(\[]+$")
_CONTACT = re.compile(
    r"\S+@\S+\.\w+|https?://|www\.|\.(?:com|tv|de|co|io|me|net|org)\b|linktr\.ee|"
    r"\b(?:dm|dms|e-?mail|mail|contact|inquiries|enquiries|booking|bookings|management|mgmt|"
    r"collabs?|business|biz|kontakt|anfragen|contacto|negocios|pro)\b\s*[:@📩✉]|"
    r"\b(?:link in bio|dm for|dm me|email me|for collabs?|business inquiries|kooperation)",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]{2,}")

FIT_WORDING = {"strong": "Strong fit", "good": "Good fit", "weak": "Weak fit"}

SIDE_PURPOSE = {
    "macro": "for awareness: a wide audience hears the story",
    "micro": "for action: a close audience that acts on a recommendation",
}


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str


def bio_segments(bio: str) -> list[Segment]:
    """The bio's story-bearing pieces, as exact substrings, contact lines left out."""
    segments: list[Segment] = []
    position = 0
    for boundary in [*_BOUNDARY.finditer(bio), None]:
        end = boundary.start() if boundary else len(bio)
        segment = _trimmed(bio, position, end)
        if segment is not None:
            segments.append(segment)
        position = boundary.end() if boundary else len(bio)
    return segments


def _trimmed(bio: str, start: int, end: int) -> Segment | None:
    piece = bio[start:end]
    lead = _LEADING.search(piece)
    trail = _TRAILING.search(piece)
    left = start + (lead.end() if lead else 0)
    right = start + (trail.start() if trail else len(piece))
    if right <= left:
        return None
    text = bio[left:right]
    if len(_WORDS.findall(text)) < 2 or _CONTACT.search(text):
        return None
    if len(text) > MAX_QUOTE_CHARS:
        cut = text.rfind(" ", 0, MAX_QUOTE_CHARS)
        text = text[: cut if cut > 0 else MAX_QUOTE_CHARS].rstrip(" ,;:-")
        right = left + len(text)
    return Segment(left, right, text)


def evidence(bio: str, query: Query) -> tuple[list[str], dict[str, str]]:
    """Up to ``MAX_EVIDENCE`` bio segments sharing the most of the brief's words, in bio order,
    and for each shared match key the bio's own word for it; nothing when no word is shared."""
    scored: list[tuple[int, int, Segment, frozenset[str]]] = []
    for order, segment in enumerate(bio_segments(bio)):
        shared = query.keys_in(segment.text)
        if shared:
            scored.append((len(shared), -order, segment, shared))
    best = sorted(scored, key=lambda item: (item[0], item[1]), reverse=True)[:MAX_EVIDENCE]
    best.sort(key=lambda item: -item[1])
    bio_words: dict[str, str] = {}
    for _, _, segment, shared in best:
        for term in terms(segment.text):
            key = term.stem
            if key in shared:
                bio_words.setdefault(key, term.surface)
    return [item[2].text for item in best], bio_words


def opening_segments(bio: str) -> list[str]:
    """The bio's first story-bearing segment: how the creator describes themselves."""
    return [segment.text for segment in bio_segments(bio)[:1]]


def explain_pick(
    candidate: Candidate,
    query: Query,
    plan: SidePlan,
    scheme: TierScheme,
    reference: str,
    *,
    fitting: str | None = None,
    carries: Sequence[str] = (),
) -> Pick:
    """The pick as the contract shows it, with a grounded ``why`` and its ``evidence``.

    ``reference`` names what was matched: "the brief", or "@jane's bio" for lookalikes. A
    grader's validated quote (an exact substring of the bio) comes first in ``evidence``.
    ``fitting`` is the bio's segment closest to ``reference`` in meaning, quoted when the bio
    shares no word with it; ``carries``, the brief's stressed qualifiers the bio carries.
    """
    creator = candidate.creator
    label = fit_label(candidate.fit)
    quotes, bio_words = evidence(creator.bio, query)
    if quotes:
        fit = f"{FIT_WORDING[label]}: its bio shares {_named(query, bio_words)} with {reference}."
    else:
        if candidate.quote:
            quotes, quoted = [], "the phrase judged to fit"
        elif fitting is not None:
            quotes, quoted = [fitting], "the part of the bio closest to it"
        else:
            quotes, quoted = opening_segments(creator.bio), "how the bio opens"
        fit = (
            f"{FIT_WORDING[label]}: its bio says it in other words (or another language), close "
            f"to {reference} in meaning; quoted is "
            f"{quoted}."
        )
    if candidate.quote:
        quotes = [candidate.quote, *(q for q in quotes if q != candidate.quote)][:MAX_EVIDENCE]
    tier = scheme.classify(creator.followers)
    where = f" on {creator.platform}" if creator.platform != "unknown" else ""
    reach = (
        f"A {tier.name} creator ({creator.followers:,} followers{where}) {SIDE_PURPOSE[plan.side]}."
    )
    return Pick(
        handle=creator.handle,
        platform=creator.platform,
        name=creator.name,
        followers=creator.followers,
        tier=tier.name,
        role=plan.role,
        score=round(candidate.score, 3),
        fit=label,
        why=f"{fit} {reach}",
        evidence=quotes,
        engagement_rate=creator.engagement_rate,
        country=creator.country,
        language=creator.language,
        kind=creator.kind,
        carries=list(carries),
    )


def _named(query: Query, bio_words: Mapping[str, str]) -> str:
    """The brief's words the bio shares, in the brief's order, as "a, b and c"; a word the bio
    writes another way ("bakers" for "baking") is shown with the bio's word."""
    wanted = dict(bio_words)
    quoted: list[str] = []
    for term in query.terms:
        key = term.stem
        if key in wanted:
            bio_word = wanted.pop(key)
            same = stem(bio_word) == term.stem
            quoted.append(f"“{term.surface.lower()}”" + ("" if same else f" (“{bio_word}”)"))
    quoted = quoted[:MAX_NAMED_WORDS]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def explain_mix(
    plan: SlotPlan,
    picks: Sequence[Pick],
    shortfalls: Sequence[Shortfall],
    objective_reason: str,
) -> str:
    """A paragraph on the mix: the awareness/action split, why it is so, and what is missing."""
    counts = {side.side: sum(1 for p in picks if p.role == side.role) for side in plan.sides}
    parts: list[str] = []
    macro, micro = plan.macro, plan.micro
    if counts["macro"]:
        one = counts["macro"] == 1
        parts.append(
            f"{_creators(counts['macro'])} on the awareness side ({macro.tier_names()}, "
            f"{macro.bands_text()}) {'carries' if one else 'carry'} the story to a wide audience"
        )
    if counts["micro"]:
        one = counts["micro"] == 1
        parts.append(
            f"{_creators(counts['micro'])} on the action side ({micro.tier_names()}, "
            f"{micro.bands_text()}) {'brings' if one else 'bring'} close, trusting audiences "
            "that act on a recommendation"
        )
    text = (" and ".join(parts) + ". ") if parts else "No creator fits this brief well enough. "
    text += (
        f"The {plan.objective} objective ({objective_reason}) asks for "
        f"{macro.slots} awareness and {micro.slots} action slot(s)."
    )
    for shortfall in shortfalls:
        text += (
            f" Only {shortfall.found} of {shortfall.requested} {shortfall.tier} slot(s) have a "
            f"good fit: {shortfall.reason}."
        )
    return text


def _creators(count: int) -> str:
    return f"{count} creator" + ("" if count == 1 else "s")

"""Explanations by the model for picks retrieval already chose, checked before they replace ours.

The model sees the brief and the picks (handle, tier, role, metrics, bio as delimited JSON data)
and writes each pick's ``why``, chooses its ``evidence`` and writes the mix paragraph. Nothing it
says can change who is picked or their order (the engine's ranking).

What is checked, and what a failure costs:

- The whole answer is discarded (every text stays the rules' text, ``explained_by`` stays
  ``rules``) when the call fails (timeout, 429/5xx, refusal, content filter, malformed answer),
  when the answer names a creator who is not a pick (also as an ``@handle`` in any text) or names
  a pick twice, when it repeats a sentence of the system prompt, when the mix paragraph is empty,
  too long, holds a link (URL, domain, e-mail) or a figure that is not on record, or when no pick
  passes its own checks.
- One pick's text is discarded (that pick keeps the rules' ``why`` and ``evidence``) when the
  answer leaves it out, its ``why`` is empty or too long, names another pick, holds a link or a
  figure that differs from the record, or its evidence is empty, too long, or not an exact
  substring of that creator's bio.

Figures: a follower count (``12.3k``, ``12,300 followers``) must be the record's count as
rounded to the digits written, a percentage the record's engagement rate likewise; figures the
brief or the rules' own text wrote (the tier bands) may be repeated.

``explained_by`` is ``llm`` exactly when a validated answer was used (paragraph and at least one
pick); the per-pick fallbacks are logged at info.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel

from prompts import load_prompt
from retrieval.contract import Pick, Recommendation
from retrieval.llm.call import Deadline, LlmSession, prompt_data
from retrieval.llm.model_text import FigureRecord, figure_problem, has_link

log = logging.getLogger(__name__)

PROMPT_VERSION = "v1"
MAX_WHY_CHARS = 400
MAX_EXPLANATION_CHARS = 1_200
MAX_EVIDENCE_ITEMS = 3
MAX_EVIDENCE_CHARS = 200
#: Shorter evidence ("a", "in") proves nothing.
MIN_EVIDENCE_CHARS = 3
#: A sentence of the system prompt this long that shows up in an answer is a leak.
LEAK_SENTENCE_CHARS = 30
_MENTION = re.compile(r"(?<![\w.])@([A-Za-z0-9_.]+[A-Za-z0-9_])")

AnswerKey = tuple[str, str]
"""``(platform, handle)``, lower-case, ``@`` dropped: matches the model's spelling of a pick to
the pick (``Pick.key`` is the exact ``platform:handle``)."""


class PickText(BaseModel):
    handle: str
    platform: str
    why: str
    evidence: list[str]


class MixText(BaseModel):
    """The model's answer: the structured-output schema."""

    picks: list[PickText]
    explanation: str


def answer_key(platform: str, handle: str) -> AnswerKey:
    return platform.strip().casefold(), handle.strip().lstrip("@").casefold()


def explain_with_model(
    session: LlmSession,
    recommendation: Recommendation,
    bios: Mapping[AnswerKey, str],
    deadline: Deadline | None = None,
) -> Recommendation:
    """``recommendation`` explained by the model when its answer passes the checks; else as is."""
    if not recommendation.picks:
        return recommendation
    prompt = load_prompt("explain_mix", PROMPT_VERSION).render(
        brief_json=prompt_data(recommendation.brief),
        objective=recommendation.objective,
        shortfall_json=prompt_data([s.model_dump() for s in recommendation.shortfall]),
        candidates_json=prompt_data(_candidates(recommendation.picks, bios)),
    )
    budget = 300 + 160 * len(recommendation.picks)
    answer = session.ask("explain", prompt, MixText, budget, deadline)
    if answer is None:
        return recommendation
    return apply_mix_text(recommendation, bios, answer, prompt.system) or recommendation


def apply_mix_text(
    recommendation: Recommendation,
    bios: Mapping[AnswerKey, str],
    answer: MixText,
    system_prompt: str,
) -> Recommendation | None:
    """``recommendation`` with the answer's checked texts, or ``None`` when the whole answer is
    discarded (the reason is logged)."""
    picks = {answer_key(pick.platform, pick.handle): pick for pick in recommendation.picks}
    problem = _whole_answer_problem(answer, recommendation, system_prompt)
    if problem is not None:
        log.warning("openai explanation discarded: %s; the rules' text is used", problem)
        return None
    texts = {answer_key(text.platform, text.handle): text for text in answer.picks}
    explained: list[Pick] = []
    for key, pick in picks.items():
        text = texts.get(key)
        reason = (
            "missing from the answer"
            if text is None
            else _pick_problem(text, pick, recommendation, bios.get(key, ""))
        )
        if text is None or reason is not None:
            log.info("openai explanation for @%s not used: %s", pick.handle, reason)
            explained.append(pick)
            continue
        explained.append(
            pick.model_copy(
                update={
                    "why": " ".join(text.why.split()),
                    "evidence": list(dict.fromkeys(item.strip() for item in text.evidence)),
                }
            )
        )
    if all(new is old for new, old in zip(explained, picks.values(), strict=True)):
        log.warning("openai explanation discarded: no pick passed its checks")
        return None
    return recommendation.model_copy(
        update={
            "picks": explained,  # the engine's order: the model may not rank
            "explanation": " ".join(answer.explanation.split()),
            "explained_by": "llm",
        }
    )


def _candidates(picks: Sequence[Pick], bios: Mapping[AnswerKey, str]) -> list[dict[str, object]]:
    return [
        {
            "handle": pick.handle,
            "platform": pick.platform,
            "name": pick.name,
            "tier": pick.tier,
            "role": pick.role,
            "followers": pick.followers,
            "engagement_rate": pick.engagement_rate,
            "country": pick.country,
            "language": pick.language,
            "bio": bios.get(answer_key(pick.platform, pick.handle), ""),
        }
        for pick in picks
    ]


def _whole_answer_problem(
    answer: MixText, recommendation: Recommendation, system_prompt: str
) -> str | None:
    picks = {answer_key(pick.platform, pick.handle) for pick in recommendation.picks}
    named = [answer_key(text.platform, text.handle) for text in answer.picks]
    strangers = [
        f"{platform}:@{handle}" for platform, handle in named if (platform, handle) not in picks
    ]
    if strangers:
        return f"it names creators who are not picks ({', '.join(strangers[:3])})"
    if len(set(named)) != len(named):
        return "it names a pick twice"
    handles = {handle for _, handle in picks}
    texts = [answer.explanation, *(text.why for text in answer.picks)]
    mentioned = {m.casefold() for text in texts for m in _MENTION.findall(text)} - handles
    if mentioned:
        return f"it mentions creators who are not picks (@{', @'.join(sorted(mentioned)[:3])})"
    if _leaks(system_prompt, texts):
        return "it repeats the system prompt"
    paragraph = answer.explanation.strip()
    if not paragraph or len(paragraph) > MAX_EXPLANATION_CHARS:
        return f"the mix paragraph is {'empty' if not paragraph else 'too long'}"
    if has_link(_without_handles(paragraph, handles)):
        return "the mix paragraph holds a link"
    record = FigureRecord.of(
        (pick.followers for pick in recommendation.picks),
        (pick.engagement_rate for pick in recommendation.picks),
        (recommendation.brief, recommendation.explanation),
    )
    figure = figure_problem(paragraph, record)
    return None if figure is None else f"in the mix paragraph, {figure}"


def _pick_problem(
    text: PickText, pick: Pick, recommendation: Recommendation, bio: str
) -> str | None:
    why = text.why.strip()
    if not why or len(why) > MAX_WHY_CHARS:
        return f"the why is {'empty' if not why else 'too long'}"
    others = [
        p.handle for p in recommendation.picks if p.handle.casefold() != pick.handle.casefold()
    ]
    own = _without_handles(why, [pick.handle])
    if any(_names_handle(own, handle) for handle in others) or _MENTION.search(own):
        return "the why names another creator"
    if has_link(own):
        return "the why holds a link"
    record = FigureRecord.of(  # the rules' texts state the record and the tier bands
        [pick.followers],
        [pick.engagement_rate],
        (recommendation.brief, pick.why, recommendation.explanation),
    )
    figure = figure_problem(why, record)
    if figure is not None:
        return f"in the why, {figure}"
    return _evidence_problem(text, bio)


def _evidence_problem(text: PickText, bio: str) -> str | None:
    evidence = [item.strip() for item in text.evidence]
    if not evidence or len(evidence) > MAX_EVIDENCE_ITEMS:
        return f"{len(evidence)} evidence items (1 to {MAX_EVIDENCE_ITEMS} are allowed)"
    for item in evidence:
        if not MIN_EVIDENCE_CHARS <= len(item) <= MAX_EVIDENCE_CHARS:
            return f"an evidence item of {len(item)} characters"
        if item not in bio:
            return "evidence that is not an exact substring of the bio"
    return None


def _without_handles(text: str, handles: Iterable[str]) -> str:
    """``text`` with these handles (with or without ``@``) blanked, so that a handle like
    ``coffee.co`` is not taken for a link."""
    for handle in handles:
        text = re.sub(rf"@?(?<![\w.]){re.escape(handle)}(?![\w]|\.\w)", " ", text, flags=re.I)
    return text


def _names_handle(text: str, handle: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(handle)}(?!\w|\.\w)", text, re.I) is not None


def _leaks(system_prompt: str, texts: Sequence[str]) -> bool:
    answer = " ".join(" ".join(texts).split()).casefold()
    sentences = re.split(r"(?<=[.:;])\s+", " ".join(system_prompt.split()).casefold())
    return any(len(s) >= LEAK_SENTENCE_CHARS and s in answer for s in sentences)

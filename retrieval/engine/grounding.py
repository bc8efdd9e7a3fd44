"""What in each pick's bio carries the fit, by meaning: the segment closest to the brief, and
which of the brief's stressed qualifiers the bio carries.

Only the final picks are read this way (7-10 bios of a few segments each), so it costs a few
embeddings per answer, not per candidate:

- *Evidence by meaning*: a pick sharing no word with the brief (another language, a paraphrase)
  is quoted with its segment closest to the brief's search vector, not its opening one ("Mum of
  three | Amateur potter, wheel-thrown stoneware" for a ceramics brief quotes the pottery).
- *Unmet qualifiers* (``retrieval.engine.qualifiers``): a pick carries a qualifier when its bio
  has all the qualifier's words, or its stored vector or one of its segments is within
  ``CARRY_COSINE`` of the qualifier's vector. A modifier ("sustainable" in "sustainable
  fashion") is only a qualifier when at least half of the picks' bios have its head word and
  none carries the modifier.

Cost: the multilingual encoder takes ~2 ms a text on an idle core, so a pick's stored bio vector
decides first (it carries a qualifier when it is within the bar), only the first
``MAX_SEGMENTS`` segments of a bio are read, at most ``MAX_TEXTS`` segment texts are embedded
per answer (the picks whose carrying is undecided before those quoted by meaning), nothing is
embedded for a pick with a grader's quote, and segment vectors are kept (``SegmentVectors``):
the same creators come back brief after brief.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.contract import Unmet
from retrieval.engine.explain import bio_segments, evidence
from retrieval.engine.qualifiers import Qualifier
from retrieval.engine.ranking import Candidate, Query
from retrieval.engine.recent import LeastRecentlyUsed
from retrieval.ports import Embedder, FloatMatrix, FloatVector, PartEmbedder
from retrieval.terms import terms

#: A segment this close to a qualifier carries it (the cosine of ``SegmentVectors``: with the
#: local embedder, the multilingual encoder's); ``CARRY_COSINE_WORDED`` when the bio has some of
#: the qualifier's words ("plastic" of "plastic-free"). Chosen on tuning data only: in the
#: real-bio tuning half (rA04 "for mothers", rA05 "sustainable", rA07 "on a budget") the judged
#: bios carrying the qualifier scored 0.44-0.71, those not carrying it at most 0.32, so any
#: value between separates them; 0.40 keeps clear of near concepts ("gluten-free" and "Vegan
#: baker": 0.38). In the tuning half of bench/eval/qualifier_briefs.json, the bios carrying
#: "plastic-free" in other words ("my slow exit from plastic") scored 0.33-0.37, those not
#: carrying a qualifier at most 0.30 without a shared word. bench/bench_qualifiers.py reports
#: both on held-out briefs.
CARRY_COSINE = 0.40
CARRY_COSINE_WORDED = 0.30
#: Qualifiers checked per answer (each may cost one embedding), and said unmet, at most: a
#: brief stressing more is better read by a person.
MAX_CHECKED = 6
MAX_UNMET = 3
#: Segments read per bio (its first telling ones) and segment texts embedded per answer, at
#: most: the multilingual encoder takes ~2 ms a text on an idle core (5+ on a loaded one), and
#: the bio's stored vector decides a qualifier first. Past the budget, a pick is quoted by how
#: its bio opens and judged by its stored vector alone.
MAX_SEGMENTS = 3
MAX_TEXTS = 6
#: Segment vectors kept, least recently used dropped first (a 5,000-creator roster's picks
#: across many briefs; ~3.5 KB each with the local embedder).
SEGMENT_CACHE = 4_096


class SegmentVectors:
    """Vectors of short texts (bio segments, qualifiers), the last ``size`` kept: by the
    embedder's light encoder alone when it has one (``PartEmbedder``), else by the embedder.
    ``project`` takes a vector of the whole embedder (the brief's, a bio's) to the same space."""

    def __init__(self, embedder: Embedder, size: int = SEGMENT_CACHE) -> None:
        self._embedder = embedder
        self._part = embedder.light_part if isinstance(embedder, PartEmbedder) else None
        self._kept: LeastRecentlyUsed[str, FloatVector] = LeastRecentlyUsed(size)

    def project(self, vector: FloatVector) -> FloatVector:
        """``vector``'s slice for the encoder texts are embedded with, at unit length."""
        if self._part is None:
            return vector
        parts = self._embedder.parts
        start = sum(parts[: self._part])
        piece = vector[start : start + parts[self._part]]
        norm = float(np.linalg.norm(piece))
        return piece / norm if norm > 0 else piece

    def _embed(self, texts: Sequence[str]) -> FloatMatrix:
        if isinstance(self._embedder, PartEmbedder) and self._part is not None:
            return self._embedder.embed_part(texts, self._part)
        return self._embedder.embed(texts)

    def of(self, texts: Sequence[str]) -> dict[str, FloatVector]:
        """Each distinct text's vector; the ones not kept are embedded in one batch."""
        wanted = list(dict.fromkeys(texts))
        found = {text: vector for text in wanted if (vector := self._kept.get(text)) is not None}
        missing = [text for text in wanted if text not in found]
        if missing:
            embedded = list(zip(missing, self._embed(missing), strict=True))
            self._kept.put(embedded)
            found.update(embedded)
        return {text: found[text] for text in wanted}


@dataclass(frozen=True)
class Grounding:
    """For each pick (by key): its segment closest to the brief, when it needs one, and the
    qualifiers it carries; and the qualifiers no pick (or only some) carry."""

    fitting: dict[str, str]
    carries: dict[str, list[str]]
    unmet: list[Unmet]


def ground(
    picks: Sequence[Candidate],
    query: Query,
    qualifiers: Sequence[Qualifier],
    vectors: SegmentVectors,
) -> Grounding:
    """Read the picks' bios against the brief's subject and its stressed qualifiers (a pick's
    ``carries`` names a modifier its bio has in words, or any it carries when none has it)."""
    segments = {pick.key: _telling_segments(pick.creator.bio) for pick in picks}
    wanted = _active(qualifiers, picks)
    lexical = {(pick.key, q.text): q.worded_in(pick.creator.bio) for pick in picks for q in wanted}
    # Read in meaning: a qualifier not every pick has in words; a modifier only when no pick
    # has it in words (a modifier is said unmet only when no pick carries it).
    semantic = [
        q
        for q in wanted
        if not any(lexical[p.key, q.text] for p in picks)
        or (q.head is None and not all(lexical[p.key, q.text] for p in picks))
    ]
    found = vectors.of([q.text for q in semantic])
    # The stored bio vector decides first (it costs nothing); a bio's segments are read only
    # when it falls short, for at most ``MAX_TEXTS`` segment texts per answer.
    whole = {pick.key: vectors.project(pick.vector) for pick in picks}
    decided = {
        (pick.key, q.text): lexical[pick.key, q.text]
        or float(whole[pick.key] @ found[q.text]) >= _bar(q, pick)
        for pick in picks
        for q in semantic
    }
    # The undecided picks closest to a bar first: their segments are likeliest to carry it.
    gaps = {
        p.key: max(float(whole[p.key] @ found[q.text]) - _bar(q, p) for q in semantic)
        for p in picks
        if any(not decided[p.key, q.text] for q in semantic)
    }
    unsure = sorted((p for p in picks if p.key in gaps), key=lambda p: -gaps[p.key])
    placed = [p for p in picks if not p.quote and not evidence(p.creator.bio, query)[0]]
    read = _segments_to_read([*unsure, *placed], segments)
    found |= vectors.of([text for key in read for text in segments[key]])
    brief = vectors.project(query.vector)
    fitting = {
        pick.key: max(segments[pick.key], key=lambda text: float(found[text] @ brief))
        for pick in placed
        if pick.key in read
    }
    carries: dict[str, list[str]] = {pick.key: [] for pick in picks}
    for q in wanted:
        for pick in picks:
            if lexical[pick.key, q.text] or (
                q in semantic
                and (
                    decided[pick.key, q.text]
                    or (pick.key in read and _close(found, q, segments[pick.key], pick))
                )
            ):
                carries[pick.key].append(q.text)
    return Grounding(fitting, carries, _unmet(wanted, picks, carries))


def _telling_segments(bio: str) -> list[str]:
    """The bio's first ``MAX_SEGMENTS`` segments with a content word: "she/her" or "Sort of."
    tell nothing, and a short segment sits close to many short qualifiers ("she/her" to
    "mothers": 0.4)."""
    telling = [segment.text for segment in bio_segments(bio) if any(terms(segment.text))]
    return telling[:MAX_SEGMENTS]


def _segments_to_read(picks: Sequence[Candidate], segments: dict[str, list[str]]) -> set[str]:
    """The picks (by key, first come first) whose segments are embedded: bios of one segment
    are read by their stored vector, and at most ``MAX_TEXTS`` segment texts are embedded per
    answer, counted whether kept or not, so that an answer does not depend on what was asked
    before."""
    read: set[str] = set()
    budget = MAX_TEXTS
    for pick in picks:
        texts = segments[pick.key]
        if pick.key in read or len(texts) < 2 or len(texts) > budget:
            continue
        read.add(pick.key)
        budget -= len(texts)
    return read


def _active(qualifiers: Sequence[Qualifier], picks: Sequence[Candidate]) -> list[Qualifier]:
    """The qualifiers to check: every phrase, and each modifier with a head word that at least
    half of the picks' bios have (the picks share the subject the modifier narrows)."""
    if not picks:
        return []
    active: list[Qualifier] = []
    for qualifier in qualifiers:
        if any(qualifier.text == other.text for other in active):
            continue
        if qualifier.head is not None:
            head = Qualifier(qualifier.head)
            having = sum(head.worded_in(pick.creator.bio) for pick in picks)
            if 2 * having < len(picks):
                continue
        active.append(qualifier)
    return active[:MAX_CHECKED]


def _bar(qualifier: Qualifier, pick: Candidate) -> float:
    """``CARRY_COSINE``, or ``CARRY_COSINE_WORDED`` when the pick's bio has some of the
    qualifier's words."""
    return CARRY_COSINE_WORDED if qualifier.partly_worded_in(pick.creator.bio) else CARRY_COSINE


def _close(
    found: dict[str, FloatVector], qualifier: Qualifier, segments: Sequence[str], pick: Candidate
) -> bool:
    """A segment of the pick's bio is within the qualifier's bar (``_bar``)."""
    return max(float(found[text] @ found[qualifier.text]) for text in segments) >= _bar(
        qualifier, pick
    )


def _unmet(
    qualifiers: Sequence[Qualifier], picks: Sequence[Candidate], carries: dict[str, list[str]]
) -> list[Unmet]:
    """A plain sentence for each qualifier no pick carries, or (for an audience phrase or a
    compound) only some picks carry; a modifier only when no pick carries it."""
    unmet = []
    for qualifier in qualifiers:
        having = sum(qualifier.text in carries[pick.key] for pick in picks)
        if having == len(picks) or (having and qualifier.head is not None):
            continue
        unmet.append(
            Unmet(
                qualifier=qualifier.text,
                found=having,
                picks=len(picks),
                reason=_reason(qualifier, having, len(picks)),
            )
        )
    return unmet[:MAX_UNMET]


def _reason(qualifier: Qualifier, having: int, picks: int) -> str:
    said = f"“{qualifier.text}”"
    if having:
        return (
            f"Only {having} of {picks} picks' bios mention {said} or say it in other words; "
            "the others fit the rest of the brief without it."
        )
    rest = f"“{qualifier.head}”" if qualifier.head else "the rest of the brief"
    return (
        f"No pick's bio mentions {said} or says it in other words: these creators fit {rest} "
        "without it."
    )

"""The model as the engine's grader: it reads each candidate's bio against the brief.

``ModelGrader`` implements ``retrieval.ports.CandidateGrader``. The model sees the brief and each
side's first candidates (handle, platform, tier, followers, bio as delimited JSON data) and
answers, per side, a grade from 0 to 3 and a phrase quoted from the bio.

What is checked here: an entry that names no candidate of its own side (an unknown or invented
handle, or a creator of the other side) is dropped, and a creator named more than once loses
every grade it was given. The engine then checks each grade's range and that its quote is an
exact substring of that creator's bio (``retrieval.engine.ranking.apply_grades``). On any failure
of the call (timeout, deadline, malformed answer, ...) the answer is empty and the local order
stands.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from prompts import load_prompt
from retrieval.contract import Side
from retrieval.llm.call import LlmSession, prompt_data
from retrieval.llm.explain import AnswerKey, answer_key
from retrieval.ports import Grade, GradeCandidate

log = logging.getLogger(__name__)

PROMPT_VERSION = "v1"
#: How each side is named to the model (the roles the explanations use).
SIDE_NAMES: dict[Side, str] = {"macro": "awareness", "micro": "action"}
#: Completion tokens: a fixed part, and one entry's worth per candidate.
ANSWER_TOKENS = 200
ENTRY_TOKENS = 70


class GradeEntry(BaseModel):
    handle: str
    platform: str
    grade: int
    quote: str


class GradedSides(BaseModel):
    """The model's answer: the structured-output schema."""

    awareness: list[GradeEntry]
    action: list[GradeEntry]

    def side(self, side: Side) -> list[GradeEntry]:
        return self.awareness if side == "macro" else self.action


@dataclass(frozen=True)
class ModelGrader:
    """Grades with ``session``'s model; each call may use ``share`` of the time the session has
    left when it starts."""

    session: LlmSession
    share: float

    def grade(
        self, brief: str, candidates: Mapping[Side, Sequence[GradeCandidate]]
    ) -> dict[str, Grade]:
        count = sum(len(side) for side in candidates.values())
        if not count:
            return {}
        prompt = load_prompt("grade_candidates", PROMPT_VERSION).render(
            brief_json=prompt_data(brief),
            candidates_json=prompt_data(
                {
                    SIDE_NAMES[side]: [_shown(candidate) for candidate in side_candidates]
                    for side, side_candidates in candidates.items()
                }
            ),
        )
        deadline = self.session.deadline.share(self.share)
        budget = ANSWER_TOKENS + ENTRY_TOKENS * count
        answer = self.session.ask("grade", prompt, GradedSides, budget, deadline)
        return {} if answer is None else grades_by_key(candidates, answer)


def grades_by_key(
    candidates: Mapping[Side, Sequence[GradeCandidate]], answer: GradedSides
) -> dict[str, Grade]:
    """The answer's entries by candidate key, each matched within its own side only; entries
    naming no candidate of their side, and every entry of a creator named twice, dropped."""
    named: list[tuple[str | None, GradeEntry]] = []
    for side, side_candidates in candidates.items():
        keys: dict[AnswerKey, str] = {
            answer_key(c.platform, c.handle): c.key for c in side_candidates
        }
        named += [(keys.get(answer_key(e.platform, e.handle)), e) for e in answer.side(side)]
    times = Counter(key for key, _ in named)
    unknown = times.pop(None, 0)
    twice = sorted(key for key, count in times.items() if key is not None and count > 1)
    if unknown or twice:
        log.info(
            "openai grades dropped: %d naming no candidate of their side, %d creator(s) named "
            "more than once",
            unknown,
            len(twice),
        )
    return {
        key: Grade(grade=entry.grade, quote=entry.quote)
        for key, entry in named
        if key is not None and times[key] == 1
    }


def _shown(candidate: GradeCandidate) -> dict[str, object]:
    return {
        "handle": candidate.handle,
        "platform": candidate.platform,
        "tier": candidate.tier,
        "followers": candidate.followers,
        "bio": candidate.bio,
    }

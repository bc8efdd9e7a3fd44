"""What the OpenAI layer costs by itself: latency of its checks and fallbacks, and token counts.

    python bench/bench_llm.py [--rounds 200] [--json]

Against the local mock server of the tests (answering instantly), for a typical brief with 7 picks
(2 awareness + 5 action creators from the bundled sample roster):

- ``transport``: a bare HTTP POST of the same request body to the mock: the mock's own time;
- ``sdk call``: the ``openai`` client alone sending the same messages and parsing the answer;
- ``explain ok`` / ``explain fallback``: the whole ``explain_with_model`` call (prompt rendering,
  the SDK, parsing, the checks) with a valid answer / a malformed one that falls back to the rules;
  minus ``transport`` this is the latency the layer itself adds, excluding the model's time;
- ``checks``: ``apply_mix_text`` alone (7 picks);
- ``grade ok``: the whole ``ModelGrader.grade`` call for 10 awareness + 10 action candidates
  (prompt rendering, the SDK, parsing, matching the entries to candidates), with a valid answer.

Tokens are counted from the request the mock recorded and the scripted answer. No tokenizer for
OpenAI's models is available offline (``tiktoken`` downloads its vocabularies at run time), so
they are estimated with OpenAI's rule of thumb of 4 characters per token for English text, shown
beside the character counts; emoji and non-Latin bios make the real count somewhat higher.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from prompts import load_prompt  # noqa: E402
from retrieval.contract import Filters, Pick, Recommendation, Side  # noqa: E402
from retrieval.llm.brief import BriefReading, read_brief_with_model  # noqa: E402
from retrieval.llm.call import Deadline, LlmSession  # noqa: E402
from retrieval.llm.explain import (  # noqa: E402
    AnswerKey,
    MixText,
    PickText,
    answer_key,
    apply_mix_text,
    explain_with_model,
)
from retrieval.llm.grade import GradedSides, GradeEntry, ModelGrader  # noqa: E402
from retrieval.ports import GradeCandidate  # noqa: E402
from retrieval.roster.creator import Creator  # noqa: E402
from retrieval.roster.load import load_roster  # noqa: E402
from retrieval.tiers import DEFAULT_SCHEME, Role  # noqa: E402
from tests.support.openai_mock_server import MockOpenAIServer, Reply, completion  # noqa: E402

SAMPLE_ROSTER = REPO_ROOT / "bot" / "data" / "sample_roster.csv"
BRIEF = (
    "We're a small roastery that pays growers fairly; we want people who make the morning brew a "
    "ritual to try our single-origin beans. A couple of big coffee voices for reach and several "
    "home brewers whose followers actually buy what they recommend."
)
CHARS_PER_TOKEN = 4.0
COFFEE = re.compile(r"coffee|kaffee|café|cafe|espresso|brew", re.I)


def coffee_creators(macro: int, micro: int) -> tuple[list[Creator], list[Creator]]:
    """Up to ``macro`` awareness and ``micro`` action coffee creators of the sample roster,
    biggest first (other creators make up the numbers when coffee ones run out)."""
    creators = sorted(
        load_roster(SAMPLE_ROSTER).creators,
        key=lambda c: (not COFFEE.search(c.bio + " " + " ".join(c.topics)), -c.followers),
    )
    return (
        [c for c in creators if c.followers >= 10_000][:macro],
        [c for c in creators if c.followers < 10_000][:micro],
    )


def typical_mix() -> tuple[Recommendation, dict[AnswerKey, str]]:
    """2 awareness + 5 action coffee creators from the sample roster, biggest first."""
    macro, micro = coffee_creators(2, 5)
    picks = [_pick(c, "awareness") for c in macro] + [_pick(c, "action") for c in micro]
    recommendation = Recommendation(
        brief=BRIEF,
        objective="balanced",
        filters=Filters(),
        picks=picks,
        shortfall=[],
        explanation="Two large coffee voices bring reach; five home brewers drive purchases.",
        explained_by="rules",
    )
    return recommendation, {answer_key(c.platform, c.handle): c.bio for c in macro + micro}


def _pick(creator: Creator, role: Role) -> Pick:
    return Pick(
        handle=creator.handle,
        platform=creator.platform,
        name=creator.name,
        followers=creator.followers,
        tier="macro" if role == "awareness" else "micro",
        role=role,
        score=0.5,
        why="Their bio is about coffee.",
        evidence=[creator.bio.split("\n")[0][:60]],
        engagement_rate=creator.engagement_rate,
        country=creator.country,
        language=creator.language,
    )


def model_answer(recommendation: Recommendation, bios: dict[AnswerKey, str]) -> MixText:
    """An answer of realistic length: a 25-word why and two evidence phrases per pick."""
    return MixText(
        picks=[
            PickText(
                handle=pick.handle,
                platform=pick.platform,
                why=(
                    f"{pick.name or pick.handle} talks about the daily coffee ritual with a "
                    "close audience, which fits a roastery that pays growers fairly and wants "
                    "brewers to try single-origin beans."
                ),
                evidence=_phrases(bios[answer_key(pick.platform, pick.handle)]),
            )
            for pick in recommendation.picks
        ],
        explanation=(
            "The two awareness creators put the roastery's fair-pay story in front of a large "
            "coffee audience, while the five action creators brew at home for small, trusting "
            "followings that try what they recommend, so the mix pairs reach with people who "
            "will actually order a bag of single-origin beans this month."
        ),
    )


def grading_request() -> tuple[dict[Side, list[GradeCandidate]], GradedSides]:
    """10 awareness + 10 action candidates, and an answer grading each with a quoted phrase."""
    macro, micro = coffee_creators(10, 10)

    def tier(creator: Creator) -> str:
        return DEFAULT_SCHEME.classify(creator.followers).name

    sent: dict[Side, list[GradeCandidate]] = {
        side: [
            GradeCandidate(c.key, c.handle, c.platform, tier(c), c.followers, c.bio) for c in group
        ]
        for side, group in (("macro", macro), ("micro", micro))
    }
    entries = {
        side: [
            GradeEntry(handle=c.handle, platform=c.platform, grade=2, quote=c.bio[:30].strip())
            for c in group
        ]
        for side, group in sent.items()
    }
    return sent, GradedSides(awareness=entries["macro"], action=entries["micro"])


def _phrases(bio: str) -> list[str]:
    lines = [line.strip() for line in bio.replace(".", "\n").split("\n") if len(line.strip()) > 8]
    return [line[:50].strip() for line in lines[:2]] or [bio[:20]]


def timed(rounds: int, action: Callable[[], object]) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[int(0.95 * (len(samples) - 1))],
    }


def tokens(text: str) -> dict[str, int]:
    return {"chars": len(text), "tokens_est": round(len(text) / CHARS_PER_TOKEN)}


def measure(rounds: int) -> dict[str, Any]:
    recommendation, bios = typical_mix()
    answer = model_answer(recommendation, bios)
    good = completion(answer)
    malformed = completion('{"picks": [{"handle": ')
    reading = BriefReading(
        objective="balanced",
        macro=2,
        micro=None,
        platforms=[],
        countries=[],
        languages=[],
        min_followers=None,
        max_followers=None,
        exclude=[],
        story="Home brewers and coffee voices who treat the morning brew as a ritual and care "
        "about fairly paid growers and single-origin beans.",
    )
    with MockOpenAIServer() as server:
        client = openai.OpenAI(api_key="sk-bench", base_url=server.base_url)

        def explain(reply: Reply) -> Recommendation:
            server.script(reply)
            session = LlmSession(client=client, model="mock-model", deadline=Deadline.after(20))
            return explain_with_model(session, recommendation, bios)

        assert explain(good).explained_by == "llm"
        assert explain(malformed).explained_by == "rules"
        explain_request = server.requests[-1]
        server.script(completion(reading))
        session = LlmSession(client=client, model="mock-model", deadline=Deadline.after(20))
        assert read_brief_with_model(session, BRIEF) is not None
        brief_request = server.requests[-1]
        sent, grades = grading_request()

        def grade() -> object:
            server.script(completion(grades))
            session = LlmSession(client=client, model="mock-model", deadline=Deadline.after(20))
            return ModelGrader(session, 1.0).grade(BRIEF, sent)

        assert grade()
        grade_request = server.requests[-1]

        body = json.dumps(explain_request.body).encode()
        headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}

        def transport() -> None:
            server.script(good)
            post = urllib.request.Request(
                f"{server.base_url}/chat/completions", data=body, headers=headers
            )
            with urllib.request.urlopen(post) as response:
                response.read()

        system = (
            load_prompt("explain_mix", "v1")
            .render(brief_json="", objective="", shortfall_json="", candidates_json="")
            .system
        )

        def sdk_call() -> None:
            server.script(good)
            client.chat.completions.parse(
                model="mock-model",
                messages=explain_request.body["messages"],
                response_format=MixText,
                max_completion_tokens=2000,
            )

        latency = {
            "transport": timed(rounds, transport),
            "sdk call": timed(rounds, sdk_call),
            "explain ok": timed(rounds, lambda: explain(good)),
            "explain fallback": timed(rounds, lambda: explain(malformed)),
            "grade ok": timed(rounds, grade),
            "checks": timed(
                rounds * 10, lambda: apply_mix_text(recommendation, bios, answer, system)
            ),
        }

    def request_text(recorded: Any) -> str:
        return "\n".join(m["content"] for m in recorded.messages)

    return {
        "picks": len(recommendation.picks),
        "latency": latency,
        "added_ms": {
            kind: latency[kind]["p50_ms"] - latency["transport"]["p50_ms"]
            for kind in ("sdk call", "explain ok", "explain fallback", "grade ok")
        },
        "tokens": {
            "brief request": tokens(request_text(brief_request)),
            "brief response": tokens(reading.model_dump_json()),
            "explain request": tokens(request_text(explain_request)),
            "explain response": tokens(answer.model_dump_json()),
            "explain schema": tokens(json.dumps(explain_request.body["response_format"])),
            "grade request": tokens(request_text(grade_request)),
            "grade response": tokens(grades.model_dump_json()),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.getLogger("retrieval").setLevel(logging.ERROR)  # the fallback rounds warn by design
    result = measure(args.rounds)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"Typical mix: {result['picks']} picks; {args.rounds} rounds against the local mock.")
    for kind, numbers in result["latency"].items():
        print(f"  {kind:<17} p50 {numbers['p50_ms']:7.2f} ms   p95 {numbers['p95_ms']:7.2f} ms")
    for kind, added in result["added_ms"].items():
        print(f"  {kind} minus transport: {added:.2f} ms at p50")
    for kind, count in result["tokens"].items():
        print(f"  {kind:<17} {count['chars']:6d} chars  ~{count['tokens_est']:5d} tokens")


if __name__ == "__main__":
    main()

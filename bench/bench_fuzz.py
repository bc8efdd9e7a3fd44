"""A seeded fuzz run over the parsers and builders that take outside input (issue 10).

Targets, as in ``tests/test_hardening_properties.py`` but many more inputs:

- ``parse_count``: text made of count characters (sometimes thousands long), integers, floats;
- ``load_roster_text``: CSV, JSON and JSON Lines files of generated rows, broken text, raw bytes;
- ``read_brief``: briefs made of the phrases it reacts to, markup and arbitrary text;
- Block Kit builders: result, look-alike, tier and error messages and the brief modal for
  generated recommendations and creators.

A failure is any exception outside the ``StoryfitError`` family, a count out of range, or a
message or view that breaks a Slack limit (``tests/block_kit_limits.py``). Prints inputs/s and
failures per target, with the first failing inputs.

    python bench/bench_fuzz.py [--inputs 100000] [--seed 10]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import string
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.blocks import kit, modal, replies, results
from bot.service import TierLookup
from retrieval.contract import Filters, Pick, Recommendation, RecommendRequest
from retrieval.counts import MAX_COUNT, parse_count
from retrieval.engine.brief import read_brief
from retrieval.errors import StoryfitError
from retrieval.roster.creator import Creator
from retrieval.roster.load import load_roster_text
from tests.support.block_kit_limits import block_problems, view_problems
from tests.support.hostile_inputs import BRIEF_PIECES, COLUMN_NAMES, COUNT_CHARACTERS, MARKUP

#: Share of the inputs each target gets.
WEIGHTS = {"parse_count": 40, "load_roster_text": 25, "read_brief": 20, "block_kit": 15}
ALPHABET = string.printable + "éß漢字🙂\u200b\u00a0"


class Generator:
    """Seeded input generators; the same seed gives the same inputs."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def text(self, longest: int = 40) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.15:
            return rng.choice(MARKUP)
        if kind < 0.2:  # long repetitions: backtracking and length limits
            return "".join(rng.choices(ALPHABET, k=rng.randint(1, 4))) * rng.randint(100, 3_000)
        pieces = [
            rng.choice(MARKUP) if rng.random() < 0.1 else rng.choice(ALPHABET)
            for _ in range(rng.randint(0, longest))
        ]
        return "".join(pieces)

    def count_input(self) -> str | int | float:
        rng = self.rng
        kind = rng.random()
        if kind < 0.1:
            return rng.randint(-(10**15), 10**15) * rng.choice([1, 1, 10 ** rng.randint(0, 50)])
        if kind < 0.15:
            return rng.choice([rng.uniform(-1e13, 1e13), rng.random() * 10 ** rng.randint(0, 300)])
        if kind < 0.2:
            return "9" * rng.randint(1, 6_000)
        if kind < 0.6:
            number = str(rng.randint(0, 10 ** rng.randint(1, 16)))
            if rng.random() < 0.3:
                number += "." + str(rng.randint(0, 9999))
            if rng.random() < 0.3:
                number += "e" + str(rng.randint(0, 10 ** rng.randint(1, 10)))
            return number + rng.choice(["", "", "k", "M", "b", " K", "%"])
        return "".join(rng.choices(COUNT_CHARACTERS, k=rng.randint(0, 40)))

    def value(self, depth: int = 0) -> object:
        rng = self.rng
        kind = rng.random()
        if kind < 0.35:
            return self.text(20)
        if kind < 0.55:
            return self.count_input()
        if kind < 0.65:
            return rng.choice([None, True, False, float("nan"), float("inf"), -1, 0.5])
        if kind < 0.75 and depth < 3:
            return [self.value(depth + 1) for _ in range(rng.randint(0, 3))]
        if kind < 0.8 and depth < 3:
            return {self.text(6): self.value(depth + 1) for _ in range(rng.randint(0, 3))}
        if kind < 0.82:
            nesting = rng.randint(500, 5_000)
            return json.loads("[" * min(nesting, 900) + "]" * min(nesting, 900))
        return rng.choice(BRIEF_PIECES)

    def row(self) -> dict[str, object]:
        rng = self.rng
        keys = rng.sample(COLUMN_NAMES, rng.randint(0, 6)) + [self.text(8) for _ in range(2)]
        return {key: self.value() for key in keys}

    def roster_bytes(self) -> bytes:
        rng = self.rng
        kind = rng.random()
        rows = [self.row() for _ in range(rng.randint(0, 5))]
        if kind < 0.35:
            header = [*rng.sample(COLUMN_NAMES, rng.randint(1, 6)), self.text(8)]
            out = io.StringIO()
            writer = csv.writer(out, delimiter=rng.choice([",", ";", "\t"]))
            writer.writerow(header)
            for row in rows:
                writer.writerow(
                    [json.dumps(v) if not isinstance(v, str) else v for v in row.values()]
                )
            text = out.getvalue()
        elif kind < 0.55:
            text = json.dumps(rows)
        elif kind < 0.75:
            text = "\n".join(json.dumps(row) for row in rows) or "{}"
        elif kind < 0.9:
            text = "".join(
                rng.choice(['"', ",", "\n", "[", "{", "}", "]", ":", self.text(6)])
                for _ in range(40)
            )
        else:
            return rng.randbytes(rng.randint(0, 200))
        if rng.random() < 0.05:  # a deeply nested document
            text = "[" * 100_000 + "]" * 100_000
        return text.encode("utf-8", "surrogatepass")

    def brief(self) -> RecommendRequest:
        rng = self.rng
        pieces = [
            rng.choice(BRIEF_PIECES) if rng.random() < 0.7 else self.text(12)
            for _ in range(rng.randint(1, 30))
        ]
        return RecommendRequest(
            brief=" ".join(pieces),
            macro=rng.choice([None, rng.randint(0, 20)]),
            micro=rng.choice([None, rng.randint(0, 50)]),
            country=rng.choice([[], ["DE"], ["Mars"], [self.text(6)]]),
            language=rng.choice([[], ["es"], ["Klingon"]]),
            min_followers=rng.choice([None, rng.randint(0, 10**9)]),
            max_followers=rng.choice([None, rng.randint(0, 10**12)]),
            exclude=rng.choice([[], [self.text(8)]]),
        )

    def pick(self) -> Pick:
        rng = self.rng
        return Pick(
            handle=self.text(),
            platform=self.text(10),
            name=rng.choice([None, self.text()]),
            followers=rng.randrange(MAX_COUNT),
            tier=self.text(10),
            role=rng.choice(["awareness", "action"]),
            score=rng.uniform(-1, 1),
            why=self.text(200),
            evidence=[self.text(100) for _ in range(rng.randint(0, 3))],
            engagement_rate=rng.choice([None, rng.random()]),
            country=rng.choice([None, self.text(4)]),
            language=rng.choice([None, self.text(4)]),
        )

    def recommendation(self) -> Recommendation:
        rng = self.rng
        return Recommendation(
            brief=self.text(200),
            objective=rng.choice(["awareness", "conversion", "balanced"]),
            filters=Filters(
                platform=[self.text(8)],
                min_followers=rng.choice([None, rng.randrange(MAX_COUNT)]),
            ),
            picks=[self.pick() for _ in range(rng.choice([0, 1, 3, 8, 25, 70]))],
            shortfall=[],
            explanation=self.text(400),
            explained_by=rng.choice(["rules", "llm"]),
            notices=[self.text(80) for _ in range(rng.randint(0, 12))],
        )

    def creator(self) -> Creator:
        rng = self.rng
        return Creator.model_construct(
            handle=self.text(),
            platform=self.text(10),
            followers=rng.randrange(MAX_COUNT),
            bio=self.text(300),
            name=rng.choice([None, self.text()]),
            country=None,
            language=None,
            engagement_rate=rng.choice([None, rng.random()]),
            topics=[self.text(10) for _ in range(rng.randint(0, 4))],
            extra={self.text(8): self.text(30) for _ in range(rng.randint(0, 4))},
        )


def check_count(gen: Generator) -> list[str]:
    count = parse_count(gen.count_input())
    return [] if 0 <= count < MAX_COUNT else [f"count {count} out of range"]


def check_roster(gen: Generator) -> list[str]:
    load = load_roster_text(gen.roster_bytes(), "fuzz")
    rows = len(load.creators) + load.rejected_count + len(load.duplicates)
    problems = [] if rows == load.total_rows else [f"{rows} rows of {load.total_rows} reported"]
    for creator in load.creators:
        creator.content_hash()
        if not 0 <= creator.followers < MAX_COUNT:
            problems.append(f"followers {creator.followers} out of range")
    return problems


def check_brief(gen: Generator) -> list[str]:
    brief = read_brief(gen.brief())
    low, high = brief.filters.min_followers, brief.filters.max_followers
    return [f"bounds {low} > {high}"] if low is not None and high is not None and low > high else []


def message_problems(messages: list[kit.SlackMessage]) -> list[str]:
    problems: list[str] = []
    for message in messages:
        problems.extend(block_problems(message.blocks))
        if len(message.text) > 4_000:
            problems.append(f"fallback text of {len(message.text)} characters")
    return problems


def check_block_kit(gen: Generator) -> list[str]:
    rng = gen.rng
    kind = rng.random()
    if kind < 0.5:
        return message_problems(results.result_messages(gen.recommendation(), rng.randint(0, 99)))
    if kind < 0.65:
        similar = [gen.pick() for _ in range(rng.choice([0, 2, 30]))]
        return message_problems(results.lookalike_messages(gen.pick(), similar))
    if kind < 0.8:
        lookup = TierLookup(
            query=gen.text(),
            followers=rng.randrange(MAX_COUNT),
            tier=gen.text(10),
            min=0,
            max=None,
            role="action",
            creator=gen.creator(),
        )
        return message_problems([replies.tier_message(lookup)])
    if kind < 0.9:
        text = gen.text(300)
        return message_problems(
            [
                replies.error_message(text),
                replies.notice_message(text),
                results.placeholder_message(text),
                replies.unknown_handle_message(text, [gen.text(10)]),
            ]
        )
    return view_problems(modal.brief_modal(gen.text(3_000)))


TARGETS: dict[str, Callable[[Generator], list[str]]] = {
    "parse_count": check_count,
    "load_roster_text": check_roster,
    "read_brief": check_brief,
    "block_kit": check_block_kit,
}


@dataclass
class Tally:
    inputs: int = 0
    refused: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def run(target: Callable[[Generator], list[str]], gen: Generator, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        problems = target(gen)
    except StoryfitError:
        problems = []
        tally.refused += 1
    except Exception:
        problems = [traceback.format_exc(limit=-3).strip().splitlines()[-1]]
    tally.seconds += time.perf_counter() - started
    tally.inputs += 1
    tally.failures.extend(problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=10)
    options = parser.parse_args()
    gen = Generator(options.seed)
    tallies = {name: Tally() for name in TARGETS}
    names = list(WEIGHTS)
    started = time.perf_counter()
    for name in gen.rng.choices(names, weights=[WEIGHTS[n] for n in names], k=options.inputs):
        run(TARGETS[name], gen, tallies[name])
    elapsed = time.perf_counter() - started
    print(f"{'target':<18} {'inputs':>8} {'refused':>8} {'failures':>8} {'inputs/s':>10}")
    for name, tally in tallies.items():
        rate = tally.inputs / tally.seconds if tally.seconds else 0.0
        print(
            f"{name:<18} {tally.inputs:>8,} {tally.refused:>8,} {len(tally.failures):>8,} "
            f"{rate:>10,.0f}"
        )
    total = sum(len(tally.failures) for tally in tallies.values())
    print(
        f"{'all':<18} {options.inputs:>8,} {'':>8} {total:>8,} {options.inputs / elapsed:>10,.0f}"
    )
    print(f"seed {options.seed}, {elapsed:.1f} s wall")
    for name, tally in tallies.items():
        for failure in dict.fromkeys(tally.failures):
            print(f"FAIL {name}: {failure[:300]}")


if __name__ == "__main__":
    main()

"""Recommendation quality on the development set: the product against three baselines.

    python bench/bench_quality.py [--json]

Over ``tests/eval/briefs.json`` (40 briefs, graded 0-3, written before the engine) and the sample
roster in embedded Chroma, each system picks the balanced default of 2 macro-side and 5
micro-side creators per brief (the set's filters applied as flags). Reported per style and overall:

- nDCG over the macro picks and over the micro picks, each against the ideal ranking of the
  judged creators on that side, at that side's slots;
- the share of picks that are on topic (grade >= 2), and the picks made out of the slots.

Systems (the same brief reading, filters and sides for all):

- ``dense``: the full brief's MiniLM vector, nearest first;
- ``bm25``: the catalog's BM25 over the raw brief;
- ``rrf``: reciprocal rank fusion of the two (k = 60);
- ``product``: ``Recommender.recommend``, as users get it;
- ``product without glossary``: the same with the multilingual glossary off (an ablation).

The baselines pick from every bio (they have no bio hygiene); the product never picks empty,
contact-only or instruction-like bios, which the set grades 0.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.contract import RecommendRequest  # noqa: E402
from retrieval.engine.brief import read_brief  # noqa: E402
from retrieval.engine.mix import DEFAULT_SLOTS, SidePlan, plan_slots  # noqa: E402
from retrieval.engine.ranking import Constraints, Fusion, Query, gather, score, select  # noqa: E402
from retrieval.engine.recommender import Recommender  # noqa: E402
from retrieval.engine.table import RosterTable  # noqa: E402
from retrieval.roster.creator import Creator  # noqa: E402
from retrieval.roster.load import load_roster  # noqa: E402
from retrieval.store.embeddings import LocalMiniLMEmbedder  # noqa: E402
from retrieval.store.index import CreatorIndex  # noqa: E402
from retrieval.terms import terms  # noqa: E402
from retrieval.tiers import DEFAULT_SCHEME  # noqa: E402

EVAL = REPO / "tests" / "eval" / "briefs.json"
SAMPLE_ROSTER = REPO / "bot" / "data" / "sample_roster.csv"
STYLES = ("direct", "paraphrase", "multilingual", "constrained")
ON_TOPIC = 2
MACRO_SLOTS, MICRO_SLOTS = DEFAULT_SLOTS["balanced"]

#: One system's picks for a brief: ``{"macro": [keys], "micro": [keys]}``, best first.
Picker = Callable[[dict[str, Any]], dict[str, list[str]]]


def request_for(brief: dict[str, Any]) -> RecommendRequest:
    filters = brief["filters"]
    return RecommendRequest(
        brief=brief["brief"],
        objective="balanced",
        macro=MACRO_SLOTS,
        micro=MICRO_SLOTS,
        country=filters["country"],
        language=filters["language"],
        platform=filters["platform"],
    )


def product_picker(engine: Recommender) -> Picker:
    def pick(brief: dict[str, Any]) -> dict[str, list[str]]:
        result = engine.recommend(request_for(brief))
        sides = {"awareness": "macro", "action": "micro"}
        picks: dict[str, list[str]] = {"macro": [], "micro": []}
        for p in result.picks:
            picks[sides[p.role]].append(p.key)
        return picks

    return pick


def baseline_picker(
    index: CreatorIndex, embedder: LocalMiniLMEmbedder, table: RosterTable, fusion: Fusion
) -> Picker:
    """Plain retrieval: the raw brief's vector and BM25, fused by ``fusion``, hard filters only."""

    def pick(brief: dict[str, Any]) -> dict[str, list[str]]:
        reading = read_brief(request_for(brief))
        plan = plan_slots("balanced", DEFAULT_SCHEME, MACRO_SLOTS, MICRO_SLOTS)
        query = Query(
            story=reading.story,
            vector=embedder.embed([reading.story])[0],
            terms=tuple(terms(reading.story)),
            glossary=False,
        )
        constraints = Constraints(filters=reading.filters, exclude=reading.exclude)
        candidates = gather(
            index, query, plan.sides, constraints, table, lexical_query=reading.story
        )
        for candidate in candidates:
            candidate.pickable = True
        score(candidates, fusion, constraints, table.tier_medians)
        return {
            side.side: [c.key for c in _ranked(candidates, side) if c.fit > -1][: side.slots]
            for side in plan.sides
        }

    return pick


def _ranked(candidates: list[Any], side: SidePlan) -> list[Any]:
    on_side = [c for c in candidates if c.side == side.side]
    return select(on_side, len(on_side), floor=None, diverse=False)


def dcg(grades: list[int]) -> float:
    return sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(grades))


@dataclass
class Tally:
    ndcg: dict[str, list[float]] = field(default_factory=lambda: {"macro": [], "micro": []})
    on_topic: int = 0
    picks: int = 0
    slots: int = 0

    def row(self) -> dict[str, float]:
        return {
            "ndcg_macro": sum(self.ndcg["macro"]) / max(1, len(self.ndcg["macro"])),
            "ndcg_micro": sum(self.ndcg["micro"]) / max(1, len(self.ndcg["micro"])),
            "on_topic_share": self.on_topic / max(1, self.picks),
            "picks": self.picks,
            "slots": self.slots,
        }


def evaluate(
    picker: Picker, briefs: list[dict[str, Any]], roster: dict[str, Creator]
) -> dict[str, dict[str, float]]:
    """Per style and overall: nDCG per side, on-topic share, picks made of slots asked."""
    tallies = {style: Tally() for style in (*STYLES, "all")}
    plan = plan_slots("balanced", DEFAULT_SCHEME, MACRO_SLOTS, MICRO_SLOTS)
    for brief in briefs:
        picks = picker(brief)
        judged = brief["judgements"]
        for side in plan.sides:
            grades = [judged.get(key, 0) for key in picks[side.side]]
            ideal = sorted(
                (g for k, g in judged.items() if side.admits(roster[k].followers)), reverse=True
            )[: side.slots]
            for tally in (tallies[brief["style"]], tallies["all"]):
                if dcg(ideal) > 0:
                    tally.ndcg[side.side].append(dcg(grades) / dcg(ideal))
                tally.on_topic += sum(grade >= ON_TOPIC for grade in grades)
                tally.picks += len(grades)
                tally.slots += side.slots
    return {style: tally.row() for style, tally in tallies.items()}


def run() -> dict[str, dict[str, dict[str, float]]]:
    briefs = json.loads(EVAL.read_text(encoding="utf-8"))["briefs"]
    creators = load_roster(SAMPLE_ROSTER).creators
    roster = {creator.key: creator for creator in creators}
    model_dir = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2" / "onnx"
    embedder = LocalMiniLMEmbedder(model_dir)
    with (
        tempfile.TemporaryDirectory() as data_dir,
        CreatorIndex.open(Path(data_dir), embedder, DEFAULT_SCHEME) as index,
    ):
        index.upsert(creators)
        table = RosterTable.build(creators, DEFAULT_SCHEME)
        systems: dict[str, Picker] = {
            "dense": baseline_picker(index, embedder, table, "dense"),
            "bm25": baseline_picker(index, embedder, table, "bm25"),
            "rrf": baseline_picker(index, embedder, table, "rrf"),
            "product": product_picker(Recommender(index, DEFAULT_SCHEME, embedder)),
            "product without glossary": product_picker(
                Recommender(index, DEFAULT_SCHEME, embedder, glossary=False)
            ),
        }
        return {name: evaluate(picker, briefs, roster) for name, picker in systems.items()}


def print_tables(results: dict[str, dict[str, dict[str, float]]]) -> None:
    for style in (*STYLES, "all"):
        print(f"\n{style}")
        print("| system | nDCG macro | nDCG micro | on-topic share | picks / slots |")
        print("|---|---:|---:|---:|---:|")
        for name, by_style in results.items():
            row = by_style[style]
            print(
                f"| {name} | {row['ndcg_macro']:.3f} | {row['ndcg_micro']:.3f} | "
                f"{row['on_topic_share']:.2f} | {row['picks']:.0f} / {row['slots']:.0f} |"
            )
    product = results["product"]["all"]
    for name in ("dense", "bm25", "rrf"):
        other = results[name]["all"]
        print(
            f"product - {name}: nDCG macro {product['ndcg_macro'] - other['ndcg_macro']:+.3f}, "
            f"micro {product['ndcg_micro'] - other['ndcg_micro']:+.3f}, "
            f"on-topic share {product['on_topic_share'] - other['on_topic_share']:+.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_tables(results)


if __name__ == "__main__":
    main()

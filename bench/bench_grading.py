"""What the grading stage can add: the product with no grader, with a grader that knows the set's
judgements (the ceiling of a perfect model), and with that grader made noisy.

    python bench/bench_grading.py [dev-heldout] [real-heldout] [--noise 0.3]

No model is reachable here, so these are bounds of the stage itself, not figures for a real
model: the oracle grades every candidate it is shown with the set's judgement scaled to 0-3
(unjudged creators: 0, as the scoring counts them) and quotes the bio's first characters; the
noisy oracle replaces each grade by a random one with probability ``--noise`` (seeded). The
engine's rules hold as in production: 10 candidates per side, macro tier first on the awareness
side, the floor and the counts unchanged. Scoring, sets and intervals are ``bench_quality``'s
(paired 95% bootstrap over briefs, here against the product without a grader).

Measured on 2026-12-01 after merging storyfit 6f37878 (nDCG; difference to no grader [95% CI]):
dev-heldout 0.812 -> oracle 0.908 (+0.096 [+0.061, +0.141]), 30% random 0.866 (+0.054 [-0.003,
+0.110]); real-heldout 0.620 -> oracle 0.857 (+0.237 [+0.168, +0.321]), 30% random 0.758 (+0.138
[-0.000, +0.244]). A model is worth what it grades like: these bound the stage, they do not
measure any model.
"""

from __future__ import annotations

import argparse
import random
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from bench_quality import (
    MODEL_DIR,
    Picks,
    brief_scores,
    indexed,
    load_set,
    mean,
    paired_interval,
    request_for,
)

from retrieval.contract import Side
from retrieval.engine.recommender import Recommender
from retrieval.ports import CandidateGrader, Grade, GradeCandidate
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.multilingual import FusedEmbedder, MultilingualEmbedder
from retrieval.tiers import DEFAULT_SCHEME

QUOTE_CHARS = 20
SETS = ("dev-tune", "dev-heldout", "real-tune", "real-heldout", "real")


class OracleGrader:
    """Grades by the set's judgements; with ``noise``, a share of the grades are random."""

    def __init__(self, judged: Mapping[str, int], top: int, noise: float, seed: int) -> None:
        self.judged = judged
        self.top = top
        self.noise = noise
        self.rng = random.Random(seed)

    def grade(
        self, brief: str, candidates: Mapping[Side, Sequence[GradeCandidate]]
    ) -> dict[str, Grade]:
        grades = {}
        for side in candidates.values():
            for candidate in side:
                grade = round(3 * self.judged.get(candidate.key, 0) / self.top)
                if self.rng.random() < self.noise:
                    grade = self.rng.randint(0, 3)
                grades[candidate.key] = Grade(grade, candidate.bio.strip()[:QUOTE_CHARS].strip())
        return grades


def oracle(brief: dict[str, Any], top: int, noise: float | None) -> OracleGrader | None:
    """No grader (``noise`` None), or the oracle for ``brief``, seeded by its id."""
    if noise is None:
        return None
    return OracleGrader(brief["judgements"], top, noise, seed=zlib.crc32(brief["id"].encode()))


def picks_of(engine: Recommender, brief: dict[str, Any], grader: CandidateGrader | None) -> Picks:
    result = engine.recommend(request_for(brief), grader=grader)
    sides = {"awareness": "macro", "action": "micro"}
    picks: dict[str, list[str]] = {"macro": [], "micro": []}
    for pick in result.picks:
        picks[sides[pick.role]].append(pick.key)
    return picks, bool(result.shortfall)


def run(set_names: Sequence[str], noise: float, resamples: int) -> None:
    embedder = FusedEmbedder(LocalMiniLMEmbedder(MODEL_DIR), MultilingualEmbedder())
    for name in set_names:
        evalset = load_set(name)
        followers = {c.key: c.followers for c in evalset.creators}
        scores: dict[str, list[dict[str, float]]] = {}
        with indexed(evalset.creators, embedder) as index:
            engine = Recommender(index, DEFAULT_SCHEME, embedder)
            systems = {
                "product, no grader": None,
                "product + oracle grader": 0.0,
                f"product + oracle, {noise:.0%} random grades": noise,
            }
            for label, share in systems.items():
                scores[label] = [
                    brief_scores(
                        picks_of(engine, b, oracle(b, evalset.top_grade, share)),
                        b,
                        followers,
                        evalset.on_topic,
                    )
                    for b in evalset.briefs
                ]
        base = scores["product, no grader"]
        print(f"\n{name} ({len(evalset.briefs)} briefs)")
        print("| system | nDCG | nDCG macro | nDCG micro | on-topic | nDCG - no grader [95% CI] |")
        print("|---|---:|---:|---:|---:|---|")
        for label, rows in scores.items():
            diff, low, high = paired_interval(
                [r["ndcg"] for r in rows], [r["ndcg"] for r in base], resamples
            )
            print(
                f"| {label} | {mean([r['ndcg'] for r in rows]):.3f} | "
                f"{mean([r['ndcg_macro'] for r in rows]):.3f} | "
                f"{mean([r['ndcg_micro'] for r in rows]):.3f} | "
                f"{mean([r['on_topic'] for r in rows]):.2f} | "
                f"{diff:+.3f} [{low:+.3f}, {high:+.3f}] |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("sets", nargs="*", help=f"of {', '.join(SETS)} (default: the held-out)")
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--resamples", type=int, default=2000)
    args = parser.parse_args()
    if unknown := set(args.sets) - set(SETS):
        parser.error(f"unknown set(s) {', '.join(sorted(unknown))}; choose from {', '.join(SETS)}")
    run(args.sets or ["dev-heldout", "real-heldout"], args.noise, args.resamples)


if __name__ == "__main__":
    main()

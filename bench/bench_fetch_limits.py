"""Recommend quality and speed under Chroma Cloud's 300-result limit, on one index of the 5,000
real TikTok bios: the old wide fetch (up to 3,000 results), the 300 cap alone, and the 300 cap
with the exact scan of rare sides (``retrieval.engine.ranking.EXACT_SCAN``). The real-bio briefs
(both halves, 32) run unfiltered and with a country filter each: a filter is what makes a side
too rare for the unfiltered fetch.

    python bench/bench_fetch_limits.py [--country US --country CH ...]

Measured 2026-12-01 on 2 shared cores (nDCG over the judged creators; picks per brief of 7 asked;
ms p50 per brief, under varying load from other processes, so only roughly comparable):

| variant | unfiltered nDCG | US nDCG / picks | CH | ZA | MA | answers as the old fetch |
|---|---:|---:|---:|---:|---:|---:|
| old 3,000 | 0.690 | 0.256 / 6.09 | 0.092 / 5.94 | 0.196 / 6.28 | 0.075 / 4.25 | 160 of 160 |
| cap 300 | 0.690 | 0.209 / 5.12 | 0.087 / 4.62 | 0.180 / 4.97 | 0.067 / 3.34 | 77 of 160 |
| cap 300 + scan | 0.690 | 0.256 / 6.12 | 0.092 / 5.97 | 0.200 / 6.34 | 0.075 / 4.25 | 153 of 160 |

ms p50 (unfiltered / US / CH / ZA / MA): old 623 / 523 / 527 / 264 / 169; cap 204 / 39 / 51 / 44 /
101; cap + scan 122 / 121 / 131 / 197 / 135 (an earlier run under other load: old 214-252 and
cap + scan 265-336 on the filtered briefs). Unfiltered briefs ask for 150 results in every
variant, so their answers are the same; the scan reads each rare side's vectors (300 ids per
read).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_quality as quality  # noqa: E402

import retrieval.store.index as index_module  # noqa: E402
from retrieval.engine import ranking  # noqa: E402
from retrieval.engine.recommender import Recommender  # noqa: E402
from retrieval.store.embeddings import LocalMiniLMEmbedder  # noqa: E402
from retrieval.store.multilingual import FusedEmbedder, MultilingualEmbedder  # noqa: E402
from retrieval.tiers import DEFAULT_SCHEME  # noqa: E402

#: (ranking.WIDE_FETCH, the index's cap on results, ranking.EXACT_SCAN) per variant.
VARIANTS = {
    "old 3,000": (3_000, 10**9, 0),
    "cap 300": (300, 300, 0),
    "cap 300 + scan": (300, 300, ranking.EXACT_SCAN),
}
SIDES = {"awareness": "macro", "action": "micro"}


def run_variant(
    engine: Recommender,
    briefs: list[tuple[quality.EvalSet, dict[str, Any]]],
    country: str | None,
    followers: dict[str, int],
) -> tuple[dict[str, float], list[list[str]]]:
    scores, times, counts, answers = [], [], [], []
    for evalset, brief in briefs:
        request = quality.request_for(brief)
        if country:
            request = request.model_copy(update={"country": [country]})
        started = time.perf_counter()
        answer = engine.recommend(request)
        times.append(time.perf_counter() - started)
        chosen: dict[str, list[str]] = {"macro": [], "micro": []}
        for pick in answer.picks:
            chosen[SIDES[pick.role]].append(pick.key)
        picks = (chosen, bool(answer.shortfall))
        scores.append(quality.brief_scores(picks, brief, followers, evalset.on_topic))
        counts.append(len(answer.picks))
        answers.append([pick.key for pick in answer.picks])
    row = {
        "ndcg": quality.mean([s["ndcg"] for s in scores]),
        "shortfall": quality.mean([s["shortfall"] for s in scores]),
        "picks": statistics.mean(counts),
        "ms_p50": 1000 * statistics.median(times),
    }
    return row, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--country", action="append", help="country filters (default 4)")
    countries: list[str | None] = [None, *(parser.parse_args().country or ["US", "CH", "ZA", "MA"])]
    minilm = LocalMiniLMEmbedder(quality.MODEL_DIR)
    embedder = FusedEmbedder(minilm, MultilingualEmbedder())
    sets = [quality.load_set("real-tune"), quality.load_set("real-heldout")]
    briefs = [(evalset, brief) for evalset in sets for brief in evalset.briefs]
    followers = {creator.key: creator.followers for creator in sets[0].creators}
    answers: dict[tuple[str, str | None], list[list[str]]] = {}
    with quality.indexed(sets[0].creators, embedder) as index:
        for label, (wide, cap, scan) in VARIANTS.items():
            ranking.WIDE_FETCH, index_module.MAX_SEARCH_RESULTS, ranking.EXACT_SCAN = (
                wide,
                cap,
                scan,
            )
            engine = Recommender(index, DEFAULT_SCHEME, embedder)
            for country in countries:
                row, answers[(label, country)] = run_variant(engine, briefs, country, followers)
                print(
                    f"{label:15} country={country or '-':3} nDCG={row['ndcg']:.3f} "
                    f"shortfall={row['shortfall']:.2f} picks/brief={row['picks']:.2f} "
                    f"ms p50={row['ms_p50']:.0f}",
                    flush=True,
                )
    baseline = next(iter(VARIANTS))
    for label in VARIANTS:
        same = sum(
            mine == old
            for country in countries
            for mine, old in zip(
                answers[(label, country)], answers[(baseline, country)], strict=True
            )
        )
        print(f"{label}: answers as {baseline}: {same} of {len(briefs) * len(countries)}")


if __name__ == "__main__":
    main()

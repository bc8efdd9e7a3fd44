"""Latency of ``Recommender.recommend`` without an LLM, in process, on a large synthetic roster.

    python bench/bench_recommend.py [--size 100000] [--briefs 200] [--shared-dir ../shared]
                                    [--distinct 20000] [--json]

The roster is built from the shared TikTok bios (column ``signature``) in embedded Chroma and
cached under ``bench/.cache/recommend-<size>/`` (git-ignored), so only the first run pays for it.
Embedding 100,000 bios takes 15+ minutes here, so the roster has ``--distinct`` different texts
(the bios as they are, then each bio joined with another one) and every later creator reuses one
of them: its vector is the real model's vector of that text, computed once. Handles, platforms,
follower counts, countries, languages and engagement rates vary per creator.

Briefs are the 40 development briefs of ``tests/eval/briefs.json``, cycled to ``--briefs``, every
few with a country, language, platform or follower filter so the selective-filter path runs too.
Reported: p50 / p95 / p99 / mean of the whole call after a warm-up (target p95 < 150 ms), the
first call's time (model load, roster table) and where the time goes.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.contract import RecommendRequest  # noqa: E402
from retrieval.engine.recommender import Recommender  # noqa: E402
from retrieval.ports import FloatMatrix, FloatVector  # noqa: E402
from retrieval.roster.creator import Creator, normalize_language  # noqa: E402
from retrieval.store.embeddings import LocalMiniLMEmbedder  # noqa: E402
from retrieval.store.index import CreatorIndex  # noqa: E402
from retrieval.tiers import DEFAULT_SCHEME  # noqa: E402

CACHE = REPO / "bench" / ".cache"
TARGET_P95_MS = 150.0
PLATFORMS = ("tiktok", "instagram", "youtube")
WARM_UP = 5
FILTER_CYCLE: tuple[dict[str, Any], ...] = (
    {},
    {"country": ["US"]},
    {},
    {"language": ["es"]},
    {},
    {"platform": ["youtube"]},
    {},
    {"max_followers": 50_000},
    {"country": ["DE"], "language": ["de"]},
    {"min_followers": 500_000},
)


class ReusingEmbedder:
    """The real model, but each distinct text is embedded once (bios reused across creators)."""

    def __init__(self, inner: LocalMiniLMEmbedder, vectors: dict[str, FloatVector]) -> None:
        self._inner = inner
        self._vectors = vectors

    @property
    def identity(self) -> str:
        return self._inner.identity

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> FloatMatrix:
        missing = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._inner.embed(missing), strict=True))
        if progress is not None:
            progress(len(texts))
        return np.stack([self._vectors[text] for text in texts])

    def embed_query(self, text: str) -> FloatVector:
        return self._inner.embed_query(text)


def tiktok_rows(shared_dir: Path) -> list[dict[str, str]]:
    path = shared_dir / "data" / "tiktok_influencers.csv"
    if not path.is_file():
        raise SystemExit(f"{path} is missing; pass --shared-dir pointing at the shared folder")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def distinct_texts(rows: list[dict[str, str]], count: int) -> list[str]:
    """The bios as they are, then bio + another bio, until ``count`` distinct texts."""
    bios = [row["signature"] for row in rows]
    texts = list(dict.fromkeys(bios))
    step = 0
    while len(texts) < count:
        step += 1
        for index, bio in enumerate(bios):
            texts.append(f"{bio}\n{bios[(index * 7 + step) % len(bios)]}".strip())
        texts = list(dict.fromkeys(texts))
    return texts[:count]


def language_code(name: str) -> str | None:
    try:
        return normalize_language(name)
    except ValueError:
        return None


def synthetic_roster(rows: list[dict[str, str]], texts: list[str], size: int) -> list[Creator]:
    rng = random.Random(20_240_601)
    creators = []
    for number in range(size):
        row = rows[number % len(rows)]
        creators.append(
            Creator(
                handle=f"{row['username'].lower()}_{number}",
                platform=PLATFORMS[rng.randrange(len(PLATFORMS))],
                followers=int(10 ** rng.uniform(2.5, 6.8)),
                bio=texts[number % len(texts)],
                country=row["region"] or None,
                language=language_code(row["language"]),
                engagement_rate=round(rng.uniform(0.005, 0.12), 4),
            )
        )
    return creators


def open_store(
    shared_dir: Path, size: int, distinct: int, model: LocalMiniLMEmbedder
) -> CreatorIndex:
    """The cached store, built first when missing or incomplete."""
    data_dir = CACHE / f"recommend-{size}-{distinct}"
    index = CreatorIndex.open(data_dir, model, DEFAULT_SCHEME)
    if index.count() == size:
        return index
    index.close()
    rows = tiktok_rows(shared_dir)
    texts = distinct_texts(rows, min(distinct, size))
    started = time.perf_counter()
    print(f"embedding {len(texts):,} distinct bios (cached in {data_dir})...", file=sys.stderr)
    vectors = dict(zip(texts, model.embed(texts), strict=True))
    print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr)
    index = CreatorIndex.open(data_dir, ReusingEmbedder(model, vectors), DEFAULT_SCHEME)
    started = time.perf_counter()
    print(f"writing {size:,} creators to Chroma and the catalog...", file=sys.stderr)
    index.upsert(synthetic_roster(rows, texts, size))
    print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr)
    index.close()
    return CreatorIndex.open(data_dir, model, DEFAULT_SCHEME)


def requests(count: int) -> list[RecommendRequest]:
    briefs = [
        b["brief"] for b in json.loads((REPO / "tests/eval/briefs.json").read_text())["briefs"]
    ]
    return [
        RecommendRequest.model_validate(
            {"brief": briefs[number % len(briefs)], **FILTER_CYCLE[number % len(FILTER_CYCLE)]}
        )
        for number in range(count)
    ]


@contextmanager
def timing(owner: Any, names: Sequence[str], totals: dict[str, float]) -> Iterator[None]:
    """Add the time spent in ``owner.<name>`` calls to ``totals[name]``."""
    originals = {name: getattr(owner, name) for name in names}

    def timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                totals[name] = totals.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    for name, method in originals.items():
        setattr(owner, name, timed(name, method))
    try:
        yield
    finally:
        for name in originals:
            delattr(owner, name)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run(shared_dir: Path, size: int, briefs: int, distinct: int) -> dict[str, Any]:
    model = LocalMiniLMEmbedder(shared_dir / "models" / "all-MiniLM-L6-v2" / "onnx")
    with open_store(shared_dir, size, distinct, model) as index:
        engine = Recommender(index, DEFAULT_SCHEME, model)
        batch = requests(briefs)
        started = time.perf_counter()
        engine.recommend(batch[0])
        first_ms = (time.perf_counter() - started) * 1000
        for request in batch[1:WARM_UP]:
            engine.recommend(request)
        samples: list[float] = []
        stages: dict[str, float] = {}
        picks = shortfalls = 0
        stage_names = (
            "dense_search",
            "lexical_search",
            "get_many",
            "vectors",
            "count",
            "find_handle",
        )
        with timing(index, stage_names, stages), timing(model, ("embed",), stages):
            for request in batch:
                started = time.perf_counter()
                result = engine.recommend(request)
                samples.append((time.perf_counter() - started) * 1000)
                picks += len(result.picks)
                shortfalls += len(result.shortfall)
    total = sum(samples)
    return {
        "creators": size,
        "distinct_bios": min(distinct, size),
        "briefs": briefs,
        "p50_ms": percentile(samples, 0.50),
        "p95_ms": percentile(samples, 0.95),
        "p99_ms": percentile(samples, 0.99),
        "mean_ms": statistics.fmean(samples),
        "first_call_ms": first_ms,
        "target_p95_ms": TARGET_P95_MS,
        "stage_share": {name: seconds * 1000 / total for name, seconds in stages.items()},
        "picks_per_brief": picks / briefs,
        "shortfalls_per_brief": shortfalls / briefs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--briefs", type=int, default=200)
    parser.add_argument("--distinct", type=int, default=20_000)
    parser.add_argument("--shared-dir", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.shared_dir, args.size, args.briefs, args.distinct)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"recommend() on {result['creators']:,} creators ({result['distinct_bios']:,} distinct "
        f"bios), {result['briefs']} briefs, no LLM, embedded Chroma"
    )
    print("| p50 ms | p95 ms | p99 ms | mean ms | target p95 |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {result['p50_ms']:.0f} | {result['p95_ms']:.0f} | {result['p99_ms']:.0f} | "
        f"{result['mean_ms']:.0f} | < {TARGET_P95_MS:.0f} |"
    )
    print(
        f"\nfirst call (loads the model, builds the roster table): {result['first_call_ms']:.0f} ms"
    )
    print("share of the total time spent in:")
    for name, share in sorted(result["stage_share"].items(), key=lambda item: -item[1]):
        print(f"  {name:15s} {share:6.1%}")
    print(
        f"picks per brief {result['picks_per_brief']:.1f}, "
        f"shortfall entries per brief {result['shortfalls_per_brief']:.2f}"
    )
    if result["p95_ms"] >= TARGET_P95_MS:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

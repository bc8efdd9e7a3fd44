"""Storyfit's local embedder against chromadb's ONNXMiniLM_L6_V2 on real bios, same model files,
and the product's fused embedder (MiniLM + multilingual USE v3) against MiniLM alone.

    python bench/bench_embeddings.py [--shared-dir ../shared] [--count 2000] [--batch-size 16]
                                     [--sweep 8,16,32,64,128] [--real-only] [--json]

Prints bios/s for each, the speed-up (target >= 4x) and the largest difference between their
vectors (must be <= 1e-5), then the fused embedder's bios/s, each encoder's share of its time and
its cost against MiniLM alone. Exits 1 when the vectors disagree. ``--real-only`` takes the bios
from the shared TikTok file alone (no sample-roster bios).

Measured 2026-12-01 with ``--real-only --count 2000`` (2,000 real TikTok bios, 7.1 words on
average; 2 cores shared with other jobs, load average 6.2 -> 5.2, so absolute rates move with
the load): MiniLM alone 187 bios/s on its first pass and 84 bios/s on the pass paired with USE
(10.7 s and 23.7 s), USE 164 bios/s (12.2 s); fused 56 bios/s, USE 34% of the fused time, fused
1.5x the time of MiniLM alone on the paired pass (2.1x against MiniLM's faster first pass).
chromadb's ONNXMiniLM_L6_V2 managed 3.6 bios/s under that load (speed-up 51x, max |diff| 0).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from retrieval.store.embeddings import LOCAL_BATCH_SIZE, LocalMiniLMEmbedder  # noqa: E402
from retrieval.store.multilingual import MultilingualEmbedder  # noqa: E402

SAMPLE_ROSTER = REPO_ROOT / "bot" / "data" / "sample_roster.csv"
SPEEDUP_TARGET = 4.0
MAX_DIFFERENCE = 1e-5
WARM_UP_TEXTS = 32

Vectors = npt.NDArray[np.float32]


def read_column(path: Path, column: str) -> list[str]:
    """Non-blank values of one CSV column."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle) if (row.get(column) or "").strip()]


def load_bios(
    shared_dir: Path, count: int, real_only: bool = False
) -> tuple[list[str], dict[str, int]]:
    """The sample roster's bios (when present, unless ``real_only``) topped up with TikTok
    signatures."""
    roster = read_column(SAMPLE_ROSTER, "bio") if SAMPLE_ROSTER.is_file() and not real_only else []
    tiktok = read_column(shared_dir / "data" / "tiktok_influencers.csv", "signature")
    bios = (roster + tiktok)[:count]
    if len(bios) < count:
        raise SystemExit(f"only {len(bios)} non-empty bios available, {count} asked for")
    from_roster = min(len(roster), count)
    return bios, {"sample_roster": from_roster, "tiktok": count - from_roster}


def timed(embed: Callable[[list[str]], Vectors], bios: list[str]) -> tuple[Vectors, float]:
    embed(bios[:WARM_UP_TEXTS])
    start = time.perf_counter()
    vectors = embed(bios)
    return vectors, time.perf_counter() - start


def chromadb_embed(model_dir: Path) -> Callable[[list[str]], Vectors]:
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    function = ONNXMiniLM_L6_V2()
    # chromadb reads <DOWNLOAD_PATH>/onnx/; with the files there it does not download.
    function.DOWNLOAD_PATH = model_dir.parent
    return lambda texts: np.array(function(texts), dtype=np.float32)


def storyfit_embed(model_dir: Path, batch_size: int) -> Callable[[list[str]], Vectors]:
    return LocalMiniLMEmbedder(model_dir=model_dir, batch_size=batch_size).embed


def fused_timing(model_dir: Path, batch_size: int, bios: list[str]) -> dict[str, Any]:
    """The fused embedder's cost, as its two encoders (``FusedEmbedder`` runs one after the
    other, and its join is a copy): seconds of each, bios/s of the whole, ratio to MiniLM."""
    _, minilm = timed(storyfit_embed(model_dir, batch_size), bios)
    _, multilingual = timed(MultilingualEmbedder().embed, bios)
    fused = minilm + multilingual
    return {
        "minilm_seconds": minilm,
        "use_seconds": multilingual,
        "bios_per_s": len(bios) / fused,
        "minilm_bios_per_s": len(bios) / minilm,
        "use_share": multilingual / fused,
        "time_vs_minilm": fused / minilm,
    }


def parse_sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def run(args: argparse.Namespace) -> dict[str, Any]:
    model_dir: Path = args.model_dir or args.shared_dir / "models" / "all-MiniLM-L6-v2" / "onnx"
    load_before = os.getloadavg()[0]
    bios, sources = load_bios(args.shared_dir, args.count, args.real_only)
    reference, chromadb_seconds = timed(chromadb_embed(model_dir), bios)
    ours, ours_seconds = timed(storyfit_embed(model_dir, args.batch_size), bios)
    sweep = []
    for size in args.sweep:
        _, seconds = timed(storyfit_embed(model_dir, size), bios)
        sweep.append({"batch_size": size, "seconds": seconds, "bios_per_s": len(bios) / seconds})
    return {
        "bios": len(bios),
        "sources": sources,
        "mean_words": float(np.mean([len(bio.split()) for bio in bios])),
        "cores": len(os.sched_getaffinity(0)),
        # Other work on the machine skews the timings; the 1-minute load says how much there was.
        "load_average": [load_before, os.getloadavg()[0]],
        "chromadb": {"seconds": chromadb_seconds, "bios_per_s": len(bios) / chromadb_seconds},
        "storyfit": {
            "batch_size": args.batch_size,
            "seconds": ours_seconds,
            "bios_per_s": len(bios) / ours_seconds,
        },
        "speedup": chromadb_seconds / ours_seconds,
        "max_abs_diff": float(np.abs(ours - reference).max()),
        "sweep": sweep,
        "fused": fused_timing(model_dir, args.batch_size, bios),
    }


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_table(result: dict[str, Any]) -> None:
    rows: list[Sequence[object]] = [
        ("embedder", "batch", "seconds", "bios/s"),
        ("chromadb ONNXMiniLM_L6_V2", 32, *_timing(result["chromadb"])),
        (
            "storyfit LocalMiniLMEmbedder",
            result["storyfit"]["batch_size"],
            *_timing(result["storyfit"]),
        ),
    ]
    rows += [
        ("  storyfit sweep", entry["batch_size"], *_timing(entry)) for entry in result["sweep"]
    ]
    sources = ", ".join(f"{count} {name}" for name, count in result["sources"].items())
    print(
        f"{result['bios']} bios ({sources}; mean {result['mean_words']:.1f} words), "
        f"{result['cores']} cores, load average {result['load_average'][0]:.1f} -> "
        f"{result['load_average'][1]:.1f}"
    )
    for name, batch, seconds, rate in rows:
        print(f"{name:<30} {batch!s:>5} {seconds:>8} {rate:>8}")
    speedup, difference = result["speedup"], result["max_abs_diff"]
    print(
        f"speed-up {speedup:.1f}x (target >= {SPEEDUP_TARGET:g}x: "
        f"{verdict(speedup >= SPEEDUP_TARGET)}); max |diff| {difference:.2e} "
        f"(limit {MAX_DIFFERENCE:g}: {verdict(difference <= MAX_DIFFERENCE)})"
    )


def print_fused(fused: dict[str, Any]) -> None:
    print(
        f"fused MiniLM + USE: {fused['bios_per_s']:.1f} bios/s (MiniLM alone "
        f"{fused['minilm_bios_per_s']:.1f}); MiniLM {fused['minilm_seconds']:.2f} s, USE "
        f"{fused['use_seconds']:.2f} s ({fused['use_share']:.0%} of the fused time); "
        f"fused / MiniLM time {fused['time_vs_minilm']:.2f}x"
    )


def _timing(entry: dict[str, Any]) -> tuple[str, str]:
    return f"{entry['seconds']:.2f}", f"{entry['bios_per_s']:.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-dir", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="default: <shared-dir>/models/all-MiniLM-L6-v2/onnx",
    )
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=LOCAL_BATCH_SIZE)
    parser.add_argument(
        "--sweep",
        type=parse_sizes,
        default=[],
        help="also time our embedder at these batch sizes, e.g. 8,16,32,64",
    )
    parser.add_argument(
        "--real-only", action="store_true", help="only the shared TikTok bios, no sample roster"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
        print_fused(result["fused"])
    return 0 if result["max_abs_diff"] <= MAX_DIFFERENCE else 1


if __name__ == "__main__":
    sys.exit(main())

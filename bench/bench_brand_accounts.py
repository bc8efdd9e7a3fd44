"""Brand-account recognition (``retrieval.roster.kind``): precision and recall on the
hand-labelled bios of ``bench/eval/brand_accounts.json`` (written before the detector was tuned),
and how many of the real TikTok bios in ``../shared/data/tiktok_influencers.csv`` it flags, with a
seeded sample of those to read for false positives.

    PYTHONPATH=$PWD python bench/bench_brand_accounts.py [--sample 30] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path

from retrieval.roster.kind import brand_score, detect_kind

ROOT = Path(__file__).resolve().parent
LABELLED = ROOT / "eval" / "brand_accounts.json"
REAL_BIOS = ROOT.parent.parent / "shared" / "data" / "tiktok_influencers.csv"


def labelled_figures() -> None:
    examples = json.loads(LABELLED.read_text(encoding="utf-8"))["examples"]
    counts = dict.fromkeys([("brand", "brand"), ("brand", "creator"), ("creator", "brand")], 0)
    for example in examples:
        said = detect_kind(example["bio"], example["name"])
        key = (example["kind"], said)
        if key in counts:
            counts[key] += 1
        if example["kind"] != said:
            score = brand_score(example["bio"], example["name"])
            print(f"  wrong ({example['kind']}, score {score}): {example['bio']}")
    true_pos = counts[("brand", "brand")]
    precision = true_pos / max(1, true_pos + counts[("creator", "brand")])
    recall = true_pos / max(1, true_pos + counts[("brand", "creator")])
    print(f"labelled set: {len(examples)} bios; precision {precision:.2f}, recall {recall:.2f}")


def real_figures(sample: int, seed: int) -> None:
    if not REAL_BIOS.exists():
        print(f"{REAL_BIOS} not found; real-bio figures skipped")
        return
    with REAL_BIOS.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    flagged = [row for row in rows if detect_kind(row["signature"], None) == "brand"]
    print(f"real bios: {len(flagged)} of {len(rows)} flagged as brand accounts")
    for row in random.Random(seed).sample(flagged, min(sample, len(flagged))):
        bio = " ".join(row["signature"].split())
        print(f"  @{row['username']} (commerceUser={row['commerceUser']}): {bio}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    labelled_figures()
    real_figures(args.sample, args.seed)


if __name__ == "__main__":
    main(sys.argv[1:])

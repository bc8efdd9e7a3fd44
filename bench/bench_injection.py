"""How well the bio injection detector catches the family, and what it costs real creators.

    python bench/bench_injection.py [--bios ../shared/data/tiktok_influencers.csv] [--show]

- recall on ``bench/eval/injection_heldout.json``: bios that talk to a recommender, in six
  languages, written before the detector was last designed and never tuned on;
- recall on ``bench/eval/injection_tuning.json`` (the phrasings the design looked at), if present,
  and how many of its benign bios (mentioning AI, bots, rankings) are flagged;
- false positives on the real bios (the ``signature`` column of the shared TikTok data): every
  bio flagged there is a creator who could never be picked; ``--show`` prints them;
- the detector's cost per bio over the real bios, and on a 50,000-character bio.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from retrieval.engine.bio_checks import is_instruction_like  # noqa: E402

EVAL_DIR = REPO_ROOT / "bench" / "eval"
DEFAULT_BIOS = REPO_ROOT.parent / "shared" / "data" / "tiktok_influencers.csv"


def recall(path: Path, show: bool) -> None:
    if not path.exists():
        print(f"{path.name}: not present")
        return
    phrasings = json.loads(path.read_text(encoding="utf-8"))["phrasings"]
    by_lang: dict[str, list[bool]] = {}
    for item in phrasings:
        caught = is_instruction_like(item["text"])
        by_lang.setdefault(item["lang"], []).append(caught)
        if show and not caught:
            print(f"  missed [{item['lang']}] {item['text']}")
    hits = sum(sum(flags) for flags in by_lang.values())
    per_lang = ", ".join(f"{lang} {sum(f)}/{len(f)}" for lang, f in sorted(by_lang.items()))
    print(f"{path.name}: recall {hits}/{len(phrasings)} = {hits / len(phrasings):.1%} ({per_lang})")
    benign = json.loads(path.read_text(encoding="utf-8")).get("benign", [])
    wrong = [bio for bio in benign if is_instruction_like(bio)]
    if benign:
        print(f"{path.name}: {len(wrong)} of {len(benign)} benign bios flagged")
    for bio in wrong if show else []:
        print(f"  flagged benign: {bio}")


def false_positives(path: Path, show: bool) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        bios = [row["signature"] or "" for row in csv.DictReader(handle)]
    started = time.perf_counter()
    flagged = [bio for bio in bios if is_instruction_like(bio)]
    seconds = time.perf_counter() - started
    rate = len(flagged) / len(bios)
    print(f"real bios: {len(flagged)} of {len(bios)} flagged = {rate:.2%} false positives")
    print(f"cost: {seconds / len(bios) * 1e6:.1f} µs per bio ({seconds * 1000:.0f} ms in all)")
    if show:
        for bio in flagged:
            print("  flagged:", " ".join(bio.split())[:160])


def worst_case() -> None:
    for name, bio in (
        ("50,000 chars of 'ai '", "ai " * 16_667),
        ("50,000 chars of 'recommend me '", "recommend me " * 3_847),
    ):
        started = time.perf_counter()
        is_instruction_like(bio)
        print(f"worst case {name}: {(time.perf_counter() - started) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bios", type=Path, default=DEFAULT_BIOS)
    parser.add_argument("--show", action="store_true", help="print misses and flagged bios")
    args = parser.parse_args()
    recall(EVAL_DIR / "injection_heldout.json", args.show)
    recall(EVAL_DIR / "injection_tuning.json", args.show)
    false_positives(args.bios, args.show)
    worst_case()


if __name__ == "__main__":
    main()

"""What ``Recommender.recommend`` returns for the 40 development briefs, kept to compare two
versions of the code: a speed change must not change a single pick.

    python bench/check_picks.py --out picks-before.json            # on the old code
    python bench/check_picks.py --out picks-after.json --compare picks-before.json

The roster is the bundled sample (``bot/data/sample_roster.csv``) in a fresh embedded store. Each
brief of ``tests/eval/briefs.json`` is asked with its own filters, then again with one of the
filter sets ``bench/bench_recommend.py`` cycles through (so the filtered paths and the shortfall's
"without the filter" count run too). Kept per call: the whole answer as JSON (picks in order with
their fit, score-derived labels, reasons and evidence; shortfalls; notices). ``--compare`` lists
every call whose answer differs and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_recommend import FILTER_CYCLE  # noqa: E402
from retrieval.contract import RecommendRequest  # noqa: E402
from retrieval.engine.recommender import Recommender  # noqa: E402
from retrieval.roster.load import load_roster  # noqa: E402
from retrieval.store.blas import use_one_blas_thread  # noqa: E402
from retrieval.store.embeddings import build_embedder  # noqa: E402
from retrieval.store.index import CreatorIndex  # noqa: E402
from retrieval.tiers import DEFAULT_SCHEME  # noqa: E402

SAMPLE_ROSTER = REPO / "bot" / "data" / "sample_roster.csv"


def requests() -> list[tuple[str, RecommendRequest]]:
    """Each dev brief with its own filters, then with a filter set of the latency bench."""
    briefs = json.loads((REPO / "tests/eval/briefs.json").read_text())["briefs"]
    asked = []
    for number, brief in enumerate(briefs):
        own = {name: values for name, values in brief["filters"].items() if values}
        cycled = FILTER_CYCLE[number % len(FILTER_CYCLE)]
        for label, filters in (("own", own), ("cycled", cycled)):
            request = RecommendRequest.model_validate({"brief": brief["brief"], **filters})
            asked.append((f"{brief['id']}/{label}", request))
    return asked


def answers(model_dir: Path) -> dict[str, Any]:
    use_one_blas_thread()  # as the service does before it ranks
    embedder = build_embedder("local", model_dir, None, "unused")
    with (
        tempfile.TemporaryDirectory() as folder,
        CreatorIndex.open(Path(folder), embedder, DEFAULT_SCHEME) as index,
    ):
        index.upsert(load_roster(SAMPLE_ROSTER).creators)
        engine = Recommender(index, DEFAULT_SCHEME, embedder)
        return {
            name: engine.recommend(request).model_dump(mode="json") for name, request in requests()
        }


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One line per call whose answer changed, naming the picks when they did."""
    lines = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None or new is None:
            lines.append(f"{name}: only in {'after' if old is None else 'before'}")
            continue
        old_keys = [f"{p['platform']}:{p['handle']}" for p in old["picks"]]
        new_keys = [f"{p['platform']}:{p['handle']}" for p in new["picks"]]
        if old_keys != new_keys:
            lines.append(f"{name}: picks {old_keys} -> {new_keys}")
        else:
            changed = sorted(field for field in old if old[field] != new.get(field))
            lines.append(f"{name}: same picks, changed {', '.join(changed)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path, help="answers of the other version")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2" / "onnx",
    )
    args = parser.parse_args()
    result = answers(args.model_dir)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    print(f"{len(result)} answers written to {args.out}")
    if args.compare is None:
        return
    lines = differences(json.loads(args.compare.read_text(encoding="utf-8")), result)
    print("\n".join(lines) or f"every answer is the same as in {args.compare}")
    if lines:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""How long ``storyfit --help`` takes from process start to exit, and what it imports.

    python bench/bench_startup.py [--runs 10] [--json]

Runs ``python -c "from bot.cli import main; main()" --help`` ``--runs`` times (after one warm-up
run, so the OS file cache is warm) and prints the median and best wall time (target < 0.5 s),
plus the same for a bare ``python -c pass`` as the floor. Exits 1 when the median is over target
or when any of the heavy libraries (chromadb, onnxruntime, openai, matplotlib, slack_bolt) is
imported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.5
HEAVY = ("chromadb", "onnxruntime", "openai", "matplotlib", "slack_bolt")
HELP = "import sys; sys.argv[0] = 'storyfit'; from bot.cli import main; main()"
PROBE = (
    "import sys\nfrom bot.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
    f"print('heavy=' + ','.join(name for name in {HEAVY!r} if name in sys.modules))"
)


def _timed(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, cwd=REPO, capture_output=True, check=False)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    help_times = _timed([sys.executable, "-c", HELP, "--help"], args.runs)
    bare_times = _timed([sys.executable, "-c", "pass"], args.runs)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
    )
    heavy = [name for name in probe.stdout.rpartition("heavy=")[2].strip().split(",") if name]
    figures = {
        "help_median_s": round(statistics.median(help_times), 3),
        "help_best_s": round(min(help_times), 3),
        "python_median_s": round(statistics.median(bare_times), 3),
        "heavy_imported": heavy,
        "target_s": TARGET_SECONDS,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"storyfit --help: median {figures['help_median_s']:.3f} s, "
            f"best {figures['help_best_s']:.3f} s (target < {TARGET_SECONDS} s); "
            f"bare python: {figures['python_median_s']:.3f} s"
        )
        print(f"heavy libraries imported: {', '.join(heavy) or 'none'}")
    return 0 if figures["help_median_s"] < TARGET_SECONDS and not heavy else 1


if __name__ == "__main__":
    sys.exit(main())

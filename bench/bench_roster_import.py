"""Roster import benchmark: a large CSV through `storyfit ingest`, answered from while it runs.

Rosters are written from the shared TikTok bios (``bench_ingest.synthetic_rows``: synthetic
handles, distinct bios). Two measurements:

1. Reading: ``RosterStream`` checks and reads a ``--read-rows`` CSV (default 450,000) in this
   process without embedding: rows/s and peak RSS of the roster-reading part of an import.
2. Import: `storyfit ingest` of a ``--rows`` CSV (default 450,000; the real model embeds a few
   dozen bios a second on 2 cores, so use e.g. ``--rows 20000`` for a run of minutes) in a child
   process on a fresh data dir with embedded Chroma, while this process runs `storyfit recommend`
   and `storyfit tier @handle` one after the other: each one's wall time and whether it answered.
   Reported: creators/s, the import's peak RSS (``wait4``), reader latencies during the import and
   after it, and the import time extrapolated to 450,000 rows at the measured rate.

    python bench/bench_roster_import.py [--rows 20000] [--read-rows 450000] [--json]

Measured 2026-12-01 on the 2-core dev machine while other jobs kept it busy (load average ~11):

- Reading 450,000 rows (check pass + batch pass, no embedding): 96 s, 4,700 rows/s, peak RSS 185 MB
  for the whole process (117 MB when reading 1,000 rows: the file itself adds ~70 MB).
- Importing 5,000 rows: 262 s, 19 creators/s end to end (model loads included), peak RSS 635 MB;
  500 rows: 451 MB (the two embedding models and Chroma). At 19/s, 450,000 rows would take about
  6.5 h on this busy machine: extrapolated, not run. The import's own RSS growth with rows was
  not measured at scale. A one-off check of embedded Chroma alone (random 896-float vectors with
  Storyfit-sized metadata, upserted 1,000 at a time into a fresh PersistentClient) peaked at
  214 MB for 10,000 and 345 MB for 40,000 vectors: about 4.4 KB a creator, so roughly 2 GB at
  450,000 in whichever process holds the embedded store. A Chroma server (STORYFIT_CHROMA_URL)
  keeps the index out of the importer, but is not enough for 500 MB either: measured on a server
  by ``bench_import_450k.py``, the importer of the 450,000-row file is at 504 MB from its first
  batch and 575 MB at 18,000 creators (see bench/SCALE.md).
- During the 5,000-row import, 5 of 5 `recommend` runs answered (median 33 s, max 40 s, each a
  new process loading both models) and 5 of 5 `tier @handle` runs (median 20 s); `recommend` on
  the idle store afterwards took 25 s: waiting for the hand-over added about 8 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_ingest import synthetic_rows, write_csv  # noqa: E402

from retrieval.roster.stream import RosterStream  # noqa: E402

FULL_ROWS = 450_000
BRIEF = "A small roastery that pays growers fairly; people who make the morning brew a ritual"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_reading(roster: Path) -> dict[str, Any]:
    started = time.perf_counter()
    stream = RosterStream.open(roster)
    checked = time.perf_counter() - started
    read = sum(len(batch) for batch in stream.batches(1024))
    seconds = time.perf_counter() - started
    return {
        "read_rows": stream.report.total_rows,
        "read_creators": read,
        "read_check_seconds": checked,
        "read_seconds": seconds,
        "read_rows_per_second": stream.report.total_rows / seconds,
        "read_peak_rss_mb": peak_rss_mb(),
    }


class Importer:
    """`storyfit ingest` in a child process; ``wait4`` gives its own peak RSS."""

    def __init__(self, roster: Path, environment: dict[str, str]) -> None:
        command = [sys.executable, "-m", "bot", "ingest", str(roster)]
        self.started = time.perf_counter()
        self._process = subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.seconds = 0.0
        self.peak_rss_mb = 0.0
        self.exit_code: int | None = None
        self._waiter = threading.Thread(target=self._wait)
        self._waiter.start()

    def _wait(self) -> None:
        _, status, usage = os.wait4(self._process.pid, 0)
        self.seconds = time.perf_counter() - self.started
        self.peak_rss_mb = usage.ru_maxrss / 1024
        self.exit_code = os.waitstatus_to_exitcode(status)

    @property
    def running(self) -> bool:
        return self._waiter.is_alive()

    def output(self) -> str:
        self._waiter.join()
        assert self._process.stdout is not None and self._process.stderr is not None
        return self._process.stdout.read().decode() + self._process.stderr.read().decode()


def run_reader(environment: dict[str, str], *args: str) -> tuple[float, bool, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    last_line = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [""]
    return time.perf_counter() - started, done.returncode == 0, last_line[0][:200]


def readers_during(importer: Importer, environment: dict[str, str], handle: str) -> list[Any]:
    samples = []
    time.sleep(30)  # the model loads and the first batches are committed
    while importer.running:
        for args in (("recommend", BRIEF, "--json"), ("tier", f"@{handle}")):
            at = time.perf_counter() - importer.started
            seconds, answered, line = run_reader(environment, *args)
            samples.append({"command": args[0], "at": at, "seconds": seconds, "ok": answered})
            if not answered:
                samples[-1]["message"] = line
    return samples


def summary(samples: list[Any], command: str) -> dict[str, Any]:
    mine = [sample for sample in samples if sample["command"] == command]
    times = sorted(sample["seconds"] for sample in mine if sample["ok"])
    return {
        "runs": len(mine),
        "answered": len(times),
        "median_s": times[len(times) // 2] if times else None,
        "max_s": times[-1] if times else None,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    bios = args.shared_dir / "data" / "tiktok_influencers.csv"
    model_dir = args.shared_dir / "models" / "all-MiniLM-L6-v2" / "onnx"
    results: dict[str, Any] = {"rows": args.rows}
    with tempfile.TemporaryDirectory(prefix="storyfit-roster-bench-") as scratch:
        folder = Path(scratch)
        big = folder / "read.csv"
        write_csv(synthetic_rows(bios, args.read_rows, args.seed), big)
        results.update(measure_reading(big))
        big.unlink()

        roster = folder / "roster.csv"
        write_csv(synthetic_rows(bios, args.rows, args.seed), roster)
        handle = next(synthetic_rows(bios, 1, args.seed))["handle"]
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "STORYFIT_DATA_DIR": str(folder / "data"),
            "STORYFIT_EMBEDDING_MODEL_DIR": str(model_dir),
        }
        for name in ("OPENAI_API_KEY", "STORYFIT_CHROMA_URL", "STORYFIT_DATABASE_URL"):
            environment.pop(name, None)
        importer = Importer(roster, environment)
        samples = readers_during(importer, environment, handle)
        output = importer.output()
        if importer.exit_code != 0:
            raise SystemExit(f"the import failed ({importer.exit_code}):\n{output}")
        results["import_seconds"] = importer.seconds
        results["import_rows_per_second"] = args.rows / importer.seconds
        results["import_peak_rss_mb"] = importer.peak_rss_mb
        results["extrapolated_450k_hours"] = FULL_ROWS / results["import_rows_per_second"] / 3600
        results["recommend_during_import"] = summary(samples, "recommend")
        results["tier_during_import"] = summary(samples, "tier")
        results["refused_during_import"] = [s for s in samples if not s["ok"]][:3]
        after = [run_reader(environment, "recommend", BRIEF, "--json") for _ in range(2)]
        results["recommend_after_import_s"] = min(seconds for seconds, _, _ in after)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=FULL_ROWS, help="rows imported")
    parser.add_argument("--read-rows", type=int, default=FULL_ROWS, help="rows read (no embedding)")
    parser.add_argument("--shared-dir", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = run(args)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for key, value in results.items():
        print(f"{key:<28} {value:,.1f}" if isinstance(value, float) else f"{key:<28} {value}")


if __name__ == "__main__":
    main()

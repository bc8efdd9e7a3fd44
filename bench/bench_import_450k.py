"""The 450,000-row import: `storyfit ingest` on a server and on the embedded store, read during it.

    python bench/bench_import_450k.py --mode server [--minutes 100] [--rows 450000] [--port P]
    python bench/bench_import_450k.py --mode embedded [--minutes 6] [--cli-every 60]

A 450,000-row CSV is written from the shared TikTok bios (``bench_ingest.synthetic_rows``:
distinct handles and bios) to ``bench/.cache/roster-<rows>.csv`` (git-ignored, streamed to disk,
kept for the next run). The real ``python -m bot ingest ROSTER`` (the product's CLI, real models)
runs in a child process under ``nice -n 10`` on a fresh data dir until it ends or ``--minutes``
have passed (then it gets Ctrl-C: it keeps every committed batch and exits 130). Every ``--every``
seconds (default 5) this process samples the importer's RSS (VmRSS, and VmHWM: its peak so far),
the server's RSS and how many creators the store holds; the importer's own peak RSS and CPU come
from ``wait4`` at the end.

- Readers, from the first committed batch on: every ``--cli-every`` seconds a `storyfit recommend`
  and a `storyfit tier @handle` process (both modes; embedded, each waits for the import to hand
  the store over between two batches); in server mode also a long-lived process on the same data
  dir (like a running bot) that opens ``StoryfitService`` and times ``recommend`` every ~5 s.
- ``--mode server``: a fresh ``chroma run`` (its store under
  ``bench/.cache/import-<rows>-server/chroma-server/data``) and ``STORYFIT_CHROMA_URL`` for all.

Rates come from the store's count: overall, and over the steady part (after the first minute).
A run stopped before the end extrapolates to 450,000 (rate and RSS slope), labelled so.

**The whole file in one run (2026-12-01, 780d3f2, bench/SCALE.md section 2.0):** exit 0, all
450,000 creators committed in 70.0 min (107 rows/s overall, 10.7 ms of importer CPU a creator),
importer RSS 474-475 MB from 9,472 creators to the last batch, 489 MB during the final history
snapshot: **peak RSS (``wait4``) 488.8 MB**. Beside it, the bot's ``recommend`` answered all 828
calls (p50 127 ms, p95 1.03 s, max 6.5 s), ``storyfit recommend`` processes p50 8.3 s and
``storyfit tier @handle`` p50 2.7 s; no process rebuilt the catalog. Chroma server RSS 2,239 MB.
Earlier runs (the failures they found, the memory and speed fixes, the embedded store) and the
step-by-step figures: bench/SCALE.md section 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_ingest import synthetic_rows, write_csv  # noqa: E402
from bench_recommend import timing  # noqa: E402
from bench_roster_import import BRIEF, run_reader  # noqa: E402
from bench_scale_server import chroma_server, cpu_seconds, niced, rss_mb  # noqa: E402

CACHE = REPO / "bench" / ".cache"
FULL_ROWS = 450_000
GOAL_RSS_MB = 500.0
DEFAULT_PORT = 18741
COLLECTION = "storyfit-creators"
#: The recommender stage the long-lived reader times: the roster table and the calibration sample
#: (``_current_roster``), rebuilt once per roster revision (an import makes one every batch): in the
#: call for the first one, in the background after that while a write is under way.
READER_STAGES = {"_current_roster": "roster table and sample"}


def roster(shared_dir: Path, rows: int, seed: int) -> Path:
    """The ``rows``-row CSV in bench/.cache, written once (one row at a time)."""
    path = CACHE / f"roster-{rows}.csv"
    done = path.with_suffix(".done")
    if not done.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        write_csv(synthetic_rows(shared_dir / "data" / "tiktok_influencers.csv", rows, seed), path)
        done.touch()
    return path


def status_kb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Importer:
    """`storyfit ingest` in a child process, its output in a file; ``wait4`` gives its peak RSS."""

    def __init__(self, path: Path, environment: dict[str, str], log: Path) -> None:
        command = [*niced(), sys.executable, "-m", "bot", "ingest", str(path)]
        self.started = time.perf_counter()
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                # A shell's background job ignores SIGINT, and so would its children: give the
                # import Python's Ctrl-C back, so that ``interrupt`` stops it as a user would.
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),
            )
        self.seconds = 0.0
        self.peak_rss_mb = 0.0
        self.cpu_seconds = 0.0
        self.exit_code: int | None = None
        self._waiter = threading.Thread(target=self._wait)
        self._waiter.start()

    def _wait(self) -> None:
        _, status, usage = os.wait4(self.process.pid, 0)
        self.seconds = time.perf_counter() - self.started
        self.peak_rss_mb = usage.ru_maxrss / 1024
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        self.exit_code = os.waitstatus_to_exitcode(status)

    @property
    def running(self) -> bool:
        return self._waiter.is_alive()

    def interrupt(self) -> None:
        if self.running:
            self.process.send_signal(signal.SIGINT)
        self._waiter.join(timeout=300)
        if self.running:
            self.process.kill()
            self._waiter.join()


def stored_count(url: str | None, data_dir: Path) -> int | None:
    """Creators in the store: the server's count, or the importer's catalog (embedded)."""
    if url is not None:
        import chromadb

        client = chromadb.HttpClient(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]))
        try:
            return int(client.get_collection(COLLECTION).count())
        except Exception:  # not created yet
            return None
    import sqlite3

    catalog = data_dir / "catalog.sqlite3"
    if not catalog.exists():
        return None
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM creators").fetchone()[0])
    except sqlite3.Error:
        return None


def reader_loop(every: float) -> None:
    """``--reader``: a long-lived process like a running bot: ``recommend`` every ``every`` s,
    one JSON line per call (settings from the environment)."""
    from bot.service import StoryfitService
    from bot.settings import Settings
    from retrieval.contract import RecommendRequest

    request = RecommendRequest(brief=BRIEF)
    with StoryfitService(Settings()) as service:
        while True:
            started, cpu = time.perf_counter(), time.process_time()
            stages: dict[str, float] = {}
            try:
                with timing(service.recommender, READER_STAGES, stages):
                    result = service.recommend(request)
                line: dict[str, Any] = {"ok": True, "picks": len(result.picks)}
            except Exception as error:  # a failed answer is a figure too
                line = {"ok": False, "error": f"{type(error).__name__}: {error}"[:200]}
            line["ms"] = (time.perf_counter() - started) * 1000
            # The whole process's CPU during the call: background threads (catalog refresher,
            # roster table rebuild) included.
            line["cpu_ms"] = (time.process_time() - cpu) * 1000
            line["stage_ms"] = {name: round(s * 1000) for name, s in stages.items()}
            line["count"] = service.index.count()
            line["at"] = time.time()
            print(json.dumps(line), flush=True)
            time.sleep(max(0.0, every - (time.perf_counter() - started)))


#: A `storyfit` process slower than this has the last line it wrote kept in cli.jsonl.
SLOW_SECONDS = 20.0


def cli_readers(
    importer: Importer, environment: dict[str, str], handle: str, out: Path, every: float
) -> None:
    """New processes while the import runs, a round every ``every`` seconds, as a user at a
    terminal would: `storyfit recommend` (it loads the encoders) and `storyfit tier @handle` (a
    catalog lookup). Embedded mode: each waits for the import to hand the store over between two
    batches."""
    while importer.running:
        started = time.monotonic()
        for args in (("recommend", BRIEF, "--json"), ("tier", f"@{handle}")):
            seconds, answered, line = run_reader(environment, *args)
            sample = {"command": args[0], "ok": answered, "ms": seconds * 1000, "at": time.time()}
            if not answered or seconds > SLOW_SECONDS:  # what it said (a wait, an error)
                sample["message"] = line
            with out.open("a") as file:
                file.write(json.dumps(sample) + "\n")
        while importer.running and time.monotonic() - started < every:
            time.sleep(1)


def first_handle(path: Path) -> str:
    """The handle on the file's first row: a creator committed by the first batch."""
    import csv

    with path.open(newline="", encoding="utf-8") as file:
        return str(next(csv.DictReader(file))["handle"])


def _cpu_or_none(pid: int) -> float | None:
    try:
        return cpu_seconds(pid)
    except OSError:  # it has just ended
        return None


def sample_until(
    importer: Importer,
    minutes: float,
    every: float,
    url: str | None,
    server_pid: int | None,
    data_dir: Path,
    timeline: Path,
) -> None:
    deadline = time.monotonic() + minutes * 60
    while importer.running and time.monotonic() < deadline:
        pid = importer.process.pid
        sample = {
            "t": round(time.perf_counter() - importer.started, 1),
            "at": time.time(),
            "count": stored_count(url, data_dir),
            "importer_rss_mb": round(status_kb(pid, "VmRSS")),
            "importer_hwm_mb": round(status_kb(pid, "VmHWM")),
            "importer_cpu_s": _cpu_or_none(pid),
            "server_rss_mb": round(rss_mb(server_pid)) if server_pid else None,
            "load": os.getloadavg()[0],
        }
        with timeline.open("a") as file:
            file.write(json.dumps(sample) + "\n")
        print(json.dumps(sample), file=sys.stderr, flush=True)
        time.sleep(every)


def run(args: argparse.Namespace) -> dict[str, Any]:
    path = roster(args.shared_dir, args.rows, args.seed)
    folder = CACHE / f"import-{args.rows}-{args.mode}"
    if folder.exists():
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    folder.mkdir(parents=True)
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "STORYFIT_DATA_DIR": str(folder / "data"),
        "STORYFIT_EMBEDDING_MODEL_DIR": str(
            args.shared_dir / "models" / "all-MiniLM-L6-v2" / "onnx"
        ),
    }
    for name in ("OPENAI_API_KEY", "STORYFIT_CHROMA_URL", "STORYFIT_DATABASE_URL"):
        environment.pop(name, None)
    load_before = os.getloadavg()
    if args.mode == "server":
        with chroma_server(folder / "chroma-server", args.port) as (url, server_pid, _):
            environment["STORYFIT_CHROMA_URL"] = url
            result = observe(args, path, folder, environment, url, server_pid)
            result["server_rss_mb_end"] = rss_mb(server_pid)
            if args.rebuild:  # offset paging: minutes at 450,000 creators
                result.update(catalog_rebuild(url, args.shared_dir))
    else:
        result = observe(args, path, folder, environment, None, None)
    result["load_average_before"] = list(load_before)
    result["load_average_after"] = list(os.getloadavg())
    return result


def observe(
    args: argparse.Namespace,
    path: Path,
    folder: Path,
    environment: dict[str, str],
    url: str | None,
    server_pid: int | None,
) -> dict[str, Any]:
    timeline, reads = folder / "timeline.jsonl", folder / "reads.jsonl"
    importer = Importer(path, environment, folder / "ingest.log")
    reader: subprocess.Popen[bytes] | None = None
    if url is not None:  # a long-lived process, like a running bot on the same data dir
        with reads.open("wb") as out, (folder / "reader.log").open("wb") as said:
            reader = subprocess.Popen(
                [*niced(), sys.executable, __file__, "--reader", "--every", "5"],
                env=environment,
                stdout=out,
                stderr=said,
            )
    readers = threading.Thread(
        target=cli_readers,
        args=(importer, environment, first_handle(path), folder / "cli.jsonl", args.cli_every),
    )
    readers.start()
    try:
        sample_until(importer, args.minutes, args.every, url, server_pid, folder / "data", timeline)
    finally:
        importer.interrupt()
        if reader is not None:
            reader.terminate()
            reader.wait(timeout=30)
        readers.join()
    return summarise(args, importer, url, (timeline, reads), folder)


def catalog_rebuild(url: str, shared_dir: Path) -> dict[str, Any]:
    """Open the index on the server with an empty data dir: the whole catalog is rebuilt from
    Chroma, as another process's catalog is whenever an import batch moves the revision."""
    import tempfile

    from bench_recommend import fused_embedder

    from retrieval.store.index import CreatorIndex
    from retrieval.tiers import DEFAULT_SCHEME

    embedder, _, _ = fused_embedder(shared_dir)
    with tempfile.TemporaryDirectory(prefix="storyfit-rebuild-") as scratch:
        started, cpu = time.perf_counter(), time.process_time()
        with CreatorIndex.open(Path(scratch), embedder, DEFAULT_SCHEME, chroma_url=url) as index:
            count = index.count()
        return {
            "catalog_rebuild_creators": count,
            "catalog_rebuild_s": time.perf_counter() - started,
            "catalog_rebuild_cpu_s": time.process_time() - cpu,
        }


def summarise(
    args: argparse.Namespace,
    importer: Importer,
    url: str | None,
    logs: tuple[Path, Path],
    folder: Path,
) -> dict[str, Any]:
    timeline, reads = logs
    samples = [json.loads(line) for line in timeline.read_text().splitlines()]
    counted = [s for s in samples if s["count"]]
    steady = [s for s in counted if s["t"] >= 60] or counted
    first, last = steady[0], steady[-1]
    rate = (last["count"] - first["count"]) / max(1e-9, last["t"] - first["t"])
    # The RSS slope over the later half of the import: its first batches grow the encoders' buffers
    # to their working size once, which a line through them would extrapolate 450,000 times.
    later = counted[len(counted) // 2 :]
    slope = _slope([(s["count"], s["importer_rss_mb"]) for s in later])
    finished = importer.exit_code == 0
    stored = last["count"] if not finished else stored_count(url, folder / "data")
    result: dict[str, Any] = {
        "mode": args.mode,
        "rows_in_file": args.rows,
        "finished": finished,
        "import_seconds": importer.seconds,
        "exit_code": importer.exit_code,
        "creators_stored": stored,
        "rows_per_second_overall": (stored or 0) / (importer.seconds if finished else last["t"]),
        "rows_per_second_steady": rate,
        "importer_peak_rss_mb_wait4": importer.peak_rss_mb,
        "importer_cpu_seconds": importer.cpu_seconds,
        "importer_cpu_ms_per_creator": importer.cpu_seconds * 1000 / max(1, stored or 0),
        "importer_rss_mb_last_sample": last["importer_rss_mb"],
        "importer_rss_mb_per_10k_creators": slope * 10_000,
        "server_rss_mb_peak_sampled": max((s["server_rss_mb"] or 0) for s in samples),
        "load_average_max_sampled": max(s["load"] for s in samples),
    }
    if not finished:
        result["extrapolated_450k_hours"] = FULL_ROWS / rate / 3600 if rate else None
        result["extrapolated_450k_importer_rss_mb"] = last["importer_rss_mb"] + slope * (
            FULL_ROWS - last["count"]
        )
    # Reads from when the first batch was committed on (before it the roster is empty).
    since = counted[0]["at"]
    bot_calls = [call for call in _jsonl(reads) if call["at"] - call["ms"] / 1000 >= since]
    cli_calls = [c for c in _jsonl(folder / "cli.jsonl") if c["at"] - c["ms"] / 1000 >= since]
    result["reads_during_import"] = {
        "bot_recommend (long-lived process)": _latencies(bot_calls),
        "cli_recommend (new process)": _latencies(
            [c for c in cli_calls if c["command"] == "recommend"]
        ),
        "cli_tier (new process)": _latencies([c for c in cli_calls if c["command"] == "tier"]),
    }
    result["ingest_log_tail"] = (folder / "ingest.log").read_text(errors="replace")[-600:]
    return result


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def _latencies(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """How many calls answered, and their latency percentiles in ms."""
    answered = sorted(call["ms"] for call in calls if call["ok"])
    figures: dict[str, Any] = {"calls": len(calls), "answered": len(answered)}
    if answered:
        figures["p50_ms"] = round(statistics.median(answered))
        figures["p95_ms"] = round(answered[min(len(answered) - 1, round(0.95 * len(answered)))])
        figures["max_ms"] = round(answered[-1])
    failures = [c.get("error") or c.get("message") for c in calls if not c["ok"]]
    if failures:
        figures["failures"] = failures[:3]
    return figures


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (0 for fewer than two distinct x)."""
    if len({x for x, _ in points}) < 2:
        return 0.0
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("server", "embedded"), default="server")
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--rows", type=int, default=FULL_ROWS)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--cli-every", type=float, default=60.0, help="seconds between CLI reader rounds"
    )
    parser.add_argument("--shared-dir", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rebuild", action="store_true", help="server mode: time a full catalog rebuild after"
    )
    parser.add_argument("--reader", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.reader:
        reader_loop(args.every)
        return
    result = run(args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

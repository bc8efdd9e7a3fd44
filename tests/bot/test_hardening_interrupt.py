"""Ctrl-C during a long ``storyfit ingest`` keeps what was embedded and says so (issue 10)."""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import TIKTOK_CSV
from tests.support.storyfit_process import (
    indexed_creators,
    run_storyfit,
    storyfit_command,
    storyfit_environment,
)

#: Enough creators for two embedding chunks (``UPSERT_CHUNK`` is 512).
ROWS = 700
MAPS = [
    arg
    for pair in ("username=handle", "signature=bio", "region=country", "platform:=tiktok")
    for arg in ("--map", pair)
]
STOPPED = re.compile(
    r"Stopped: kept (?P<kept>[\d,]+) of (?P<total>[\d,]+) rows; run the same command again to "
    r"resume — unchanged rows are skipped\."
)


def _added(output: str) -> tuple[int, int]:
    """``(added, unchanged)`` from the import report table."""
    row = next(line for line in output.splitlines() if line.startswith("│"))
    added, _updated, unchanged, _rejected = (int(cell) for cell in row.strip("│ ").split("│"))
    return added, unchanged


def _tiktok_roster(folder: Path) -> Path:
    roster = folder / "tiktok.csv"
    with TIKTOK_CSV.open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))[: ROWS + 1]
    with roster.open("w", encoding="utf-8", newline="") as target:
        csv.writer(target).writerows(rows)
    return roster


def _interrupt_once_written(data_dir: Path, *args: str) -> str:
    """Run ``storyfit ARGS``, send it SIGINT once a new catalog in the data dir holds a creator
    (the import's own, or a re-index's build); return its stderr after checking the exit status."""
    filled_before = {path for path in data_dir.glob("catalog*.sqlite3") if indexed_creators(path)}
    running = subprocess.Popen(
        storyfit_command(*args),
        cwd=data_dir.parent,
        env=storyfit_environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def written() -> bool:
        catalogs = set(data_dir.glob("catalog*.sqlite3")) - filled_before
        return any(indexed_creators(path) for path in catalogs)

    deadline = time.monotonic() + 240
    while running.poll() is None and not written():
        assert time.monotonic() < deadline, "the import wrote nothing within 240 s"
        time.sleep(0.05)
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=120)
    assert running.returncode == 130, err
    assert "Traceback" not in err and "Aborted" not in err
    return " ".join(err.split())


def test_ctrl_c_keeps_finished_rows_and_a_rerun_adds_only_the_rest(tmp_path: Path) -> None:
    roster = str(_tiktok_roster(tmp_path))
    data_dir = tmp_path / "data"
    stopped = STOPPED.search(_interrupt_once_written(data_dir, "ingest", roster, *MAPS))
    assert stopped is not None
    kept = int(stopped["kept"].replace(",", ""))
    total = int(stopped["total"].replace(",", ""))
    assert 0 < kept < total

    rerun = run_storyfit(data_dir, "ingest", roster, *MAPS)
    assert rerun.returncode == 0, rerun.stderr
    assert _added(rerun.stdout) == (total - kept, kept)


def test_ctrl_c_during_a_reindex_leaves_the_old_index_answering(tmp_path: Path) -> None:
    old_roster = tmp_path / "old.csv"
    old_roster.write_text(
        "handle,followers,bio\njanecooks,8400,Weeknight vegetarian dinners for busy parents.\n",
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    assert run_storyfit(data_dir, "ingest", str(old_roster)).returncode == 0

    roster = str(_tiktok_roster(tmp_path))
    stopped = _interrupt_once_written(data_dir, "ingest", roster, *MAPS, "--reindex")
    assert "the old index stays in use" in stopped

    answer = run_storyfit(data_dir, "recommend", "vegetarian family dinners", "--json")
    assert answer.returncode == 0, answer.stderr
    assert [pick["handle"] for pick in json.loads(answer.stdout)["picks"]] == ["janecooks"]

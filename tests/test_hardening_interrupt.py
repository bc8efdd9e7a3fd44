"""Ctrl-C during a long ``storyfit ingest`` keeps what was embedded and says so (issue 10)."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO, TIKTOK_CSV

#: Enough creators for two embedding chunks (``UPSERT_CHUNK`` is 512).
ROWS = 700
MAPPING = ["username=handle", "signature=bio", "region=country", "platform:=tiktok"]
STOPPED = re.compile(
    r"Stopped: kept (?P<kept>[\d,]+) of (?P<total>[\d,]+) rows; run the same command again to "
    r"resume — unchanged rows are skipped\."
)


def _ingest_command(roster: Path) -> list[str]:
    maps = [arg for pair in MAPPING for arg in ("--map", pair)]
    return [sys.executable, "-m", "bot", "ingest", str(roster), *maps]


def _environment(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "STORYFIT_DATA_DIR": str(data_dir)}
    for name in ("OPENAI_API_KEY", "STORYFIT_CHROMA_URL", "STORYFIT_DATABASE_URL"):
        env.pop(name, None)
    return env


def _indexed(catalog: Path) -> int:
    """Creators the running import has written so far (its catalog is readable alongside)."""
    if not catalog.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM creators").fetchone()[0])
    except sqlite3.Error:
        return 0


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


def _interrupt_once_written(command: list[str], folder: Path, env: dict[str, str]) -> str:
    """Run ``command``, send it SIGINT once a new catalog in the data dir holds a creator (the
    import's own, or a re-index's build); return its stderr after checking the exit status."""
    data_dir = Path(env["STORYFIT_DATA_DIR"])
    filled_before = {path for path in data_dir.glob("catalog*.sqlite3") if _indexed(path)}
    running = subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    def written() -> bool:
        catalogs = set(data_dir.glob("catalog*.sqlite3")) - filled_before
        return any(_indexed(path) for path in catalogs)

    deadline = time.monotonic() + 240
    while running.poll() is None and not written():
        assert time.monotonic() < deadline, "the import wrote nothing within 240 s"
        time.sleep(0.05)
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=120)
    assert running.returncode == 130, err
    return err


def test_ctrl_c_keeps_finished_rows_and_a_rerun_adds_only_the_rest(tmp_path: Path) -> None:
    roster = _tiktok_roster(tmp_path)
    env = _environment(tmp_path / "data")
    err = _interrupt_once_written(_ingest_command(roster), tmp_path, env)

    assert "Traceback" not in err and "Aborted" not in err
    stopped = STOPPED.search(" ".join(err.split()))
    assert stopped is not None, err
    kept = int(stopped["kept"].replace(",", ""))
    total = int(stopped["total"].replace(",", ""))
    assert 0 < kept < total

    rerun = subprocess.run(
        _ingest_command(roster),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert _added(rerun.stdout) == (total - kept, kept)


def test_ctrl_c_during_a_reindex_leaves_the_old_index_answering(tmp_path: Path) -> None:
    old_roster = tmp_path / "old.csv"
    old_roster.write_text(
        "handle,followers,bio\njanecooks,8400,Weeknight vegetarian dinners for busy parents.\n",
        encoding="utf-8",
    )
    env = _environment(tmp_path / "data")
    first = subprocess.run(
        [sys.executable, "-m", "bot", "ingest", str(old_roster)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert first.returncode == 0, first.stderr

    reindex = [*_ingest_command(_tiktok_roster(tmp_path)), "--reindex"]
    err = _interrupt_once_written(reindex, tmp_path, env)
    assert "old index stays in use" in " ".join(err.split()) and "Traceback" not in err

    answer = subprocess.run(
        [sys.executable, "-m", "bot", "recommend", "vegetarian family dinners", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    assert [pick["handle"] for pick in json.loads(answer.stdout)["picks"]] == ["janecooks"]

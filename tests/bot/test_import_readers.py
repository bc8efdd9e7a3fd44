"""During a long `storyfit ingest` on the embedded store, `tier` and `recommend` from other
processes are answered from what is already indexed (issue 12)."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from retrieval.store.chroma import StoreBusyError, StoreLock
from tests.conftest import TIKTOK_CSV
from tests.support.storyfit_process import (
    indexed_creators,
    run_storyfit,
    storyfit_command,
    storyfit_environment,
)

#: Enough creators that the import is still embedding when the readers ask.
ROWS = 3000


def _roster(folder: Path) -> tuple[Path, str]:
    """A native-layout roster from the shared TikTok bios; returns it and its first handle."""
    roster = folder / "roster.csv"
    with TIKTOK_CSV.open(encoding="utf-8", newline="") as source:
        rows = [row for row in csv.DictReader(source) if row["signature"].strip()][:ROWS]
    with roster.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["handle", "platform", "followers", "bio"])
        for number, row in enumerate(rows):
            writer.writerow([f"creator{number}", "tiktok", row["followers"], row["signature"]])
    return roster, "creator0"


def test_tier_and_recommend_answer_while_a_long_import_runs(tmp_path: Path) -> None:
    roster, handle = _roster(tmp_path)
    data_dir = tmp_path / "data"
    importing = subprocess.Popen(
        storyfit_command("ingest", str(roster)),
        cwd=tmp_path,
        env=storyfit_environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while indexed_creators(data_dir / "catalog.sqlite3") == 0:
            assert importing.poll() is None, importing.communicate()
            assert time.monotonic() < deadline, "the import committed nothing within 240 s"
            time.sleep(0.1)

        tier = run_storyfit(data_dir, "tier", f"@{handle}")
        assert tier.returncode == 0, tier.stderr
        assert f"@{handle} (tiktok) has" in tier.stdout
        answer = run_storyfit(data_dir, "recommend", "street food and travel", "--json")
        assert answer.returncode == 0, answer.stderr
        picks = json.loads(answer.stdout)["picks"]
        assert picks, "the creators indexed so far are recommended"
        assert importing.poll() is None, "the import was still running while they answered"
    finally:
        importing.send_signal(signal.SIGINT)
        importing.communicate(timeout=120)
    assert 0 < indexed_creators(data_dir / "catalog.sqlite3") < ROWS


def test_a_store_held_by_anything_but_an_import_is_refused_at_once(tmp_path: Path) -> None:
    """Only an import hands the store over: a reader that finds it held by anything else (a
    running bot) is told at once who holds it, instead of waiting."""
    held = StoreLock(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match="is in use by process"):
            StoreLock(tmp_path, wait=30)
        assert time.monotonic() - started < 5
    finally:
        held.release()

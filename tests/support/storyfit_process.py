"""Run the real ``storyfit`` command (this checkout's code) in a child process."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

#: Settings a developer's shell may hold that would send a test elsewhere.
_OUTSIDE_SETTINGS = ("OPENAI_API_KEY", "STORYFIT_CHROMA_URL", "STORYFIT_DATABASE_URL")


def storyfit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args]


def storyfit_environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment with this checkout first on the path, ``data_dir`` as the data
    dir, no outside service configured, and ``settings`` on top."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "STORYFIT_DATA_DIR": str(data_dir)}
    for name in _OUTSIDE_SETTINGS:
        env.pop(name, None)
    return {**env, **settings}


def run_storyfit(data_dir: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """``storyfit ARGS`` run to completion beside ``data_dir``, output captured."""
    return subprocess.run(
        storyfit_command(*args),
        cwd=data_dir.parent,
        env=storyfit_environment(data_dir, **settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def indexed_creators(catalog: Path) -> int:
    """Creators a running import has written so far (its catalog is readable alongside)."""
    if not catalog.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM creators").fetchone()[0])
    except sqlite3.Error:
        return 0

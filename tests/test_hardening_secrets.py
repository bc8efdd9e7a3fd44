"""Credentials in database and Chroma URLs never reach a message or a log line (issue 10)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.server import RedactingFormatter
from retrieval.redaction import redact
from tests.conftest import REPO, free_port

SECRET = "s3cretPa55"


def run_storyfit(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "STORYFIT_DATA_DIR": str(tmp_path)}
    for name in ("OPENAI_API_KEY", "STORYFIT_CHROMA_URL", "STORYFIT_DATABASE_URL"):
        environment.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("variable", "url", "shown"),
    [
        ("STORYFIT_CHROMA_URL", f"http://admin:{SECRET}@127.0.0.1:{{port}}", "admin:***@127.0.0.1"),
        ("STORYFIT_CHROMA_URL", f"http://127.0.0.1:{{port}}/?token={SECRET}", "token=***"),
        ("STORYFIT_CHROMA_URL", f"ftp://admin:{SECRET}@127.0.0.1:{{port}}", "ftp://admin:***@"),
        (
            "STORYFIT_DATABASE_URL",
            f"postgresql://storyfit:{SECRET}@127.0.0.1:{{port}}/history",
            "Cannot open the history database",
        ),
        (
            "STORYFIT_DATABASE_URL",
            f"postgresql://storyfit:{SECRET}@127.0.0.1:port{{port}}/history",
            "postgresql://storyfit:***@127.0.0.1",
        ),
    ],
)
def test_an_unreachable_url_with_a_password_is_reported_masked(
    tmp_path: Path, variable: str, url: str, shown: str
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("handle,followers,bio\njane,8400,Weeknight dinners.\n", encoding="utf-8")
    env = {variable: url.format(port=free_port())}
    code, output = run_storyfit(tmp_path, env, "ingest", str(roster))
    assert code == 1, output
    assert SECRET not in output
    assert shown in output and "Traceback" not in output


def test_log_lines_and_tracebacks_are_masked() -> None:
    record = logging.LogRecord("storyfit", logging.ERROR, __file__, 1, "lost %s", ("db",), None)
    try:
        raise ConnectionError(f"postgresql://u:{SECRET}@db/x and Bearer {SECRET}")
    except ConnectionError:
        record.exc_info = sys.exc_info()
    line = RedactingFormatter("%(message)s").format(record)
    assert SECRET not in line and "postgresql://u:***@db/x" in line


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql://user:pa@ss@host/db", "postgresql://user:***@host/db"),
        ("http://h:8000/?api_key=abc&x=1", "http://h:8000/?api_key=***&x=1"),
        ("SLACK_BOT_TOKEN=xoxb-123456789-abcdef", "SLACK_BOT_TOKEN=***"),
        ("key sk-proj-abcdefghijklmnop used", "key *** used"),
        ("http://localhost:8000 and me@example.com", "http://localhost:8000 and me@example.com"),
        (
            "postgresql+psycopg://storyfit@127.0.0.1/db",
            "postgresql+psycopg://storyfit@127.0.0.1/db",
        ),
    ],
)
def test_redact_masks_credentials_and_keeps_the_rest(text: str, masked: str) -> None:
    assert redact(text) == masked
    assert redact(masked) == masked

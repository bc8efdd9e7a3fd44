"""Credentials in database and Chroma URLs never reach a message or a log line (issue 10)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from bot.observability.logs import RedactingFormatter
from retrieval.redaction import redact
from tests.conftest import free_port
from tests.support.storyfit_process import run_storyfit

SECRET = "s3cretPa55"


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
    result = run_storyfit(
        tmp_path / "data", "ingest", str(roster), **{variable: url.format(port=free_port())}
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
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

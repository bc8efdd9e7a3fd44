"""The terminal never shows a traceback (issue 10): user text is printed as text, not markup, and
every failure, foreseen or not, is one line on stderr with a non-zero exit."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.listeners.commands import tier_reply
from bot.service import StoryfitService
from bot.settings import load_settings
from retrieval.counts import looks_like_count
from tests.conftest import free_port
from tests.support.slack_harness import clean_env, storyfit_command

GOOD_ROW = "janecooks,8400,Weeknight vegetarian dinners for busy parents.,GB"


def run_storyfit(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real ``storyfit`` entry point in its own process."""
    return subprocess.run(
        storyfit_command(*args),
        env=clean_env(data_dir, **env),
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_a_header_with_markup_is_named_in_the_error(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("handle,[/b]\njanecooks,8400\n", encoding="utf-8")
    result = run_storyfit(tmp_path / "data", "ingest", str(roster))
    assert result.returncode == 1
    assert "columns found: handle, [/b]" in one_error_line(result.stderr)


def test_a_file_name_with_markup_is_printed_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "[").mkdir()
    roster = tmp_path / "[/x].csv"
    roster.write_text(f"handle,followers,bio,country\n{GOOD_ROW}\n", encoding="utf-8")
    result = run_storyfit(tmp_path / "data", "ingest", str(roster))
    assert result.returncode == 0, result.stderr
    assert "[/x].csv" in result.stdout and "Embedded 1 bio(s)." in result.stdout


def test_a_cell_with_markup_is_reported_and_the_import_kept(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"handle,followers,bio,country\n{GOOD_ROW}\noops,900,Cooks.,[/oops]\n", encoding="utf-8"
    )
    data = tmp_path / "data"
    result = run_storyfit(data, "ingest", str(roster))
    assert result.returncode == 0, result.stderr
    assert "Rejected row 3, field country: '[/oops]' is not a country" in result.stdout
    assert "Embedded 1 bio(s)." in result.stdout


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("STORYFIT_DATA_DIR", "STORYFIT_TIERS", "OPENAI_API_KEY", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def storyfit(runner: CliRunner, data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, one_error_line(result.stderr) if result.exit_code else ""


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("tier", "1e999999"), "'1e999999' is too large for a follower count"),
        (("tier", "9" * 5_000), "too long to be a follower count"),
        (("tier", "1e99999999999999999999"), "too large for a follower count"),
        (("recommend", "coffee", "--min-followers", "1e20"), "--min-followers: '1e20' is too"),
        (("recommend", "coffee", "--max-followers", "9" * 5_000), "--max-followers: '999"),
    ],
)
def test_a_huge_count_on_the_command_line_is_one_line(
    runner: CliRunner, tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    code, error = storyfit(runner, tmp_path / "data", *args)
    assert code == 1 and expected in error


def test_a_deeply_nested_json_roster_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    roster = tmp_path / "deep.json"
    roster.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, error = storyfit(runner, tmp_path / "data", "ingest", str(roster))
    assert code == 1 and "nests objects or lists too deeply" in error


def test_digest_with_slack_unreachable_is_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    monkeypatch.setenv("STORYFIT_SLACK_API_URL", closed)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    code, error = storyfit(runner, tmp_path / "data", "digest", "--channel", "C1")
    assert code == 1
    assert f"Slack could not be reached at {closed}" in error and "Connection refused" in error


def test_serve_with_slack_unreachable_is_one_line_and_fails(tmp_path: Path) -> None:
    result = run_storyfit(
        tmp_path / "data",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port()),
        STORYFIT_SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="secret",
    )
    assert result.returncode == 1
    assert "Slack could not be reached" in one_error_line(result.stderr)


def test_an_unforeseen_failure_is_one_line_too(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("the disk fell off\nand a second line")

    monkeypatch.setattr(StoryfitService, "lookup_tier", broken)
    code, error = storyfit(runner, tmp_path / "data", "tier", "8500")
    assert code == 1
    assert "unexpected RuntimeError: the disk fell off. Please report this" in error


def test_a_huge_count_is_still_a_count_not_a_handle_for_tier(tmp_path: Path) -> None:
    assert looks_like_count("1e999999") and looks_like_count(" 12.3k ")
    assert not looks_like_count("@8500") and not looks_like_count("2fast4you")
    service = StoryfitService(load_settings(data_dir=tmp_path))
    reply = tier_reply(service, "1e999999", logging.getLogger(__name__))
    assert "too large for a follower count" in reply.text

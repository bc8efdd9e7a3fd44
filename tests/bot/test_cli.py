"""The ``storyfit`` command line for the foundation: ingest, tier, demo, and its errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import TIKTOK_CSV

ROSTER_HEADER = ["handle", "platform", "followers", "bio", "country", "language"]
GOOD_ROWS = [
    [
        "@JaneCooks",
        "instagram",
        "8,400",
        "Weeknight vegetarian dinners for busy parents.",
        "GB",
        "en",
    ],
    ["trailtess", "tiktok", "12.3K", "Ultra runner; muddy mountain miles before work.", "US", "en"],
    [
        "kaffeeklaus",
        "instagram",
        "1.2M",
        "Filterkaffee am Morgen, jeden Tag ein Ritual.",
        "DE",
        "de",
    ],
]
BAD_ROWS = [
    ["", "instagram", "900", "No handle here at all.", "US", "en"],
    ["lotsoffans", "instagram", "lots", "Followers are not a number.", "US", "en"],
    ["martian", "instagram", "500", "Country does not exist.", "Mars", "en"],
]


def write_roster(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER_HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("STORYFIT_DATA_DIR", raising=False)
    monkeypatch.delenv("STORYFIT_TIERS", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return CliRunner()


def storyfit(runner: CliRunner, data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.stdout, result.stderr


def test_ingest_keeps_valid_rows_and_reports_each_rejected_row(
    runner: CliRunner, tmp_path: Path
) -> None:
    roster = write_roster(tmp_path / "roster.csv", GOOD_ROWS[:1] + BAD_ROWS + GOOD_ROWS[1:])
    code, out, _ = storyfit(runner, tmp_path / "data", "ingest", str(roster))
    assert code == 0
    table_row = next(line for line in out.splitlines() if "│" in line and "3" in line)
    assert [cell.strip() for cell in table_row.strip("│ ").split("│")] == ["3", "0", "0", "3"]
    assert "Rejected row 3, field handle" in out
    assert "Rejected row 4, field followers" in out and "'lots'" in out
    assert "Rejected row 5, field country" in out and "Mars" in out
    code, out, _ = storyfit(runner, tmp_path / "data", "tier", "@janecooks", "--json")
    assert code == 0, out
    assert json.loads(out)["creator"]["handle"] == "janecooks"


def test_reimport_embeds_nothing_and_one_changed_bio_embeds_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    roster = write_roster(tmp_path / "roster.csv", GOOD_ROWS)
    assert storyfit(runner, data, "ingest", str(roster))[0] == 0

    code, out, _ = storyfit(runner, data, "ingest", str(roster))
    assert code == 0
    assert "Nothing needed re-embedding" in out

    changed = [row[:] for row in GOOD_ROWS]
    changed[1][3] = "Ultra runner turned coach; I write training plans for first 50ks."
    write_roster(roster, changed)
    code, out, _ = storyfit(runner, data, "ingest", str(roster))
    assert code == 0
    assert "Embedded 1 bio(s)." in out


def test_foreign_layout_imports_with_a_column_mapping(runner: CliRunner, tmp_path: Path) -> None:
    sample = tmp_path / "tiktok_sample.csv"
    with TIKTOK_CSV.open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))[:121]  # header and 120 creators
    with sample.open("w", encoding="utf-8", newline="") as target:
        csv.writer(target).writerows(rows)
    mapping = ["username=handle", "signature=bio", "region=country", "platform:=tiktok"]
    args = [arg for pair in mapping for arg in ("--map", pair)]
    code, out, err = storyfit(runner, tmp_path / "data", "ingest", str(sample), *args)
    assert code == 0, err
    table_row = next(line for line in out.splitlines() if "│" in line and "120" in line)
    assert [cell.strip() for cell in table_row.strip("│ ").split("│")] == ["120", "0", "0", "0"]
    first_handle = rows[1][0]
    code, out, _ = storyfit(runner, tmp_path / "data", "tier", first_handle, "--json")
    assert code == 0
    creator = json.loads(out)["creator"]
    assert creator["platform"] == "tiktok"
    assert len(creator["language"]) == 2  # an English name such as "Spanish" became an ISO code


def test_a_file_that_is_not_a_roster_is_refused_and_nothing_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert (
        storyfit(runner, data, "ingest", str(write_roster(tmp_path / "r.csv", GOOD_ROWS)))[0] == 0
    )
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    code, _, err = storyfit(runner, data, "ingest", str(binary))
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "Error:" in err
    no_handle = tmp_path / "people.csv"
    no_handle.write_text("nick,followers\nsomeone,100\n", encoding="utf-8")
    code, _, err = storyfit(runner, data, "ingest", str(no_handle))
    assert code == 1 and "--map COLUMN=handle" in " ".join(err.split())
    lone_value = tmp_path / "someone.json"
    lone_value.write_text('"someone"', encoding="utf-8")
    code, _, err = storyfit(runner, data, "ingest", str(lone_value))
    assert code == 1 and "holds a single JSON value" in " ".join(err.split())
    assert storyfit(runner, data, "tier", "@trailtess")[0] == 0  # the store still answers
    assert storyfit(runner, data, "tier", "@someone")[0] == 1  # the refused file wrote nothing


def test_tier_json_matches_the_contract(runner: CliRunner, tmp_path: Path) -> None:
    code, out, _ = storyfit(runner, tmp_path / "data", "tier", "8500", "--json")
    assert code == 0
    assert json.loads(out) == {
        "query": "8500",
        "followers": 8500,
        "tier": "micro",
        "min": 0,
        "max": 9999,
        "creator": None,
    }
    code, out, _ = storyfit(runner, tmp_path / "data", "tier", "12.3k", "--json")
    assert json.loads(out)["tier"] == "mid"
    code, out, _ = storyfit(runner, tmp_path / "data", "tier", "1.2M")
    assert code == 0 and "macro" in out and "awareness" in out


def test_tier_by_handle_is_case_insensitive_and_suggests_near_misses(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    storyfit(runner, data, "ingest", str(write_roster(tmp_path / "r.csv", GOOD_ROWS)))
    code, out, _ = storyfit(runner, data, "tier", "@KaffeeKlaus", "--json")
    assert code == 0
    answer = json.loads(out)
    assert (answer["tier"], answer["followers"], answer["max"]) == ("macro", 1_200_000, None)
    code, _, err = storyfit(runner, data, "tier", "@kaffeklaus")
    assert code == 1
    assert "Did you mean @kaffeeklaus?" in " ".join(err.split())


def test_invalid_setting_stops_with_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYFIT_TIERS", "gigantic")
    code, _, err = storyfit(runner, tmp_path / "data", "tier", "8500")
    assert code == 1
    assert "STORYFIT_TIERS" in err and len(err.strip().splitlines()) == 1


def test_industry_tiers_by_setting(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYFIT_TIERS", "industry")
    code, out, _ = storyfit(runner, tmp_path / "data", "tier", "500", "--json")
    assert code == 0
    assert json.loads(out)["tier"] == "nano"


def test_second_process_on_the_same_store_fails_fast_with_what_to_do(tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from bot.service import StoryfitService; "
            "from bot.settings import load_settings; "
            f"s = StoryfitService(load_settings(data_dir={str(data)!r})); s.index; "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "bot", "--data-dir", str(data), "tier", "@anyone"],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 1
    message = " ".join(second.stderr.split())
    assert f"process {holder.pid}" in message and "STORYFIT_CHROMA_URL" in message
    assert elapsed < 30  # fails at once, never hangs (start-up imports are most of this)


def test_reindex_rebuilds_from_the_file_alone(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "data"
    storyfit(runner, data, "ingest", str(write_roster(tmp_path / "a.csv", GOOD_ROWS)))
    only_jane = write_roster(tmp_path / "b.csv", GOOD_ROWS[:1])
    code, out, _ = storyfit(runner, data, "ingest", "--reindex", str(only_jane))
    assert code == 0 and "Embedded 1 bio(s)." in out
    assert storyfit(runner, data, "tier", "@trailtess")[0] == 1


def test_demo_loads_the_sample_and_shows_tiers(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = storyfit(runner, tmp_path / "data", "demo")
    assert code == 0, err
    assert "Roster by tier" in out
    for tier in ("micro", "mid", "macro"):
        assert tier in out
    code, out, _ = storyfit(runner, tmp_path / "data", "demo")
    assert "Nothing needed re-embedding" in out


def test_a_missing_embedding_model_is_one_clear_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    monkeypatch.setenv("STORYFIT_EMBEDDING_MODEL_DIR", str(empty))
    roster = write_roster(tmp_path / "roster.csv", GOOD_ROWS)
    code, _, err = storyfit(runner, tmp_path / "data", "ingest", str(roster))
    assert code == 1
    assert "Traceback" not in err
    assert "STORYFIT_EMBEDDING_MODEL_DIR" in " ".join(err.split())

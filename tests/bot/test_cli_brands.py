"""``storyfit recommend --include-brands`` and brand accounts in ``storyfit tier``, as a user runs
them over a roster imported with ``storyfit ingest``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from retrieval.contract import Recommendation

ROSTER = """handle,platform,followers,bio,kind
glowryskin,instagram,4000,"Hydrating serums for sensitive skin 🌿 gentle moisturisers",shop
makeupmeg,instagram,3000,"Makeup looks and skincare hauls 💄 honest reviews",
bookish,instagram,2500,"Book reviews and reading vlogs 📚",
"""
BRIEF = "Gentle serums for sensitive skin: we want people who love a calm skincare routine."


def storyfit(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(
        app, ["--data-dir", str(data_dir), *args], env={"OPENAI_API_KEY": None}
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-brands")
    roster = path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    result = storyfit(path / "data", "ingest", str(roster))
    assert result.exit_code == 0, result.output
    report = " ".join(result.stdout.split())
    assert "1 brand, shop or agency account(s) (@glowryskin): kept, but picked only with" in report
    return path / "data"


def picks(data_dir: Path, *flags: str) -> Recommendation:
    result = storyfit(data_dir, "recommend", BRIEF, "--macro", "0", "--micro", "1", *flags)
    assert result.exit_code == 0, result.output
    return Recommendation.model_validate_json(result.stdout)


def test_brand_accounts_need_the_flag(data_dir: Path) -> None:
    default = picks(data_dir, "--json")
    assert [pick.handle for pick in default.picks] == ["makeupmeg"]
    assert any("--include-brands" in notice for notice in default.notices)
    asked = picks(data_dir, "--include-brands", "--json")
    assert [(pick.handle, pick.kind) for pick in asked.picks] == [("glowryskin", "brand")]


def test_readable_output_marks_a_brand_pick_and_says_what_was_left_out(data_dir: Path) -> None:
    default = storyfit(data_dir, "recommend", BRIEF, "--macro", "0", "--micro", "1")
    assert "1 brand account was left out (@glowryskin)" in " ".join(default.stdout.split())
    asked = storyfit(
        data_dir, "recommend", BRIEF, "--macro", "0", "--micro", "1", "--include-brands"
    )
    assert "@glowryskin · brand account" in asked.stdout


def test_tier_shows_the_kind(data_dir: Path) -> None:
    result = storyfit(data_dir, "tier", "@glowryskin", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["creator"]["kind"] == "brand"
    text = storyfit(data_dir, "tier", "@glowryskin").stdout
    assert "@glowryskin (instagram, a brand account) has 4,000 followers" in text
    assert (
        json.loads(storyfit(data_dir, "tier", "@bookish", "--json").stdout)["creator"]["kind"]
        == "creator"
    )

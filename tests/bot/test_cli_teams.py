"""``--team T``: two workspaces (and the single one) sharing one data dir and one history database,
through the real CLI, index and history; no command of one team ever shows another's creators."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.history.store import History
from tests.bot.test_cli import storyfit
from tests.bot.test_cli_creators import runner

__all__ = ["runner"]

TEAM_A = "T0AAAAAAA"
TEAM_B = "T0BBBBBBB"
HEADER = ["handle", "platform", "followers", "bio"]
ROSTER_A = [
    ["janecooks", "instagram", "8400", "Weeknight vegetarian dinners for busy parents."],
    ["kaffeeklaus", "instagram", "1.2M", "Filter coffee every morning, a daily ritual."],
    ["morningsam", "instagram", "6200", "Coffee at sunrise and the first grind of the day."],
]
ROSTER_B = [
    ["trailtess", "tiktok", "12.3K", "Ultra runner; muddy mountain miles before work."],
    ["bigbrew", "instagram", "300K", "Coffee roasting and the perfect morning espresso."],
    ["morningsam", "instagram", "7100", "Morning coffee rituals, from bean to cup."],
]
ROSTER_SINGLE = [
    ["nanobaker", "youtube", "900", "Sourdough baking at dawn with a cup of coffee."],
]
FAR_AHEAD = datetime(2100, 1, 1, tzinfo=UTC)
BRIEF = "A small coffee roastery wants people who make the morning brew a ritual."


def handles(rows: list[list[str]]) -> set[str]:
    return {row[0] for row in rows}


def write_roster(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def run(runner: CliRunner, data: Path, *args: str) -> str:
    code, out, err = storyfit(runner, data, *args)
    assert code == 0, out + err
    return out


def listed(runner: CliRunner, data: Path, *team: str) -> set[str]:
    out = run(runner, data, "creators", "list", "--json", *team)
    return {creator["handle"] for creator in json.loads(out)}


def picked(runner: CliRunner, data: Path, *team: str) -> set[str]:
    out = run(runner, data, "recommend", BRIEF, "--macro", "3", "--micro", "3", "--json", *team)
    return {pick["handle"] for pick in json.loads(out)["picks"]}


@pytest.fixture
def data(runner: CliRunner, tmp_path: Path) -> Path:
    """One data dir: team A's roster, team B's, and the single workspace's."""
    data = tmp_path / "data"
    for rows, team in ((ROSTER_A, ["--team", TEAM_A]), (ROSTER_B, ["--team", TEAM_B])):
        roster = write_roster(tmp_path / f"roster{team[1]}.csv", rows)
        run(runner, data, "ingest", str(roster), *team)
    run(runner, data, "ingest", str(write_roster(tmp_path / "single.csv", ROSTER_SINGLE)))
    return data


def test_each_team_lists_recommends_and_looks_up_only_its_own_creators(
    runner: CliRunner, data: Path
) -> None:
    assert listed(runner, data, "--team", TEAM_A) == handles(ROSTER_A)
    assert listed(runner, data, "--team", TEAM_B.lower()) == handles(ROSTER_B)
    assert listed(runner, data) == handles(ROSTER_SINGLE)

    from_a, from_b = picked(runner, data, "--team", TEAM_A), picked(runner, data, "--team", TEAM_B)
    assert from_a and from_a <= handles(ROSTER_A)
    assert from_b and from_b <= handles(ROSTER_B)
    assert picked(runner, data) <= handles(ROSTER_SINGLE)

    tier_b = json.loads(run(runner, data, "tier", "@bigbrew", "--json", "--team", TEAM_B))
    assert tier_b["creator"]["followers"] == 300_000
    code, _, err = storyfit(runner, data, "tier", "@bigbrew", "--team", TEAM_A)
    assert code == 1 and "No creator with the handle @bigbrew is on the roster" in err
    sam = json.loads(run(runner, data, "tier", "@morningsam", "--json", "--team", TEAM_A))
    assert sam["creator"]["followers"] == 6_200

    # The layout: each team's store in its own folder, the single workspace's where it was.
    assert (data / "teams" / TEAM_A / "chroma").is_dir()
    assert (data / "teams" / TEAM_B / "catalog.sqlite3").is_file()
    assert (data / "chroma").is_dir() and (data / "catalog.sqlite3").is_file()
    assert not list((data / "teams").rglob("history.sqlite3"))


def test_export_and_remove_touch_only_the_named_team(
    runner: CliRunner, data: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "team-a.csv"
    run(runner, data, "creators", "export", str(exported), "--team", TEAM_A)
    with exported.open(encoding="utf-8-sig", newline="") as rows:
        assert {row["handle"] for row in csv.DictReader(rows)} == handles(ROSTER_A)

    out = run(runner, data, "creators", "remove", "@morningsam", "--team", TEAM_A)
    assert out.startswith("Removed @morningsam (instagram)")
    assert listed(runner, data, "--team", TEAM_A) == handles(ROSTER_A) - {"morningsam"}
    assert listed(runner, data, "--team", TEAM_B) == handles(ROSTER_B)
    sam = json.loads(run(runner, data, "tier", "@morningsam", "--json", "--team", TEAM_B))
    assert sam["creator"]["followers"] == 7_100
    code, _, err = storyfit(runner, data, "creators", "remove", "@bigbrew", "--team", TEAM_A)
    assert code == 1 and "No creator with the handle @bigbrew" in err
    assert listed(runner, data, "--team", TEAM_B) == handles(ROSTER_B)

    # Each import's roster snapshot went to its own team's history, in the one shared database.
    history = History.open(f"sqlite:///{data / 'history.sqlite3'}")
    try:
        assert history.team_ids() == [TEAM_A, TEAM_B]
        for team, rows in ((TEAM_B, ROSTER_B), ("", ROSTER_SINGLE)):
            snapshot = history.for_team(team).roster_before(FAR_AHEAD)
            assert snapshot is not None
            assert {key.partition(":")[2] for key in snapshot.followers} == handles(rows)
    finally:
        history.close()


@pytest.mark.parametrize("team", ["../x", "", "T0A/../../B", "X123", "T" + "0" * 40])
def test_a_malformed_team_id_is_refused_before_it_touches_the_disk(
    runner: CliRunner, tmp_path: Path, team: str
) -> None:
    data = tmp_path / "data"
    for command in (["creators", "list"], ["tier", "8500"], ["digest", "--print"]):
        code, _, err = storyfit(runner, data, *command, "--team", team)
        assert code == 1
        assert "is not a Slack team id. A team id looks like T0123ABCD" in err
    assert not (data / "teams").exists()
    assert not (tmp_path / "x").exists()

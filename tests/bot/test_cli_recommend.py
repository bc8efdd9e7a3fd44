"""``storyfit recommend`` and ``storyfit demo`` as a user runs them, over a real data dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from retrieval.contract import Recommendation

pytest_plugins = ("tests.support.fixtures_recommend",)

BRIEF = "Home baristas who brew pour-over coffee every morning and care where beans come from."


def storyfit(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(
        app, ["--data-dir", str(data_dir), *args], env={"OPENAI_API_KEY": None}
    )


def test_json_is_exactly_the_contract(sample_data_dir: Path) -> None:
    result = storyfit(sample_data_dir, "recommend", BRIEF, "--json")
    assert result.exit_code == 0, result.output
    recommendation = Recommendation.model_validate_json(result.stdout)
    assert json.loads(result.stdout) == recommendation.model_dump(mode="json")
    assert recommendation.brief == BRIEF and recommendation.explained_by == "rules"
    assert recommendation.picks and recommendation.picks[0].role == "awareness"


def test_flags_are_hard_constraints(sample_data_dir: Path) -> None:
    result = storyfit(
        sample_data_dir,
        "recommend",
        BRIEF,
        "--country",
        "Germany",
        "--platform",
        "instagram",
        "--max-followers",
        "50k",
        "--exclude",
        "@berlinbrewlog",
        "--micro",
        "3",
        "--json",
    )
    assert result.exit_code == 0, result.output
    recommendation = Recommendation.model_validate_json(result.stdout)
    assert recommendation.filters.country == ["DE"]
    assert recommendation.filters.max_followers == 50_000
    assert recommendation.picks
    for pick in recommendation.picks:
        assert (pick.country, pick.platform) == ("DE", "instagram")
        assert pick.followers <= 50_000 and pick.handle != "berlinbrewlog"
    assert sum(pick.role == "action" for pick in recommendation.picks) <= 3


def test_readable_output_shows_picks_reasons_evidence_and_the_mix(sample_data_dir: Path) -> None:
    result = storyfit(sample_data_dir, "recommend", BRIEF, "--macro", "1", "--micro", "2")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.index("Awareness (macro side)") < text.index("Action (micro side)")
    assert text.index("Action (micro side)") < text.index("The mix:")
    assert "followers" in text and "“" in text and "@" in text


def test_a_qualifier_no_pick_carries_is_said_plainly(sample_data_dir: Path) -> None:
    """No creator of the sample roster mentions kosher food, in any language."""
    brief = "Our challah is baked for kosher kitchens. We want bakers who bake bread at home."
    result = storyfit(sample_data_dir, "recommend", brief, "--macro", "1", "--micro", "2")
    assert result.exit_code == 0, result.output
    unmet = [line for line in result.stdout.splitlines() if line.startswith("Unmet:")]
    assert any("No pick's bio mentions “kosher kitchens”" in line for line in unmet)
    answer = storyfit(sample_data_dir, "recommend", brief, "--macro", "1", "--micro", "2", "--json")
    said = Recommendation.model_validate_json(answer.stdout).unmet
    assert [(u.found, u.picks) for u in said if u.qualifier == "kosher kitchens"] == [(0, 3)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recommend", ""], "The brief is empty"),
        (["recommend", "   "], "The brief is empty"),
        (["recommend", BRIEF, "--country", "Narnia"], "'Narnia' is not a country"),
        (["recommend", BRIEF, "--language", "Elvish"], "'Elvish' is not a language"),
        (
            ["recommend", BRIEF, "--min-followers", "50k", "--max-followers", "1000"],
            "above the maximum",
        ),
        (["recommend", BRIEF, "--objective", "reach"], "--objective 'reach'"),
        (["recommend", BRIEF, "--macro", "99"], "--macro"),
        (["recommend", BRIEF, "--min-followers", "lots"], "--min-followers"),
        (["recommend", BRIEF, "--macro", "0", "--micro", "0"], "at least one"),
        (["recommend", "3 macro creators on TikTok"], "only sets constraints"),
    ],
)
def test_bad_input_gets_one_clear_line_and_a_failing_exit(
    sample_data_dir: Path, args: list[str], message: str
) -> None:
    result = storyfit(sample_data_dir, *args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert result.stderr.startswith("Error:") and "Traceback" not in result.output


def test_an_empty_store_says_to_ingest(tmp_path: Path) -> None:
    result = storyfit(tmp_path, "recommend", BRIEF)
    assert result.exit_code != 0
    assert "storyfit ingest" in result.stderr and "storyfit demo" in result.stderr


def test_demo_ends_with_a_recommendation(tmp_path: Path) -> None:
    result = storyfit(tmp_path, "demo")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.index("Roster by tier") < text.index("Example brief:")
    assert text.index("Example brief:") < text.index("Awareness (macro side)")
    assert "The mix:" in text

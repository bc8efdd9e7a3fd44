"""``storyfit creators list | export | remove`` through the real CLI, index and history."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.history.store import History
from bot.history.tables import FeedbackRow, PickRow, RequestRow, RosterEntryRow, RosterSnapshotRow
from retrieval.store.chroma import embedded_client
from retrieval.store.index import DEFAULT_COLLECTION
from retrieval.tiers import DEFAULT_SCHEME
from tests.bot.test_cli import storyfit
from tests.support.history_samples import brief_and_answer, creator, pick

pytest_plugins = ("tests.support.postgres_server",)

HEADER = [
    "handle",
    "platform",
    "followers",
    "bio",
    "name",
    "country",
    "language",
    "engagement_rate",
    "topics",
    "Notes",
]
ROWS = [
    ["@Jane", "instagram", "8,400", "Weeknight vegetarian dinners for busy parents.", "Jane Doe",
     "GB", "en", "4.5%", "cooking;family", "met at the food expo"],
    ["jane", "TikTok", "120K", '=HYPERLINK("http://evil.example") quick dinners', "", "US", "en",
     "", "cooking", ""],
    ["trailtess", "tiktok", "12.3K", "- ultra runner\nmuddy mountain miles before work", "Tess",
     "US", "en", "0.031", '["trail; ultra", "mud|rain"]', ""],
    ["kaffeeklaus", "instagram", "1.2M", "Filterkaffee am Morgen, jeden Tag ein Ritual.", "Klaus",
     "DE", "de", "", "", ""],
    ["nanobaker", "youtube", "900", "", "", "", "", "", "", "+49 30 1234"],
]  # fmt: skip
#: ROWS by followers, most first.
BY_FOLLOWERS = ["kaffeeklaus", "jane", "trailtess", "jane", "nanobaker"]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("STORYFIT_DATA_DIR", "STORYFIT_TIERS", "OPENAI_API_KEY", "STORYFIT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def write_roster(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    return path


@pytest.fixture
def data_dir(runner: CliRunner, tmp_path: Path) -> Path:
    """A data dir holding ROWS."""
    data = tmp_path / "data"
    code, out, err = storyfit(runner, data, "ingest", str(write_roster(tmp_path / "roster.csv")))
    assert code == 0, out + err
    assert "Rejected" not in out
    return data


def listed(runner: CliRunner, data_dir: Path, *options: str) -> list[dict[str, object]]:
    code, out, err = storyfit(runner, data_dir, "creators", "list", "--json", *options)
    assert code == 0, err
    records: list[dict[str, object]] = json.loads(out)
    return records


def change_counts(out: str) -> list[str]:
    """The ingest report's added / updated / unchanged / rejected cells."""
    row = next(line for line in out.splitlines() if line.count("│") == 5)
    return [cell.strip() for cell in row.strip("│ ").split("│")]


# -- list ---------------------------------------------------------------------------------------


def test_list_shows_a_table_by_followers_with_a_count(runner: CliRunner, data_dir: Path) -> None:
    code, out, _ = storyfit(runner, data_dir, "creators", "list")
    assert code == 0
    lines = out.splitlines()
    handles = [line.split()[0] for line in lines if line.startswith("@")]
    assert handles == ["@" + handle for handle in BY_FOLLOWERS]
    klaus = next(line for line in lines if line.startswith("@kaffeeklaus"))
    assert klaus.split() == ["@kaffeeklaus", "instagram", "Klaus", "1,200,000", "macro", "DE", "de"]
    assert lines[-1] == "5 creators."


def test_list_filters_by_tier_country_and_platform(runner: CliRunner, data_dir: Path) -> None:
    code, out, _ = storyfit(runner, data_dir, "creators", "list", "--tier", "Macro")
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines() if line.startswith("@")] == [
        ["@kaffeeklaus", "instagram"],
        ["@jane", "tiktok"],
    ]
    assert out.splitlines()[-1] == "2 creators matching tier macro."
    assert [r["handle"] for r in listed(runner, data_dir, "--country", "Germany")] == [
        "kaffeeklaus"
    ]
    tiktok = listed(runner, data_dir, "--platform", "TikTok", "--tier", "micro")
    assert [(r["handle"], r["platform"]) for r in tiktok] == []
    tiktok = listed(runner, data_dir, "--platform", "TikTok", "--tier", "mid")
    assert [(r["handle"], r["platform"]) for r in tiktok] == [("trailtess", "tiktok")]
    code, out, _ = storyfit(runner, data_dir, "creators", "list", "--country", "FR")
    assert code == 0 and out.strip() == "No creator matches country FR."


def test_list_json_gives_every_match_in_the_import_format(
    runner: CliRunner, data_dir: Path
) -> None:
    records = listed(runner, data_dir, "--platform", "tiktok")
    expected = [
        {
            "handle": "jane",
            "platform": "tiktok",
            "followers": 120_000,
            "bio": '=HYPERLINK("http://evil.example") quick dinners',
            "name": None,
            "country": "US",
            "language": "en",
            "engagement_rate": None,
            "topics": ["cooking"],
        },
        {
            "handle": "trailtess",
            "platform": "tiktok",
            "followers": 12_300,
            "bio": "- ultra runner\nmuddy mountain miles before work",
            "name": "Tess",
            "country": "US",
            "language": "en",
            "engagement_rate": 0.031,
            "topics": ["trail; ultra", "mud|rain"],
        },
    ]
    assert [{key: record[key] for key in expected[0]} for record in records] == expected
    jane = listed(runner, data_dir, "--country", "GB")
    assert jane[0]["Notes"] == "met at the food expo" and "Notes" not in records[0]
    assert len(listed(runner, data_dir)) == len(ROWS)


def test_bad_filters_say_what_is_allowed(runner: CliRunner, data_dir: Path) -> None:
    code, _, err = storyfit(runner, data_dir, "creators", "list", "--tier", "huge")
    assert code == 1
    assert "'huge' is not a tier of the default scheme; its tiers are micro, mid, macro." in err
    code, _, err = storyfit(runner, data_dir, "creators", "list", "--platform", "tiktk")
    assert code == 1
    assert "the roster's platforms are instagram, tiktok, youtube" in err
    code, _, err = storyfit(runner, data_dir, "creators", "list", "--country", "Mars")
    assert code == 1 and "'Mars' is not a country we know" in err


def test_a_long_list_is_capped_and_says_how_to_see_the_rest(
    runner: CliRunner, data_dir: Path
) -> None:
    code, out, _ = storyfit(runner, data_dir, "creators", "list", "--limit", "2")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines() if line.startswith("@")] == [
        "@kaffeeklaus",
        "@jane",
    ]
    assert out.splitlines()[-1] == (
        "Showing 2 of 5 creators; 3 more not shown. See them all with --limit 0, as JSON with "
        "--json, or in a file with `storyfit creators export FILE`."
    )


def test_an_empty_roster_says_how_to_fill_it(runner: CliRunner, tmp_path: Path) -> None:
    code, out, _ = storyfit(runner, tmp_path / "empty", "creators", "list")
    assert code == 0 and "The roster is empty. Import creators first" in out
    code, _, err = storyfit(runner, tmp_path / "empty", "creators", "export", "out.csv")
    assert code == 1 and "The roster is empty" in err
    assert not (tmp_path / "out.csv").exists()


# -- export -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["roster-export.csv", "roster-export.json", "roster.jsonl"])
def test_an_export_imports_back_unchanged(
    runner: CliRunner, data_dir: Path, tmp_path: Path, name: str
) -> None:
    exported = tmp_path / name
    code, out, err = storyfit(runner, data_dir, "creators", "export", str(exported))
    assert code == 0, err
    assert out.strip() == f"Exported 5 creators to {exported}."
    code, out, _ = storyfit(runner, data_dir, "ingest", str(exported))
    assert code == 0 and change_counts(out) == ["0", "0", "5", "0"]
    # Into an empty data dir, the export makes the very same roster.
    code, out, _ = storyfit(runner, tmp_path / "copy", "ingest", str(exported))
    assert code == 0 and change_counts(out) == ["5", "0", "0", "0"]
    assert listed(runner, tmp_path / "copy") == listed(runner, data_dir)


def test_a_csv_export_keeps_spreadsheets_from_running_bios_as_formulas(
    runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "exported.csv"
    assert storyfit(runner, data_dir, "creators", "export", str(exported))[0] == 0
    with exported.open(encoding="utf-8-sig", newline="") as file:
        rows = {row["handle"]: row for row in csv.DictReader(file)}
    assert rows["jane"]["bio"].startswith("'=HYPERLINK")
    assert rows["trailtess"]["bio"].startswith("'- ultra runner")
    assert rows["nanobaker"]["Notes"] == "'+49 30 1234"
    assert rows["kaffeeklaus"]["followers"] == "1200000"


def test_an_export_never_replaces_a_file_unless_forced(
    runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "mine.csv"
    target.write_text("precious spreadsheet\n", encoding="utf-8")
    code, _, err = storyfit(runner, data_dir, "creators", "export", str(target))
    assert code == 1
    assert f"{target} already exists; choose another file name, or add --force" in err
    assert target.read_text(encoding="utf-8") == "precious spreadsheet\n"
    code, _, _ = storyfit(runner, data_dir, "creators", "export", str(target), "--force")
    assert code == 0 and target.read_text(encoding="utf-8-sig").startswith("handle,platform")
    code, _, err = storyfit(runner, data_dir, "creators", "export", str(tmp_path / "x.xlsx"))
    assert code == 1 and "exported as .csv, .json or .jsonl" in err


# -- remove -------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(
    request: pytest.FixtureRequest,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> str:
    """The history database the CLI uses (set before ``data_dir`` imports: list it first)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'history.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("STORYFIT_DATABASE_URL", url)
    return url


@pytest.fixture
def history(history_url: str, data_dir: Path) -> Iterator[History]:
    """The history of ``data_dir``: three briefs that pick, name or exclude @jane (instagram)."""
    store = History.open(history_url)
    jane, jane_tiktok = pick("jane", 8_400), pick("jane", 120_000, "tiktok")
    request, answer = brief_and_answer("Dinner ideas", [pick("kaffeeklaus", 1_200_000), jane])
    answer = answer.model_copy(update={"explanation": "@jane brings the dinners; @kaffeeklaus."})
    first = store.record_request(
        user_id="U1", channel_id="C1", source="cli", request=request, recommendation=answer
    )
    request, answer = brief_and_answer("Both janes", [jane, jane_tiktok])
    answer = answer.model_copy(update={"explanation": "@jane twice."})
    store.record_request(
        user_id="U1", channel_id="C1", source="cli", request=request, recommendation=answer
    )
    request, answer = brief_and_answer("Like @jane but for runners", [pick("trailtess", 12_300)])
    request = request.model_copy(update={"exclude": ["@Jane", "nanobaker"]})
    store.record_request(
        user_id="U2", channel_id="C1", source="cli", request=request, recommendation=answer
    )
    for key in ("instagram:jane", "instagram:kaffeeklaus"):
        store.record_feedback(request_id=first, user_id="U1", kind="thumbs_up", creator_key=key)
    store.record_roster_snapshot([creator("jane", 8_400)], DEFAULT_SCHEME)
    yield store
    store.close()


def test_remove_erases_the_creator_from_the_index_the_catalog_and_history(
    history: History, runner: CliRunner, data_dir: Path
) -> None:
    code, out, err = storyfit(
        runner, data_dir, "creators", "remove", "@Jane", "--platform", "Instagram"
    )
    assert code == 0, err
    assert out.strip() == (
        "Removed @jane (instagram): index record, catalog entry, 2 picks in 2 stored "
        "recommendations, its @handle in 1 other stored brief, 1 feedback entry, "
        "2 roster snapshot entries."
    )
    # The index: Chroma's record and the catalog's row (and its text) are gone; the rest stay.
    chroma = embedded_client(data_dir)
    collection = chroma.get_collection(DEFAULT_COLLECTION)
    assert collection.get(ids=["instagram:jane"])["ids"] == []
    assert len(collection.get(ids=["tiktok:jane", "tiktok:trailtess"])["ids"]) == 2
    chroma.close()
    with sqlite3.connect(data_dir / "catalog.sqlite3") as catalog:
        keys = {key for (key,) in catalog.execute("SELECT key FROM creators")}
        texts = catalog.execute("SELECT count(*) FROM creators_text").fetchone()[0]
    assert "instagram:jane" not in keys and len(keys) == texts == 4
    # The history: no pick, feedback or snapshot entry of the creator, and no @jane in any text.
    with history.transaction() as session:
        picks = set(session.scalars(select(PickRow.creator_key)))
        requests = {row.brief: row for row in session.scalars(select(RequestRow))}
        feedback = list(session.scalars(select(FeedbackRow.creator_key)))
        entries = list(session.scalars(select(RosterEntryRow.creator_key)))
        counts = [s.creator_count for s in session.scalars(select(RosterSnapshotRow))]
    assert picks == {"instagram:kaffeeklaus", "tiktok:jane", "instagram:trailtess"}
    first = requests["Dinner ideas"].recommendation
    assert [p["handle"] for p in first["picks"]] == ["kaffeeklaus"]
    assert first["explanation"] == "a removed creator brings the dinners; @kaffeeklaus."
    both = requests["Both janes"].recommendation
    assert [(p["handle"], p["platform"]) for p in both["picks"]] == [("jane", "tiktok")]
    assert both["explanation"] == "@jane twice."  # the TikTok @jane it also names stays
    runners = requests["Like a removed creator but for runners"]
    assert runners.request["exclude"] == ["nanobaker"]
    assert runners.request["brief"] == runners.recommendation["brief"] == runners.brief
    assert feedback == ["instagram:kaffeeklaus"]
    assert "instagram:jane" not in entries and sorted(counts) == [0, 4]
    assert [r["platform"] for r in listed(runner, data_dir) if r["handle"] == "jane"] == ["tiktok"]


def test_a_handle_on_several_platforms_needs_one(runner: CliRunner, data_dir: Path) -> None:
    code, _, err = storyfit(runner, data_dir, "creators", "remove", "@jane")
    assert code == 1
    assert "@jane is on 2 platforms: instagram, tiktok. Say which with --platform" in err
    code, _, err = storyfit(runner, data_dir, "creators", "remove", "jane", "--platform", "youtube")
    assert code == 1 and "@jane is not on youtube; it is on instagram, tiktok." in err
    assert len([r for r in listed(runner, data_dir) if r["handle"] == "jane"]) == 2


def test_an_unknown_handle_gets_a_did_you_mean(runner: CliRunner, data_dir: Path) -> None:
    code, _, err = storyfit(runner, data_dir, "creators", "remove", "@kaffeklaus")
    assert code == 1
    assert (
        "No creator with the handle @kaffeklaus is on the roster. Did you mean @kaffeeklaus?"
        in (" ".join(err.split()))
    )
    code, out, _ = storyfit(runner, data_dir, "creators", "remove", "@kaffeeklaus")
    assert code == 0 and out.startswith("Removed @kaffeeklaus (instagram): index record")
    code, _, err = storyfit(runner, data_dir, "creators", "remove", "@kaffeeklaus")
    assert code == 1 and "No creator with the handle @kaffeeklaus" in err


def test_a_creator_only_the_history_remembers_can_be_erased(
    history: History, runner: CliRunner, data_dir: Path
) -> None:
    # A creator dropped from the roster (by a re-index) is still in the picks shown back then.
    request, answer = brief_and_answer("Old brief", [pick("ghostcook", 4_000)])
    history.record_request(
        user_id="U1", channel_id="C1", source="cli", request=request, recommendation=answer
    )
    code, out, err = storyfit(runner, data_dir, "creators", "remove", "@ghostcook")
    assert code == 0, err
    assert out.strip() == "Removed @ghostcook (instagram): 1 pick in 1 stored recommendation."
    with history.transaction() as session:
        assert "instagram:ghostcook" not in set(session.scalars(select(PickRow.creator_key)))


def test_a_handle_in_other_letters_is_found_in_every_stored_text(
    history: History, runner: CliRunner, data_dir: Path
) -> None:
    request, answer = brief_and_answer("Pastry", [pick("pâtissière", 4_000)])
    history.record_request(
        user_id="U1", channel_id="C1", source="cli", request=request, recommendation=answer
    )
    request, answer = brief_and_answer("Like @pâtissière, for bread", [pick("trailtess", 12_300)])
    history.record_request(
        user_id="U1", channel_id="C1", source="cli", request=request, recommendation=answer
    )
    code, out, err = storyfit(runner, data_dir, "creators", "remove", "@Pâtissière")
    assert code == 0, err
    assert out.strip() == (
        "Removed @pâtissière (instagram): 1 pick in 1 stored recommendation, "
        "its @handle in 1 other stored brief."
    )
    with history.transaction() as session:
        briefs = set(session.scalars(select(RequestRow.brief)))
    assert "Like a removed creator, for bread" in briefs

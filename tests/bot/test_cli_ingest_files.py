"""``storyfit ingest`` on rosters as teams have them (issue 12): the preview of how the file is
read, ``--dry-run`` that writes nothing, ``--strict`` that imports nothing on a rejected row,
and workbooks with ``--sheet``."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import app

EXCEL_CSV = (
    "Username;Follower Count;Land;Sprache;Bio text\r\n"
    "kaffeeklaus;1200000;Deutschland;Deutsch;Filterkaffee am Morgen – jeden Tag ein Ritual.\r\n"
    "josecocina;8400;España;español;Cocina casera para familias con prisa.\r\n"
)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("STORYFIT_DATA_DIR", "STORYFIT_TIERS", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def storyfit(runner: CliRunner, data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, " ".join(result.stdout.split()), " ".join(result.stderr.split())


def test_dry_run_shows_the_encoding_and_column_mapping_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    roster = tmp_path / "excel.csv"
    roster.write_bytes(EXCEL_CSV.encode("cp1252"))
    data = tmp_path / "data"
    code, out, err = storyfit(runner, data, "ingest", str(roster), "--dry-run")
    assert code == 0, err
    assert f"Reading {roster} (csv, encoding cp1252)" in out
    for line in (
        "handle <- Username (auto)",
        "followers <- Follower Count (auto)",
        "bio <- Bio text (auto)",
        "country <- Land (auto)",
        "language <- Sprache (auto)",
    ):
        assert line in out
    assert "2 row(s): 2 creator(s) to import, 0 rejected, 0 repeated." in out
    assert out.endswith("Dry run: nothing was written.")
    assert not data.exists()
    assert storyfit(runner, data, "tier", "@kaffeeklaus")[0] == 1

    code, out, err = storyfit(runner, data, "ingest", str(roster))
    assert code == 0, err
    assert out.index("country <- Land (auto)") < out.index("Imported")
    code, out, _ = storyfit(runner, data, "tier", "@kaffeeklaus", "--json")
    assert code == 0 and '"country": "DE"' in out and '"language": "de"' in out


def test_strict_imports_nothing_when_a_row_is_rejected(runner: CliRunner, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "handle,followers,platform\n"
        "trailtess,12300,tiktok\n"
        "https://www.tiktok.com/@jane,5,instagram\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    code, out, err = storyfit(runner, data, "ingest", str(roster), "--strict")
    assert code == 1
    assert (
        "Rejected row 3, field handle: handle is a tiktok profile link "
        "(https://www.tiktok.com/@jane) but platform says 'instagram'" in out
    )
    assert err == (
        "Error: --strict: 1 row(s) rejected, so nothing was imported; fix those rows or run "
        "without --strict to import the others."
    )
    assert storyfit(runner, data, "tier", "@trailtess")[0] == 1

    code, out, _ = storyfit(runner, data, "ingest", str(roster))
    assert code == 0 and "Rejected row 3, field handle" in out
    assert storyfit(runner, data, "tier", "@trailtess")[0] == 0


def test_a_workbook_sheet_is_chosen_by_name_and_a_wrong_name_lists_them(
    runner: CliRunner, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["nothing here"])
    sheet = workbook.create_sheet("Creators")
    sheet.append(["Handle", "Subscribers", "Platform", "Description"])
    sheet.append(["https://www.youtube.com/@RunWithTess", 12300.0, "YouTube", "Trail runs."])
    buffer = io.BytesIO()
    workbook.save(buffer)
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(buffer.getvalue())
    data = tmp_path / "data"

    code, _, err = storyfit(runner, data, "ingest", str(roster), "--sheet", "Roster")
    assert code == 1
    assert "has no sheet named 'Roster'; give one of 'Notes', 'Creators' with --sheet." in err

    code, out, err = storyfit(runner, data, "ingest", str(roster), "--sheet", "Creators")
    assert code == 0, err
    assert "(spreadsheet, sheet 'Creators')" in out
    code, out, _ = storyfit(runner, data, "tier", "@runwithtess", "--json")
    assert code == 0 and '"platform": "youtube"' in out and '"followers": 12300' in out


def test_rows_too_big_for_the_store_are_rejected_alone_and_fail_strict(
    runner: CliRunner, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "handle,platform,followers,bio,notes\n"
        "trailtess,tiktok,12300,Trail runs at dawn,\n"
        f"{'jane' * 40},tiktok,900,Knitting,\n"
        f"wanderer,tiktok,3000,{'Slow travel by train. ' * 800},\n"
        "beanbea,tiktok,5000,Coffee roasting,\n"
        f"hoarder,tiktok,50,Collects everything,{'n' * 100_000}\n"
        "dora,tiktok,700,Garden tours,\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    code, out, err = storyfit(runner, data, "ingest", str(roster), "--strict")
    assert code == 1 and "--strict: 3 row(s) rejected, so nothing was imported" in err
    assert storyfit(runner, data, "tier", "@trailtess")[0] == 1

    code, out, err = storyfit(runner, data, "ingest", str(roster))
    assert code == 0, err
    assert "6 row(s): 3 creator(s) to import, 3 rejected, 0 repeated." in out
    assert "Rejected row 3, field handle: handle 'janejane" in out
    assert "would take 167 bytes, more than the index's 128;" in out
    assert "Rejected row 4, field bio: bio is 17,599 bytes long" in out
    assert "Rejected row 6, field notes: this creator's values take 100," in out
    for handle in ("trailtess", "beanbea", "dora"):
        assert storyfit(runner, data, "tier", f"@{handle}")[0] == 0

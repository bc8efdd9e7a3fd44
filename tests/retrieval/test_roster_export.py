"""The roster export reads back (``load_roster``) as the very creators that were written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from retrieval.roster.creator import Creator
from retrieval.roster.export import EXPORT_SUFFIXES, RosterExportError, write_roster
from retrieval.roster.load import load_roster

#: Any text a roster cell can carry: NUL makes a file binary to the loader, so it is left out.
CELL_TEXT = st.text(st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=40)
TRICKY = st.sampled_from(["=1+1", "-5", "+49 30", "@home", "'=x", "[1]", 'say "hi"', "a;b|c"])


@st.composite
def creators(draw: st.DrawFn) -> Creator:
    text = st.one_of(CELL_TEXT, TRICKY)
    values = {
        "handle": draw(st.from_regex(r"[a-z0-9_.=+-]{1,20}", fullmatch=True)),
        "platform": draw(st.sampled_from(["instagram", "tiktok", "unknown"])),
        "followers": draw(st.integers(0, 2**62)),
        "bio": draw(text),
        "name": draw(text),
        "country": draw(st.sampled_from([None, "DE", "BR"])),
        "language": draw(st.sampled_from([None, "pt", "de"])),
        "engagement_rate": draw(st.none() | st.floats(0, 1)),
        "topics": draw(st.lists(text, max_size=3)),
        "extra": draw(st.dictionaries(st.sampled_from(["Notes", "=Owner", "e-mail"]), text)),
    }
    try:
        creator = Creator.model_validate(values)
    except ValidationError:
        assume(False)
    # The loader keeps an extra column only when it holds something after trimming.
    extra = {name: value.strip() for name, value in creator.extra.items() if value.strip()}
    return creator.model_copy(update={"extra": extra})


@pytest.mark.parametrize("suffix", sorted(EXPORT_SUFFIXES))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(roster=st.lists(creators(), min_size=1, max_size=6, unique_by=lambda c: c.key))
def test_every_format_reads_back_as_the_same_creators(
    tmp_path: Path, suffix: str, roster: list[Creator]
) -> None:
    path = tmp_path / f"roster{suffix}"
    columns = sorted({name for creator in roster for name in creator.extra})
    assert write_roster(roster, path, extra_columns=columns, overwrite=True) == len(roster)
    loaded = load_roster(path)
    assert loaded.rejected == []
    assert loaded.creators == roster


def test_cells_a_spreadsheet_would_run_are_written_as_text(tmp_path: Path) -> None:
    creator = Creator(handle="x", followers=1, bio="=HYPERLINK(1)", extra={"@cmd": "+1"})
    path = tmp_path / "roster.csv"
    write_roster([creator], path, extra_columns=["@cmd"])
    with path.open(encoding="utf-8-sig", newline="") as file:
        header, row = list(csv.reader(file))
    assert header[-1] == "'@cmd" and row[3] == "'=HYPERLINK(1)" and row[-1] == "'+1"
    assert load_roster(path).creators == [creator]


def test_an_existing_file_or_an_unknown_format_is_refused(tmp_path: Path) -> None:
    creator = Creator(handle="x", followers=1)
    kept = tmp_path / "kept.json"
    kept.write_text("mine", encoding="utf-8")
    with pytest.raises(RosterExportError, match="already exists; choose another file name"):
        write_roster([creator], kept)
    assert kept.read_text(encoding="utf-8") == "mine"
    with pytest.raises(RosterExportError, match=r"exported as \.csv, \.json or \.jsonl"):
        write_roster([creator], tmp_path / "roster.xlsx")
    with pytest.raises(RosterExportError, match="does not exist; create it first"):
        write_roster([creator], tmp_path / "missing" / "roster.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json"]  # no partial file left

"""Large roster files are read in batches in bounded memory, with the same findings (issue 12)."""

from __future__ import annotations

import csv
import json
import tracemalloc
from pathlib import Path

import pytest

from retrieval.roster import stream as roster_stream
from retrieval.roster.creator import Creator
from retrieval.roster.export import write_roster
from retrieval.roster.load import load_roster
from retrieval.roster.stream import RosterStream, WinningRows

MIXED = (
    "handle,platform,followers,bio\n"
    "jane,instagram,8400,Home cook sharing weeknight family recipes\n"
    "bob,tiktok,lots,Trail runner\n"  # rejected: followers
    "carl,youtube,120k,\n"  # thin bio
    "jane,instagram,9100,Home cook and gardener\n"  # supersedes row 2
    ",tiktok,10,no handle\n"  # rejected: handle
    "dora,tiktok,2.5k,Coffee roaster on a farm\n"
)


def _streamed(path: Path, size: int) -> tuple[RosterStream, list[list[Creator]]]:
    stream = RosterStream.open(path)
    return stream, list(stream.batches(size))


def test_batches_hold_what_the_whole_file_load_holds(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(MIXED, encoding="utf-8")
    whole = load_roster(roster)
    stream, batches = _streamed(roster, 2)
    assert [len(batch) for batch in batches] == [2, 1]
    assert [creator for batch in batches for creator in batch] == whole.creators
    assert stream.creator_count == 3
    assert stream.report.rejected == whole.rejected
    assert stream.report.duplicates == whole.duplicates
    assert stream.report.thin == whole.thin == ["youtube:carl"]
    assert stream.report.total_rows == whole.total_rows == 6


def test_an_exported_csv_streams_back_without_its_formula_guards(tmp_path: Path) -> None:
    roster = [
        Creator(handle="jane", followers=8400, bio="=HYPERLINK(1) quick dinners"),
        Creator(handle="tess", followers=120, bio="- ultra runner", extra={"@cmd": "+49 30"}),
    ]
    path = tmp_path / "exported.csv"
    write_roster(roster, path, extra_columns=["@cmd"])
    assert "'@cmd" in path.read_text(encoding="utf-8-sig")  # the header cell is guarded too
    stream, batches = _streamed(path, 10)
    assert stream.report.rejected == []
    assert [creator for batch in batches for creator in batch] == roster


def test_rejected_rows_are_known_before_any_batch_is_read(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(MIXED, encoding="utf-8")
    stream = RosterStream.open(roster)
    assert [(row.row, row.field) for row in stream.report.rejected] == [
        (3, "followers"),
        (6, "handle"),
    ]
    assert stream.creator_count == 3


def test_a_cp1252_byte_near_the_end_is_streamed_as_cp1252(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    rows = "".join(f"c{number},tiktok,{number},bio {number}\n" for number in range(5000))
    roster.write_bytes(
        b"handle,platform,followers,bio\n" + rows.encode() + b"zoe,tiktok,1,Caf\xe9 owner\n"
    )
    stream, batches = _streamed(roster, 256)
    creators = [creator for batch in batches for creator in batch]
    assert stream.report.encoding == "cp1252"
    assert creators[-1].bio == "Café owner"
    assert creators == load_roster(roster).creators


def test_an_excel_unicode_text_export_streams_with_its_columns_recognised(tmp_path: Path) -> None:
    roster = tmp_path / "roster.txt"
    rows = "".join(f"Zoë{number}\t{number}\tCafé owner in Köln\n" for number in range(3000))
    roster.write_bytes(("Username\tFollower Count\tBio text\n" + rows).encode("utf-16"))
    stream, batches = _streamed(roster, 256)
    assert stream.report.encoding == "UTF-16 LE with BOM"
    assert [str(choice) for choice in stream.report.columns] == [
        "handle <- Username (auto)",
        "followers <- Follower Count (auto)",
        "bio <- Bio text (auto)",
    ]
    creators = [creator for batch in batches for creator in batch]
    assert len(creators) == stream.creator_count == 3000
    assert creators == load_roster(roster).creators
    assert creators[0].bio == "Café owner in Köln"


def test_a_report_lists_a_bounded_number_of_rows_and_counts_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roster_stream, "MAX_LISTED_ROWS", 2)
    roster = tmp_path / "roster.csv"
    bad = "".join(f"bad{number},tiktok,many,x\n" for number in range(5))
    again = "".join(f"jane,tiktok,{number},Cook\n" for number in range(5))
    roster.write_text("handle,platform,followers,bio\n" + bad + again, encoding="utf-8")
    stream, _ = _streamed(roster, 10)
    assert len(stream.report.rejected) == 2
    assert stream.report.rejected_count == 5
    assert len(stream.report.duplicates) == 2
    assert stream.report.duplicate_count == 4


def test_a_json_roster_comes_in_batches_too(tmp_path: Path) -> None:
    roster = tmp_path / "roster.json"
    items = [{"handle": f"c{n}", "followers": n, "bio": f"Bio {n}"} for n in range(5)]
    roster.write_text(json.dumps(items), encoding="utf-8")
    stream, batches = _streamed(roster, 2)
    assert stream.report.format == "json"
    assert [[creator.handle for creator in batch] for batch in batches] == [
        ["c0", "c1"],
        ["c2", "c3"],
        ["c4"],
    ]


def test_winning_rows_keep_each_keys_last_row() -> None:
    notes = [("tiktok:a", 2), ("tiktok:b", 3), ("tiktok:a", 7), ("x:a", 9), ("tiktok:b", 11)]
    winners = WinningRows.of(notes)
    assert len(winners) == 3
    assert [winners.row_of(key) for key in ("tiktok:a", "tiktok:b", "x:a")] == [7, 11, 9]
    assert winners.row_of("tiktok:c") is None
    assert len(WinningRows.of([])) == 0 and WinningRows.of([]).row_of("x:a") is None


ROWS = 20_000
#: Peak Python allocation while streaming 20,000 rows (the key -> row map and one batch: a few
#: MB); reading the whole file, as imports did, holds every row and creator (about 60 MB).
STREAM_PEAK_BYTES = 20_000_000


def _large_roster(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["handle", "platform", "followers", "country", "bio"])
        for number in range(ROWS):
            bio = f"Creator {number} shares slow travel, street food and night markets " * 2
            writer.writerow([f"creator_{number}", "tiktok", 1000 + number, "DE", bio])
    return path


def _peak_bytes(read: object) -> int:
    tracemalloc.start()
    try:
        assert callable(read)
        read()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_20000_rows_keeps_memory_bounded(tmp_path: Path) -> None:
    roster = _large_roster(tmp_path / "large.csv")
    warm = tmp_path / "warm.csv"  # country tables and the like are loaded once, not per row
    warm.write_text("handle,followers,country\nx,1,DE\n", encoding="utf-8")
    RosterStream.open(warm)

    def stream_all() -> None:
        stream = RosterStream.open(roster)
        assert sum(len(batch) for batch in stream.batches(256)) == ROWS

    assert _peak_bytes(stream_all) < STREAM_PEAK_BYTES
    assert _peak_bytes(lambda: load_roster(roster)) > 2 * STREAM_PEAK_BYTES

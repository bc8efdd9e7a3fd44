"""A roster row the creator index could not store within Chroma Cloud's limits (an id over 128
bytes, a bio over 16 KiB, a record needing more than 32 metadata values) is rejected alone when the
roster loads, saying which row, which field and what to do; the rows around it import."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from retrieval.roster.creator import Creator
from retrieval.roster.load import RejectedRow, load_roster
from retrieval.roster.stream import RosterStream
from retrieval.store.limits import MAX_DOCUMENT_BYTES, MAX_ID_BYTES, record_problem

LONG_HANDLE = "jane" + "x" * (MAX_ID_BYTES - len("tiktok:jane") + 1)  # the id takes 129 bytes
LONG_BIO = "Slow travel by train across Europe. " * 499 + "The end."  # 17,972 bytes
HUGE_NOTES = "n" * 100_000  # with its bio, more than 20 metadata values of 4 KiB


def roster_csv() -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["handle", "platform", "followers", "bio", "notes"])
    writer.writerow(["jane", "tiktok", "8400", "Home cook sharing family recipes", ""])
    writer.writerow([LONG_HANDLE, "tiktok", "900", "Knitting patterns", ""])
    writer.writerow(["bob", "tiktok", "120k", "Trail runner", ""])
    writer.writerow(["wanderer", "tiktok", "3000", LONG_BIO, ""])
    writer.writerow(["carl", "youtube", "2.5k", "Coffee roaster", ""])
    writer.writerow(["hoarder", "tiktok", "50", "Collects everything", HUGE_NOTES])
    writer.writerow(["dora", "tiktok", "700", "Garden tours", ""])
    return text.getvalue()


def assert_the_three_bad_rows_are_named(rejected: list[RejectedRow]) -> None:
    assert [(row.row, row.field) for row in rejected] == [
        (3, "handle"),
        (5, "bio"),
        (7, "notes"),
    ]
    handle, bio, huge = (row.reason for row in rejected)
    assert "its id (platform:handle) would take 129 bytes, more than the index's 128;" in handle
    assert "check that the cell holds only the handle, like janecooks" in handle
    assert bio.startswith("bio is 17,972 bytes long (17,972 characters), more than the 16,384")
    assert bio.endswith("; shorten it (only its start is matched to briefs anyway)")
    assert "notes is the largest (100,000 characters): shorten it, or leave out columns" in huge


def test_rows_the_store_could_not_hold_are_rejected_and_their_neighbours_kept(
    tmp_path: Path,
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_csv(), encoding="utf-8")
    loaded = load_roster(roster)
    assert [creator.handle for creator in loaded.creators] == ["jane", "bob", "carl", "dora"]
    assert_the_three_bad_rows_are_named(loaded.rejected)

    stream = RosterStream.open(roster)
    assert_the_three_bad_rows_are_named(stream.report.rejected)
    streamed = [creator.handle for batch in stream.batches(2) for creator in batch]
    assert streamed == ["jane", "bob", "carl", "dora"]


def test_a_json_roster_row_with_a_long_bio_is_rejected_by_its_item_number(
    tmp_path: Path,
) -> None:
    roster = tmp_path / "roster.json"
    roster.write_text(
        f'[{{"handle": "ann", "followers": 5}}, '
        f'{{"handle": "wanderer", "followers": 5, "bio": "{LONG_BIO}"}}]',
        encoding="utf-8",
    )
    loaded = load_roster(roster)
    assert [creator.handle for creator in loaded.creators] == ["ann"]
    assert [(row.row, row.field) for row in loaded.rejected] == [(2, "bio")]


@pytest.mark.parametrize(
    ("bio", "fits"),
    [("é" * (MAX_DOCUMENT_BYTES // 2), True), ("é" * (MAX_DOCUMENT_BYTES // 2) + "a", False)],
)
def test_a_bio_is_measured_in_utf8_bytes_as_chroma_cloud_counts_it(bio: str, fits: bool) -> None:
    creator = Creator(handle="ann", followers=5, bio=bio)
    assert (record_problem(creator) is None) is fits

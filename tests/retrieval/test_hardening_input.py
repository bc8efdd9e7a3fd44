"""Hostile and careless input (issue 10): bounded counts, numeric cells, deep JSON, long CSV cells.

Each case is refused in one clear sentence (which row, which field, why) or row by row, and never
costs time or memory that grows with the size of what was sent.
"""

from __future__ import annotations

import json

import pytest

from retrieval.counts import MAX_COUNT, CountError, parse_count
from retrieval.errors import StoryfitError
from retrieval.roster.load import MAX_CELL_CHARS, RosterFileError, load_roster_text
from retrieval.roster.untrusted_json import json_text

HUGE_COUNTS = [
    "1e999999",  # a million-digit number: 278 s holding the GIL before the bound
    "1e20",
    "9" * 5_000,  # past Python's 4,300-digit limit for int()
    "1e99999999999999999999",  # past decimal's largest exponent (decimal.Overflow)
    "1,000,000,000,000",
    "1000B",
]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("text", HUGE_COUNTS)
def test_a_huge_count_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(CountError) as refused:
        parse_count(text)
    message = str(refused.value)
    assert "\n" not in message and len(message) < 200
    assert "too large" in message or "too long" in message
    assert isinstance(refused.value, StoryfitError) and isinstance(refused.value, ValueError)


def test_counts_up_to_the_bound_are_read_and_the_bound_is_not() -> None:
    assert parse_count("999,999,999,999") == MAX_COUNT - 1
    assert parse_count("999.999999999B") == MAX_COUNT - 1
    assert parse_count("0e99999999") == 0
    assert parse_count("8.5e3") == 8_500
    assert parse_count(MAX_COUNT - 1) == MAX_COUNT - 1
    for too_big in (MAX_COUNT, 10**5_000, float(MAX_COUNT), 1e300):
        with pytest.raises(CountError, match="too large"):
            parse_count(too_big)


def rejected(data: str | bytes, name: str = "roster.csv") -> dict[int, tuple[str | None, str]]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    load = load_roster_text(raw, name)
    return {row.row: (row.field, row.reason) for row in load.rejected}


@pytest.mark.timeout(10)
def test_huge_follower_cells_reject_their_row_and_keep_the_others() -> None:
    lines = ["handle,followers,bio", "keep1,8500,Bakes sourdough every single morning."]
    lines += [
        f'bad{number},"{count}",Too many followers.' for number, count in enumerate(HUGE_COUNTS)
    ]
    lines.append("keep2,12.3K,Runs trails before work every day.")
    csv_text = "\n".join(lines) + "\n"
    load = load_roster_text(csv_text.encode(), "roster.csv")
    assert [creator.handle for creator in load.creators] == ["keep1", "keep2"]
    assert {row.row for row in load.rejected} == set(range(3, 3 + len(HUGE_COUNTS)))
    assert all(row.field == "followers" for row in load.rejected)
    assert all(len(row.reason) < 200 for row in load.rejected)


def test_a_json_number_past_the_int_limit_rejects_its_row() -> None:
    data = (
        '[{"handle": "big", "followers": ' + "9" * 5_000 + ', "bio": "x"},'
        ' {"handle": "rate", "followers": 10, "engagement_rate": ' + "1" * 5_000 + "},"
        ' {"handle": "fine", "followers": 10, "bio": "Cooks vegan food for busy parents."}]'
    )
    reasons = rejected(data, "roster.json")
    assert reasons[1][0] == "followers" and "too long" in reasons[1][1]
    assert reasons[2][0] == "engagement_rate" and "too long" in reasons[2][1]
    assert 3 not in reasons


def test_an_overlong_engagement_rate_cell_is_refused_without_reading_it() -> None:
    data = "handle,followers,engagement_rate\nlong,10," + "1" * 100_000 + "\nok,10,4.5%\n"
    field, reason = rejected(data)[2]
    assert field == "engagement_rate" and "too long to be an engagement rate" in reason
    assert len(reason) < 200


@pytest.mark.parametrize("depth", [100_000, 2_000])
def test_deeply_nested_json_array_is_refused_in_one_sentence(depth: int) -> None:
    data = "[" * depth + "]" * depth
    with pytest.raises(RosterFileError, match="nests objects or lists too deeply"):
        load_roster_text(data.encode(), "roster.json")


def test_deeply_nested_json_line_rejects_only_its_row() -> None:
    deep = '{"handle": "deep", "followers": 5, "bio": ' + "[" * 5_000 + "]" * 5_000 + "}"
    good = '{"handle": "fine", "followers": 10, "bio": "Cooks vegan food for busy parents."}'
    load = load_roster_text(f"{good}\n{deep}\n{good}\n".encode(), "roster.jsonl")
    assert [creator.handle for creator in load.creators] == ["fine"]
    assert [(row.row, row.reason) for row in load.rejected] == [
        (2, "nests objects or lists too deeply to be read")
    ]


def test_a_nested_extra_value_just_under_the_parser_limit_is_kept_as_text() -> None:
    """The parser takes a little less depth than the recursion limit; writing the value back as
    text (for ``Creator.extra``) needs more. It is kept, cut short, and the row imports."""
    for depth in range(900, 1_000, 7):
        nested = "[" * depth + "]" * depth
        item = {"handle": "n", "followers": 5, "bio": "Cooks vegan food for busy parents."}
        text = json.dumps([item]).replace('"bio"', f'"deep": {nested}, "bio"')
        try:
            load = load_roster_text(text.encode(), "roster.json")
        except RosterFileError:
            continue  # too deep for the parser itself: refused in one sentence
        assert [creator.handle for creator in load.creators] == ["n"]


def test_a_cell_over_the_csv_limit_rejects_its_row_and_keeps_the_rest() -> None:
    long_bio = "x" * (MAX_CELL_CHARS + 1)
    data = (
        "handle,followers,bio\n"
        "first,10,Cooks vegan food for busy parents.\n"
        f'long,20,"{long_bio}"\n'
        "last,30,Runs trails before work every day.\n"
    )
    load = load_roster_text(data.encode(), "roster.csv")
    assert [creator.handle for creator in load.creators] == ["first", "last"]
    (row,) = load.rejected
    assert (row.row, row.field) == (3, "bio")
    assert f"{MAX_CELL_CHARS + 1:,} characters long" in row.reason
    assert "unclosed" not in row.reason and "quote that opens it" in row.reason


def test_a_quote_never_closed_is_still_told_as_such() -> None:
    data = 'handle,followers,bio\njane,5,"starts here\n' + "more text, " * 15_000
    with pytest.raises(RosterFileError, match=r"quote opened on line 2 is never closed"):
        load_roster_text(data.encode(), "roster.csv")


def test_a_header_with_a_carriage_return_or_a_huge_column_is_read_not_crashed() -> None:
    quoted_cr = b'handle;followers;"odd\rname"\r\njane;5;x\r\n'
    assert [creator.handle for creator in load_roster_text(quoted_cr, "r.csv").creators] == ["jane"]
    mac = b"handle;followers\rjane;5\rbob;7\r"  # classic Mac line ends
    assert [creator.handle for creator in load_roster_text(mac, "r.csv").creators] == [
        "jane",
        "bob",
    ]
    huge_column = b"handle,followers," + b"x" * (MAX_CELL_CHARS + 1) + b"\njane,5,x\n"
    with pytest.raises(RosterFileError, match="column 3 of the header row is 131,073 characters"):
        load_roster_text(huge_column, "r.csv")


def test_a_value_too_deep_to_write_back_is_cut_short() -> None:
    nested: list[object] = []
    for _ in range(10_000):
        nested = [nested]
    assert json_text(nested) == "[… nested too deeply to show …]"
    assert json_text({"a": [1, "x"]}) == '{"a": [1, "x"]}'

"""Roster loading: what a user's file becomes, and what they are told when it is wrong."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest
from pydantic import ValidationError

from retrieval.errors import StoryfitError
from retrieval.roster.creator import Creator, normalize_country, normalize_language
from retrieval.roster.load import (
    DuplicateRow,
    RejectedRow,
    RosterFileError,
    RosterLoad,
    load_roster,
    load_roster_text,
    parse_column_mapping,
)
from retrieval.tiers import DEFAULT_SCHEME, INDUSTRY_SCHEME
from tests.conftest import TIKTOK_CSV

TIKTOK_MAPPING = ["username=handle, signature=bio, region=country", "platform:=tiktok"]
STORY = "Home cook sharing weeknight family recipes"


def load(data: str | bytes, mapping: Mapping[str, str] | None = None) -> RosterLoad:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    result = load_roster_text(raw, "roster.csv", mapping)
    assert result.total_rows == len(result.creators) + result.rejected_count + len(
        result.duplicates
    ), "every data row is a creator, a rejected row or a superseded duplicate"
    return result


def refusal(data: str | bytes, mapping: Mapping[str, str] | None = None) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with pytest.raises(RosterFileError) as caught:
        load_roster_text(raw, "roster.csv", mapping)
    message = str(caught.value)
    assert "\n" not in message and message.endswith((".", "?")), message
    assert "; " in message, f"says what is wrong, then what to do: {message}"
    assert len(re.split(r"[.?!]\s+[A-Z]", message)) == 1, f"more than one sentence: {message}"
    assert "roster.csv" in message or "mapping" in message, message
    return message


def one(data: str | bytes, mapping: Mapping[str, str] | None = None) -> Creator:
    result = load(data, mapping)
    assert result.rejected == [], result.rejected
    [creator] = result.creators
    return creator


def rejection(header: str, row: str) -> RejectedRow:
    result = load(f"{header}\n{row}\n")
    assert result.creators == []
    [rejected] = result.rejected
    assert rejected.row == 2
    return rejected


# --- Formats, told by content --------------------------------------------------------------------


def test_csv_with_a_comma() -> None:
    result = load(f'handle,followers,bio\njanecooks,8400,"{STORY}, fast"\n')
    assert result.format == "csv"
    assert [(c.handle, c.followers, c.bio) for c in result.creators] == [
        ("janecooks", 8400, f"{STORY}, fast")
    ]


def test_semicolon_csv_whose_bios_hold_commas() -> None:
    result = load("handle;followers;bio\njanecooks;8400;cooking, travel, kids\nbob;12.3K;a, b\n")
    assert [(c.handle, c.followers, c.bio) for c in result.creators] == [
        ("janecooks", 8400, "cooking, travel, kids"),
        ("bob", 12_300, "a, b"),
    ]


def test_tab_separated_values() -> None:
    creator = one("handle\tfollowers\tbio\njanecooks\t8400\tcooking, travel\n")
    assert (creator.handle, creator.bio) == ("janecooks", "cooking, travel")


def test_excel_sep_line_sets_the_delimiter_and_counts_as_a_line() -> None:
    result = load("sep=;\nhandle;followers\njane;10\nbob;lots\n")
    assert [c.handle for c in result.creators] == ["jane"]
    assert [(r.row, r.field) for r in result.rejected] == [(4, "followers")]


def test_json_array_rows_are_item_numbers() -> None:
    data = json.dumps(
        [
            {"handle": "jane", "followers": 8400, "topics": ["food", "family"]},
            {"handle": "bob", "followers": "many"},
        ],
        indent=2,
    )
    result = load(data)
    assert result.format == "json"
    assert result.creators[0].topics == ["food", "family"]
    assert [(r.row, r.field, r.value) for r in result.rejected] == [(2, "followers", "many")]


def test_json_lines_rows_are_line_numbers_blank_lines_included() -> None:
    data = '{"handle": "jane", "followers": 1}\n\n{"handle": "bob", "followers": -1}\n'
    result = load(data)
    assert result.format == "jsonl"
    assert [c.handle for c in result.creators] == ["jane"]
    assert [(r.row, r.field) for r in result.rejected] == [(3, "followers")]
    assert result.total_rows == 2


def test_a_one_line_json_lines_file_is_one_creator() -> None:
    result = load('{"handle": "jane", "followers": 1}')
    assert (result.format, [c.handle for c in result.creators]) == ("jsonl", ["jane"])


def test_format_comes_from_content_not_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text('[{"handle": "jane", "followers": 5}]', encoding="utf-8")
    assert load_roster(path).format == "json"


@pytest.mark.parametrize(
    "data",
    [
        "\ufeffhandle,followers\r\njane,5\r\n",
        '\ufeff[{"handle": "jane", "followers": 5}]',
        '\ufeff{"handle": "jane", "followers": 5}\n',
    ],
)
def test_a_utf8_byte_order_mark_and_crlf_are_tolerated(data: str) -> None:
    assert one(data).handle == "jane"


def test_csv_rows_are_the_line_a_record_starts_on() -> None:
    data = 'handle,followers,bio\njane,5,"two\nlines"\nbob,x,one\n\ncat,,\n'
    result = load(data)
    assert [c.handle for c in result.creators] == ["jane"]
    assert [(r.row, r.field, r.reason) for r in result.rejected] == [
        (4, "followers", "'x' is not a follower count; write it like 8500, 12,300, 12.3K or 1.2M"),
        (6, "followers", "followers is missing"),
    ]


# --- Whole files refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "is empty"),
        (b"  \r\n\n ", "is empty"),
        (b"\xef\xbb\xbf", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "cannot be read as a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "cannot be read as a spreadsheet"),
    ],
)
def test_files_that_are_not_text_rosters(data: bytes, expected: str) -> None:
    assert expected in refusal(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("handle,followers\n", "has a header row but no creator rows"),
        ("handle,followers\n,\n\n", "has a header row but no creator rows"),
        ("sep=;\n", "has no header row"),
        ("[]", "is an empty JSON array"),
        ("[1, 2.5]", "is a JSON array of number values, not creator objects"),
        ('["a", null, true]', "of null and string and true/false values"),
        ('[{"handle": "jane", "followers": 5},', "is not valid JSON (line 1, column"),
        ('{"a": [{"handle": "jane"}], "b": [{"handle": "bob"}]}', "several lists of objects"),
        ('{\n  "handle": "jane",\n  "followers": 5\n}', "one JSON object, not an array"),
        ('{"handle": "jane", \n"followers": 5}\n{"handle": "bob"}', "first line is not valid JSON"),
    ],
)
def test_files_with_no_creators_to_read(data: str, expected: str) -> None:
    assert expected in refusal(data)


def test_no_handle_column_lists_the_columns_and_suggests_a_mapping() -> None:
    message = refusal("nick,followers,signature\njane,5,hi\n")
    assert message == (
        "roster.csv has no handle column (columns found: nick, followers, signature); "
        "rename the column that holds account names to 'handle' or map it, e.g. "
        "--map COLUMN=handle."
    )


def test_no_handle_column_without_an_obvious_candidate() -> None:
    message = refusal('[{"nick": "jane", "followers": 5}]')
    assert "has no handle key (keys found: nick, followers); rename the key" in message
    assert "--map KEY=handle" in message


def test_no_followers_column_is_refused_not_every_row_rejected() -> None:
    message = refusal("handle,likes\njane,5\n")
    assert "has no followers column (columns found: handle, likes)" in message
    assert "--map COLUMN=followers" in message


def test_two_columns_for_one_field_are_refused() -> None:
    message = refusal("username,Handle,followers\njane,jane2,5\n", {"username": "handle"})
    assert "has 2 columns for handle (username, Handle)" in message


def test_a_mapping_naming_a_missing_column_is_refused() -> None:
    message = refusal("handle,followers\njane,5\n", {"signatur": "bio"})
    assert message == (
        "the column mapping reads 'signatur' as bio, but roster.csv has no such column "
        "(columns found: handle, followers); correct the mapping to one of those."
    )


def test_a_never_closed_quote_that_swallows_the_file_is_refused() -> None:
    data = 'handle,followers,bio\njane,5,"starts here\n' + "more text, " * 15_000
    assert "cannot be read as CSV" in refusal(data)


def test_a_refused_path_is_explained_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"PK\x03\x04rest of a workbook")
    with pytest.raises(RosterFileError, match="export the sheet as 'CSV UTF-8'"):
        load_roster(path)
    assert list(tmp_path.iterdir()) == [path]
    with pytest.raises(RosterFileError, match="does not exist"):
        load_roster(tmp_path / "missing.csv")
    with pytest.raises(RosterFileError, match="is a folder"):
        load_roster(tmp_path)


def test_a_refusal_is_a_storyfit_error_the_cli_prints_as_one_line() -> None:
    with pytest.raises(StoryfitError):
        load_roster_text(b"", "roster.csv")


# --- Columns: names, mapping, extras -------------------------------------------------------------


def test_header_names_are_trimmed_and_case_insensitive() -> None:
    creator = one(" Handle ,FOLLOWERS, Bio\njane,5,hello there\n")
    assert (creator.handle, creator.followers, creator.bio) == ("jane", 5, "hello there")


def test_mapping_renames_columns_matching_any_case() -> None:
    mapping = parse_column_mapping(["username=handle", "Signature->bio"])
    creator = one("UserName,followers,SIGNATURE\njane,5,cooking at home daily\n", mapping)
    assert (creator.handle, creator.bio) == ("jane", "cooking at home daily")


def test_unknown_columns_are_kept_as_text_and_empty_ones_dropped() -> None:
    creator = one("handle,followers,Verified,notes,\njane,5,True,,ignored\n")
    assert creator.extra == {"Verified": "True"}
    from_json = one('[{"handle": "jane", "followers": 5, "n": 3, "flags": ["a"], "z": null}]')
    assert from_json.extra == {"n": "3", "flags": '["a"]'}


def test_a_constant_fills_a_field_for_every_row_and_overrides_its_column() -> None:
    mapping = parse_column_mapping(["platform:=TikTok", "country:=Germany"])
    result = load("handle,followers,platform\njane,5,instagram\nbob,6,\n", mapping)
    assert [(c.key, c.country) for c in result.creators] == [
        ("tiktok:jane", "DE"),
        ("tiktok:bob", "DE"),
    ]
    assert all("platform" not in c.extra for c in result.creators)


def test_a_json_object_giving_one_field_twice_is_rejected() -> None:
    data = json.dumps(
        [
            {"username": "jane", "handle": "jane2", "followers": 5},
            {"username": "bob", "followers": 1},
        ]
    )
    result = load(data, {"username": "handle"})
    assert [c.handle for c in result.creators] == ["bob"]
    [rejected] = result.rejected
    assert (rejected.row, rejected.field) == (1, "handle")
    assert "gives handle twice ('username' and 'handle')" in rejected.reason


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (["username=handle"], {"username": "handle"}),
        (["username->handle"], {"username": "handle"}),
        ([" UserName = Handle "], {"username": "handle"}),
        (
            ["username=handle, signature->bio,region=country,"],
            {"username": "handle", "signature": "bio", "region": "country"},
        ),
        (["username=handle", "platform:=tiktok"], {"username": "handle", "platform:=": "tiktok"}),
        (["topics:=food;travel"], {"topics:=": "food;travel"}),
        ([], {}),
    ],
)
def test_parse_column_mapping(pairs: list[str], expected: dict[str, str]) -> None:
    assert parse_column_mapping(pairs) == expected


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (["username"], "'username' is not a column mapping; write SOURCE=FIELD"),
        (["username=nickname"], "'nickname' is not a roster field (fields: handle, platform,"),
        (["handle=username"], "did you mean username=handle?"),
        (["platform=tiktok"], "to give every row the same value write platform:=tiktok"),
        (["=handle"], "names no source column"),
        (["a=bio,b=bio"], "sets bio more than once"),
        (["a=bio", "A=name"], "maps 'A' twice"),
        (["platform=platform", "platform:=tiktok"], "sets platform more than once"),
        (["handle:=jane"], "'handle' cannot be set for every row; constants work for platform,"),
        (["platform:= "], "platform:= needs a value"),
        (["country:=Narnia"], "country:=Narnia: 'Narnia' is not a country we know"),
        (["language:=Elvish"], "language:=Elvish: 'Elvish' is not a language"),
    ],
)
def test_bad_column_mappings(pairs: list[str], expected: str) -> None:
    with pytest.raises(ValueError, match=re.escape(expected)):
        parse_column_mapping(pairs)


def test_load_checks_a_hand_built_mapping_too() -> None:
    with pytest.raises(ValueError, match="'nickname' is not a roster field"):
        load_roster_text(b"handle,followers\njane,5\n", "roster.csv", {"name": "nickname"})


# --- Fields --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("@JaneCooks", "janecooks"), ("  jane_cooks  ", "jane_cooks"), ("@@Jane.Doe", "jane.doe")],
)
def test_handles_are_bare_and_lower_case(cell: str, expected: str) -> None:
    assert one(f"handle,followers\n{cell},5\n").handle == expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("", "handle is missing"),
        ("@", "handle is missing"),
        (
            '"jane cooks"',
            "handle 'jane cooks' contains spaces; a handle is one word like janecooks",
        ),
    ],
)
def test_bad_handles_are_rejected(cell: str, reason: str) -> None:
    rejected = rejection("handle,followers", f"{cell},5")
    assert (rejected.field, rejected.reason) == ("handle", reason)


def test_long_rejected_values_are_shortened_for_the_report() -> None:
    rejected = rejection("handle,followers", f'"{"word " * 100}",5')
    assert rejected.value is not None
    assert (len(rejected.value), rejected.value[-1]) == (80, "…")


def test_platform_is_lower_case_and_defaults_to_unknown() -> None:
    result = load("handle,platform,followers\njane,Instagram,5\nbob,,5\n")
    assert [c.key for c in result.creators] == ["instagram:jane", "unknown:bob"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("8400", 8400),
        ('"12,300"', 12_300),
        ("12.3K", 12_300),
        ("1.2M", 1_200_000),
        ("15200.0", 15_200),
        (" 0 ", 0),
    ],
)
def test_follower_counts_as_people_write_them(cell: str, expected: int) -> None:
    assert one(f"handle,followers\njane,{cell}\n").followers == expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("", "followers is missing"),
        ("lots", "'lots' is not a follower count; write it like 8500, 12,300, 12.3K or 1.2M"),
        ("-5", "'-5' is not a follower count"),
        ("12.5", "'12.5' is not a whole number of followers"),
    ],
)
def test_bad_follower_counts_are_rejected_with_the_parse_message(cell: str, reason: str) -> None:
    rejected = rejection("handle,followers", f"jane,{cell}")
    assert rejected.field == "followers"
    assert rejected.reason.startswith(reason)
    assert rejected.value == (cell or None)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "True is not a follower count"),
        ([5], "followers must be a count, not a list"),
        (None, "followers is missing"),
    ],
)
def test_json_values_of_the_wrong_kind_are_rejected(value: object, reason: str) -> None:
    result = load(json.dumps([{"handle": "jane", "followers": value}]))
    assert [(r.field, r.reason) for r in result.rejected] == [("followers", reason)]


def test_json_numbers_serve_as_handles_and_counts() -> None:
    creator = one('[{"handle": 12345, "followers": 15200.0, "engagement_rate": 4.5}]')
    assert (creator.handle, creator.followers) == ("12345", 15_200)
    assert creator.engagement_rate == pytest.approx(0.045)


def test_a_bio_that_is_not_text_is_rejected() -> None:
    result = load('[{"handle": "jane", "followers": 5, "bio": ["a", "b"]}]')
    assert [(r.field, r.reason) for r in result.rejected] == [
        ("bio", "bio must be text, not a list")
    ]


def test_empty_and_contact_only_bios_are_kept_and_flagged_thin() -> None:
    data = (
        "handle,followers,bio,name\n"
        "jane,5,,\n"
        "bob,6,DM for collabs bob@mail.com,Bob B\n"
        f"cat,7,{STORY},\n"
    )
    result = load(data)
    assert [(c.handle, c.bio, c.name) for c in result.creators] == [
        ("jane", "", None),
        ("bob", "DM for collabs bob@mail.com", "Bob B"),
        ("cat", STORY, None),
    ]
    assert result.thin == ["unknown:jane", "unknown:bob"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("de", "DE"),
        ("DEU", "DE"),
        ("Germany", "DE"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("u.k.", "GB"),
        ("the Netherlands", "NL"),
        ("Côte d’Ivoire", "CI"),
        ("South Korea", "KR"),
        ("Bolivia", "BO"),
        ("USA", "US"),
        ("", None),
    ],
)
def test_countries_become_alpha_2_codes(cell: str, expected: str | None) -> None:
    assert one(f"handle,followers,country\njane,5,{cell}\n").country == expected


@pytest.mark.parametrize("cell", ["Narnia", "Korea", "EU", "XX"])
def test_unknown_or_ambiguous_countries_are_rejected(cell: str) -> None:
    rejected = rejection("handle,followers,country", f"jane,5,{cell}")
    assert (rejected.field, rejected.value) == ("country", cell)
    assert rejected.reason == (
        f"{cell!r} is not a country we know; write an ISO code like DE or a name like Germany"
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Spanish", "es"),
        ("German", "de"),
        ("ES", "es"),
        ("spa", "es"),
        ("ger", "de"),
        ("pt-BR", "pt"),
        ("zh_Hant_TW", "zh"),
        ("Greek", "el"),
        ("Malay", "ms"),
        ("Farsi", "fa"),
        ("", None),
    ],
)
def test_languages_become_iso_639_1_codes(cell: str, expected: str | None) -> None:
    assert one(f"handle,followers,language\njane,5,{cell}\n").language == expected


@pytest.mark.parametrize("cell", ["Elvish", "Klingon", "xx"])
def test_unknown_languages_or_ones_without_a_two_letter_code_are_rejected(cell: str) -> None:
    rejected = rejection("handle,followers,language", f"jane,5,{cell}")
    assert (rejected.field, rejected.value) == ("language", cell)
    assert rejected.reason.startswith(f"{cell!r} is not a language with an ISO 639-1 code")


def test_country_and_language_normalisers_are_shared_with_filters() -> None:
    assert (normalize_country(" germany "), normalize_language("SPANISH")) == ("DE", "es")
    assert (normalize_country(None), normalize_language("")) == (None, None)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("0.045", 0.045),
        ("4.5%", 0.045),
        ("4.5", 0.045),
        ('"4,5 %"', 0.045),
        ("1", 1.0),
        ("100%", 1.0),
        ("0", 0.0),
        ("", None),
    ],
)
def test_engagement_rates(cell: str, expected: float | None) -> None:
    assert one(f"handle,followers,engagement_rate\njane,5,{cell}\n").engagement_rate == (
        pytest.approx(expected) if expected is not None else None
    )


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("150%", "'150%' is not an engagement rate between 0 and 1 (0% and 100%)"),
        ("250", "'250' is not an engagement rate between 0 and 1 (0% and 100%)"),
        ("-0.1", "'-0.1' is not an engagement rate between 0 and 1 (0% and 100%)"),
        ("high", "'high' is not an engagement rate; write it like 0.045 or 4.5%"),
        ("nan", "'nan' is not an engagement rate between 0 and 1 (0% and 100%)"),
    ],
)
def test_bad_engagement_rates_are_rejected(cell: str, reason: str) -> None:
    rejected = rejection("handle,followers,engagement_rate", f"jane,5,{cell}")
    assert (rejected.field, rejected.reason) == ("engagement_rate", reason)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('"[""food"", ""travel""]"', ["food", "travel"]),
        ("food; travel|diy", ["food", "travel", "diy"]),
        ("food;;food; ", ["food"]),
        ("[not json", ["[not json"]),
        ("", []),
    ],
)
def test_topics_from_a_json_list_or_separated_text(cell: str, expected: list[str]) -> None:
    assert one(f"handle,followers,topics\njane,5,{cell}\n").topics == expected


def test_every_bad_field_of_a_row_is_reported_once() -> None:
    result = load("handle,followers,country,language\njane,lots,Narnia,Elvish\nbob,5,DE,de\n")
    assert [c.handle for c in result.creators] == ["bob"]
    assert [(r.row, r.field) for r in result.rejected] == [
        (2, "followers"),
        (2, "country"),
        (2, "language"),
    ]
    assert result.rejected_count == 1


def test_bad_rows_never_cost_the_good_ones() -> None:
    data = (
        "handle,followers,bio\n"
        "jane,5,one\n"
        "jane cooks,5,two\n"
        "bob,5,three,EXTRA\n"
        "cat,5\n"
        "dan,5,four,\n"
    )
    result = load(data)
    assert [(c.handle, c.bio) for c in result.creators] == [
        ("jane", "one"),
        ("cat", ""),
        ("dan", "four"),
    ]
    assert [(r.row, r.field, r.value) for r in result.rejected] == [
        (3, "handle", "jane cooks"),
        (4, None, "bob,5,three,EXTRA"),
    ]
    assert result.rejected[1].reason == (
        "has 4 values but the header has 3 columns; put quotes around values that contain ','"
    )


def test_broken_items_in_json_files_are_rejected_rows() -> None:
    array = load('[{"handle": "jane", "followers": 5}, "bob", {"followers": 3}]')
    assert [(r.row, r.field, r.reason) for r in array.rejected] == [
        (2, None, "is a string, not a creator object"),
        (3, "handle", "handle is missing"),
    ]
    lines = load('{"handle": "jane", "followers": 5}\n{"handle": "bob",\n[1]\n')
    assert [c.handle for c in lines.creators] == ["jane"]
    assert [(r.row, r.value) for r in lines.rejected] == [(2, '{"handle": "bob",'), (3, "[1]")]
    assert lines.rejected[0].reason.startswith("is not valid JSON (column 18:")
    assert lines.rejected[1].reason == "is a list, not a creator object"


# --- Duplicates ----------------------------------------------------------------------------------


def test_duplicates_keep_the_last_row_at_its_position() -> None:
    data = (
        "handle,platform,followers\n"
        "@Jane,instagram,1\n"
        "bob,instagram,2\n"
        "jane,Instagram,3\n"
        "jane,tiktok,4\n"
        "JANE,instagram,5\n"
    )
    result = load(data)
    assert [(c.key, c.followers) for c in result.creators] == [
        ("instagram:bob", 2),
        ("tiktok:jane", 4),
        ("instagram:jane", 5),
    ]
    assert result.duplicates == [
        DuplicateRow(row=2, kept_row=6, key="instagram:jane"),
        DuplicateRow(row=4, kept_row=6, key="instagram:jane"),
    ]
    assert result.total_rows == 5


def test_a_rejected_row_does_not_supersede_a_valid_one() -> None:
    result = load("handle,followers\njane,5\njane,lots\n")
    assert [(c.handle, c.followers) for c in result.creators] == [("jane", 5)]
    assert (result.duplicates, [r.row for r in result.rejected]) == ([], [3])


# --- The model on its own ------------------------------------------------------------------------


def test_creators_built_directly_are_normalised_the_same_way() -> None:
    creator = Creator(
        handle="@JaneCooks",
        platform="Instagram",
        followers="12.3K",
        country="Germany",
        language="German",
        engagement_rate="4.5%",
        topics="food; family",
    )
    assert creator == one(
        "handle,platform,followers,country,language,engagement_rate,topics\n"
        "janecooks,instagram,12300,DE,de,0.045,food;family\n"
    )
    assert creator.key == "instagram:janecooks"
    with pytest.raises(ValidationError, match="'Narnia' is not a country we know"):
        Creator(handle="jane", followers=5, country="Narnia")


# --- The real TikTok data set --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiktok() -> RosterLoad:
    if not TIKTOK_CSV.is_file():
        pytest.fail(f"the shared TikTok data set is missing at {TIKTOK_CSV}")
    return load_roster(TIKTOK_CSV, parse_column_mapping(TIKTOK_MAPPING))


def test_the_whole_tiktok_file_imports(tiktok: RosterLoad) -> None:
    assert (tiktok.format, tiktok.total_rows, len(tiktok.creators)) == ("csv", 5000, 5000)
    assert (tiktok.rejected, tiktok.duplicates) == ([], [])
    assert {creator.platform for creator in tiktok.creators} == {"tiktok"}
    assert all(re.fullmatch(r"[A-Z]{2}", c.country or "") for c in tiktok.creators)


def test_tiktok_tiers_spread_over_every_band(tiktok: RosterLoad) -> None:
    default = Counter(DEFAULT_SCHEME.classify(c.followers).name for c in tiktok.creators)
    assert min(default[tier.name] for tier in DEFAULT_SCHEME.tiers) >= 500, default
    industry = Counter(INDUSTRY_SCHEME.classify(c.followers).name for c in tiktok.creators)
    assert industry["nano"] == 0, "the study's smallest creators have 1,000 followers"
    assert min(industry[tier.name] for tier in INDUSTRY_SCHEME.tiers[1:]) >= 500, industry
    study_tiers = Counter(c.extra["tier"] for c in tiktok.creators)
    assert study_tiers == {"nano": 1000, "micro": 1000, "mid": 1000, "macro": 1000, "mega": 1000}


def test_tiktok_language_names_become_iso_codes(tiktok: RosterLoad) -> None:
    languages = Counter(c.language for c in tiktok.creators)
    assert set(languages) == {"en", "es", "fr", "de", "it"}
    assert languages["en"] > languages["es"] > languages["fr"] > languages["de"] > languages["it"]


def test_tiktok_empty_signatures_are_kept_and_flagged_thin(tiktok: RosterLoad) -> None:
    empty = [c.key for c in tiktok.creators if not c.bio]
    assert len(empty) > 100
    assert set(empty) <= set(tiktok.thin)
    assert len(tiktok.thin) < len(tiktok.creators) / 2

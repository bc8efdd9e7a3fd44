"""Rosters as marketing teams have them (issue 12): Excel's encodings, workbooks, columns named
the way other tools name them, country and language names in their own language, profile links
in the handle column, and JSON wrapped in an object."""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Mapping
from xml.sax.saxutils import escape

import openpyxl
import pytest
import xlwt

from retrieval.roster.creator import Creator
from retrieval.roster.load import (
    RosterFileError,
    RosterLoad,
    load_roster_text,
    parse_column_mapping,
)

ROWS = [
    ["handle", "followers", "bio", "country"],
    ["josé", "12300", "Café crème – brûlée “à la maison”", "España"],
    ["müller", "5", "Käsespätzle für alle", "Österreich"],
]


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def load(
    data: bytes,
    name: str = "roster",
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> RosterLoad:
    return load_roster_text(data, name, mapping, sheet)


def refusal(data: bytes, sheet: str | None = None) -> str:
    with pytest.raises(RosterFileError) as caught:
        load(data, sheet=sheet)
    return str(caught.value)


def creators(result: RosterLoad) -> list[tuple[str, int, str, str | None]]:
    assert result.rejected == [], result.rejected
    return [(c.handle, c.followers, c.bio, c.country) for c in result.creators]


EXPECTED = [
    ("josé", 12300, "Café crème – brûlée “à la maison”", "ES"),
    ("müller", 5, "Käsespätzle für alle", "AT"),
]


# --- Encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter", "named"),
    [
        ("cp1252", ",", "cp1252"),  # Excel's "CSV (Comma delimited)" on Windows
        ("utf-16", "\t", "UTF-16 LE with BOM"),  # Excel's "Unicode Text"
        ("utf-16-be", "\t", "UTF-16-BE"),
        ("utf-8-sig", ";", "UTF-8 with BOM"),
        ("utf-8", "\t", "UTF-8"),
        ("utf-32", ",", "UTF-32"),
    ],
)
def test_text_in_the_encodings_spreadsheets_save_is_read_and_named(
    encoding: str, delimiter: str, named: str
) -> None:
    result = load(csv_text(ROWS, delimiter).encode(encoding))
    assert creators(result) == EXPECTED
    assert result.encoding == named


def test_latin1_text_without_windows_quotes_reads_the_same() -> None:
    rows = [["handle", "followers", "bio"], ["josé", "5", "Crème brûlée und ñandú aus Ærø"]]
    result = load(csv_text(rows).encode("latin-1"))
    assert [(c.handle, c.bio) for c in result.creators] == [
        ("josé", "Crème brûlée und ñandú aus Ærø")
    ]


def test_cyrillic_windows_text_is_detected() -> None:
    rows = [["handle", "followers", "bio"], ["masha", "5", "Готовлю дома каждый день с любовью"]]
    result = load(csv_text(rows).encode("cp1251"))
    assert result.creators[0].bio == "Готовлю дома каждый день с любовью"
    assert result.encoding == "cp1251"


def test_a_binary_file_is_still_refused() -> None:
    assert "is a binary file" in refusal(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02")


# --- Workbooks -----------------------------------------------------------------------------------


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls(sheets: dict[str, list[list[object]]]) -> bytes:
    """An Excel 97-2003 workbook (the binary format Windows Excel still offers)."""
    workbook = xlwt.Workbook(encoding="utf-8")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for title, rows in sheets.items():
        sheet = workbook.add_sheet(title)
        for row_number, row in enumerate(rows):
            for column, value in enumerate(row):
                if isinstance(value, datetime.date):
                    sheet.write(row_number, column, value, dates)
                elif value is not None:
                    sheet.write(row_number, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods(rows: list[list[str]]) -> bytes:
    """A minimal OpenDocument spreadsheet: the mimetype, a manifest and the content."""
    cells = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(cell)}</text:p>'
            "</table:table-cell>"
            for cell in row
        )
        + "</table:table-row>"
        for row in rows
    )
    namespaces = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {namespaces} '
        'office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="Roster">{cells}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def test_an_xlsx_workbook_reads_its_first_sheet_with_numbers_as_people_wrote_them() -> None:
    data = xlsx(
        {
            "Creators": [
                ["Username", "Follower Count", "ER", "Joined", "Verified"],
                ["JaneCooks", 12300.0, 0.045, datetime.date(2024, 1, 2), True],
                [None, None, None, None, None],
                [4242, 8400, 3.5, datetime.datetime(2023, 5, 6, 7, 8), False],
            ],
            "Archive": [["handle", "followers"], ["old", 1]],
        }
    )
    result = load(data, "roster.xlsx")
    assert (result.format, result.sheet, result.encoding) == ("spreadsheet", "Creators", None)
    assert [(c.handle, c.followers, c.engagement_rate) for c in result.creators] == [
        ("janecooks", 12300, 0.045),
        ("4242", 8400, 0.035),
    ]
    assert result.creators[0].extra == {"Joined": "2024-01-02", "Verified": "true"}
    assert result.creators[1].extra["Joined"] == "2023-05-06 07:08:00"


def test_sheet_chooses_another_sheet_and_a_wrong_name_lists_the_sheets() -> None:
    data = xlsx({"Summary": [["total"], [2]], "Creators": [["handle", "followers"], ["jane", 5]]})
    assert [c.handle for c in load(data, sheet="creators").creators] == ["jane"]
    message = refusal(data, sheet="Roster")
    assert message == (
        "roster has no sheet named 'Roster'; give one of 'Summary', 'Creators' with --sheet."
    )


def test_rows_of_a_sheet_are_numbered_as_the_spreadsheet_shows_them() -> None:
    data = xlsx({"S": [["handle", "followers"], ["jane", 5], ["bob", "lots"]]})
    [rejected] = load(data).rejected
    assert (rejected.row, rejected.field) == (3, "followers")


def test_an_xls_workbook_reads_its_first_sheet_with_native_names_and_numbers() -> None:
    data = xls(
        {
            "Influencer": [
                ["Benutzername", "Follower", "Land", "Sprache", "Beigetreten"],
                ["MüllerKocht", 12300.0, "Deutschland", "Deutsch", datetime.date(2024, 1, 2)],
                [4242, 8400, "Österreich", "English (US)", None],
            ],
            "Archiv": [["handle", "followers"], ["old", 1]],
        }
    )
    result = load(data, "roster.xls")
    assert (result.format, result.sheet, result.encoding) == ("spreadsheet", "Influencer", None)
    assert [(c.handle, c.followers, c.country, c.language) for c in result.creators] == [
        ("müllerkocht", 12300, "DE", "de"),
        ("4242", 8400, "AT", "en"),
    ]
    assert result.creators[0].extra == {"Beigetreten": "2024-01-02"}
    assert [c.handle for c in load(data, "roster.xls", sheet="Archiv").creators] == ["old"]


def test_an_ods_workbook_is_read() -> None:
    result = load(ods([["Usuario", "Seguidores", "País"], ["ana", "1200", "México"]]), "r.ods")
    assert [(c.handle, c.followers, c.country) for c in result.creators] == [("ana", 1200, "MX")]
    assert result.sheet == "Roster"


def test_a_sheet_without_creator_rows_is_refused_by_name() -> None:
    message = refusal(xlsx({"Empty": [["handle", "followers"]]}))
    assert message == (
        "roster (sheet 'Empty') has a header row but no creator rows; add one row per creator "
        "under it."
    )


# --- Column names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Username,Follower Count,Description,Region,Lang,Engagement Rate,Display Name,Network",
        "user_name,followers_count,About,Location,language,ER,full name,Social Network",
        "Account,Subscribers,Bio Text,Country Code,LANGUAGE,engagement,Name,platform",
        "Benutzername,Abonnenten,Beschreibung,Land,Sprache,Interaktionsrate,Name,Plattform",
        "Usuario,Seguidores,Descripción,País,Idioma,ER,Nombre,Plataforma",
        "Nom d'utilisateur,Abonnés,Biographie,Pays,Langue,Taux d'engagement,Nom,Plateforme",
        "Channel,Fans,Signature,Market,Language,ER,Creator Name,Platform",
    ],
)
def test_columns_named_as_other_tools_name_them_need_no_mapping(header: str) -> None:
    row = "JaneCooks,8400,Weeknight dinners,DE,de,4.5%,Jane Doe,Instagram"
    creator = load(f"{header}\n{row}\n".encode()).creators[0]
    assert creator.model_dump(exclude={"topics", "extra"}) == {
        "handle": "janecooks",
        "platform": "instagram",
        "followers": 8400,
        "bio": "Weeknight dinners",
        "name": "Jane Doe",
        "country": "DE",
        "language": "de",
        "engagement_rate": 0.045,
        "kind": "creator",
    }
    assert creator.extra == {}


def test_the_report_says_which_column_each_field_is_read_from() -> None:
    result = load(b"Username,Follower Count,bio\njane,5,hi\n")
    assert [str(choice) for choice in result.columns] == [
        "handle <- Username (auto)",
        "followers <- Follower Count (auto)",
        "bio <- bio",
    ]


def test_two_columns_meaning_one_field_read_the_more_telling_one_and_say_why() -> None:
    result = load(b"Profile URL,Username,Fans,Followers Count\nx,jane,5,7\n")
    assert [(c.handle, c.followers) for c in result.creators] == [("jane", 7)]
    handle, followers = (str(choice) for choice in result.columns)
    assert handle == (
        "handle <- Username (auto); read instead of 'Profile URL' as the more usual name for "
        "handle; --map 'Profile URL=handle' reads 'Profile URL' instead"
    )
    assert followers.startswith("followers <- Followers Count (auto); read instead of 'Fans'")
    assert result.creators[0].extra == {"Profile URL": "x", "Fans": "5"}


def test_a_mapping_wins_over_a_column_recognised_by_name() -> None:
    mapping = parse_column_mapping(["Fans=followers", "platform:=tiktok"])
    result = load(b"Username,Fans,Followers Count,Network\njane,5,7,instagram\n", mapping=mapping)
    assert [(c.key, c.followers) for c in result.creators] == [("tiktok:jane", 5)]
    assert [str(choice) for choice in result.columns] == [
        "handle <- Username (auto)",
        "platform := tiktok (every row, --map); 'Network' not read, as --map sets platform for "
        "every row",
        "followers <- Fans (--map); 'Followers Count' not read, as --map says so",
    ]
    assert result.creators[0].extra == {"Followers Count": "7", "Network": "instagram"}


def test_a_column_named_as_the_field_wins_over_its_synonyms() -> None:
    result = load(b"Fans,Followers,handle\n5,7,jane\n")
    assert [c.followers for c in result.creators] == [7]
    assert (
        str(result.columns[1])
        == "followers <- Followers; 'Fans' not read, as it is named followers"
    )


def test_json_keys_are_recognised_by_name_too() -> None:
    result = load(b'[{"username": "jane", "follower_count": 5, "description": "hi"}]')
    assert [(c.handle, c.followers, c.bio) for c in result.creators] == [("jane", 5, "hi")]


# --- Country and language names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("Deutschland", "DE"),
        ("España", "ES"),
        ("Brasil", "BR"),
        ("Italia", "IT"),
        ("Россия", "RU"),
        ("Österreich", "AT"),
        ("États-Unis", "US"),
        ("Niederlande", "NL"),
        ("ドイツ", "DE"),
    ],
)
def test_countries_named_in_their_own_or_a_common_language(country: str, expected: str) -> None:
    creator = Creator(handle="jane", followers=5, country=country)
    assert creator.country == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("Deutsch", "de"),
        ("español", "es"),
        ("Français", "fr"),
        ("Brazilian Portuguese", "pt"),
        ("English (US)", "en"),
        ("Português (Brasil)", "pt"),
        ("Schweizer Hochdeutsch", "de"),
        ("Englisch", "en"),
        ("русский", "ru"),
    ],
)
def test_languages_named_in_their_own_language_and_regional_variants(
    language: str, expected: str
) -> None:
    assert Creator(handle="jane", followers=5, language=language).language == expected


# --- Profile links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "key"),
    [
        ("https://www.instagram.com/JaneCooks/", "instagram:janecooks"),
        ("instagram.com/janecooks?hl=en", "instagram:janecooks"),
        ("https://www.tiktok.com/@jane.cooks", "tiktok:jane.cooks"),
        ("https://www.youtube.com/@JaneCooks", "youtube:janecooks"),
        ("https://youtube.com/c/JaneCooks", "youtube:janecooks"),
        ("https://www.youtube.com/channel/UC123abc", "youtube:uc123abc"),
        ("https://x.com/janecooks", "twitter:janecooks"),
        ("https://twitter.com/janecooks/", "twitter:janecooks"),
        ("https://www.twitch.tv/janecooks", "twitch:janecooks"),
        ("https://m.facebook.com/janecooks", "facebook:janecooks"),
        ("https://www.facebook.com/profile.php?id=1000123", "facebook:1000123"),
        ("https://www.threads.net/@janecooks", "threads:janecooks"),
        ("https://de.pinterest.com/janecooks/", "pinterest:janecooks"),
        ("https://www.linkedin.com/in/jane-cooks/", "linkedin:jane-cooks"),
        ("https://www.snapchat.com/add/janecooks", "snapchat:janecooks"),
    ],
)
def test_a_profile_link_in_the_handle_column_is_the_platform_and_handle(
    link: str, key: str
) -> None:
    [creator] = load(f"handle,followers\n{link},5\n".encode()).creators
    assert creator.key == key


def test_a_platform_column_that_agrees_with_the_link_is_fine_even_as_a_short_name() -> None:
    text = "handle,followers,platform\nhttps://x.com/jane,5,X\nhttps://instagram.com/bob,6,IG\n"
    assert [c.key for c in load(text.encode()).creators] == ["twitter:jane", "instagram:bob"]


def test_short_platform_names_are_spelled_out_without_a_link_too() -> None:
    text = "handle,followers,platform\njane,5,X\nbob,6,IG\nann,7,Tik Tok\n"
    keys = [c.key for c in load(text.encode()).creators]
    assert keys == ["twitter:jane", "instagram:bob", "tiktok:ann"]


def test_a_platform_column_that_disagrees_with_the_link_rejects_the_row_saying_both() -> None:
    text = "handle,followers,platform\nhttps://www.tiktok.com/@jane,5,instagram\nbob,6,tiktok\n"
    result = load(text.encode())
    assert [c.key for c in result.creators] == ["tiktok:bob"]
    [rejected] = result.rejected
    assert (rejected.row, rejected.field) == (2, "handle")
    assert rejected.reason == (
        "handle is a tiktok profile link (https://www.tiktok.com/@jane) but platform says "
        "'instagram'; correct the platform or the link"
    )


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("https://example.com/jane", "handle is a link to example.com, not to a profile on"),
        ("https://www.instagram.com/p/Cx1/", "handle links to a instagram page that is not a"),
        ("https://www.youtube.com/watch?v=abc", "handle links to a youtube page that is not a"),
    ],
)
def test_links_that_are_not_profiles_are_rejected(link: str, reason: str) -> None:
    [rejected] = load(f"handle,followers\n{link},5\n".encode()).rejected
    assert rejected.reason.startswith(reason)


def test_a_handle_with_dots_is_no_link() -> None:
    [creator] = load(b"handle,followers\nwww.melaniee.ch,5\n").creators
    assert creator.key == "unknown:www.melaniee.ch"


# --- JSON wrappers and lone values ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"creators": [{"handle": "jane", "followers": 5}, {"handle": "bob", "followers": 6}]}',
        '{\n  "count": 2,\n  "data": [\n    {"handle": "jane", "followers": 5},\n'
        '    {"handle": "bob", "followers": 6}\n  ]\n}',
    ],
)
def test_a_json_object_holding_the_list_of_creators_is_read(text: str) -> None:
    result = load(text.encode())
    assert [c.handle for c in result.creators] == ["jane", "bob"]
    assert [
        r.row for r in load(text.replace('"followers": 6', '"followers": "x"').encode()).rejected
    ] == [2]


@pytest.mark.parametrize(
    ("text", "kind"),
    [('"janecooks"', 'a string, "janecooks"'), ("42", "a number, 42"), ("null", "null, null")],
)
def test_a_lone_json_value_gets_a_clear_message(text: str, kind: str) -> None:
    assert refusal(text.encode()) == (
        f"roster holds a single JSON value ({kind}), not a roster; give a JSON array of creator "
        'objects like [{"handle": "janecooks", "followers": 8400}], JSON Lines, a CSV file or a '
        "spreadsheet."
    )


def test_a_legacy_character_far_into_a_long_file_is_still_read() -> None:
    rows = [["handle", "followers", "bio"]]
    rows += [[f"creator{number}", "5", "plain ascii bio text"] for number in range(12_000)]
    rows.append(["josé", "7", "Café crème"])
    result = load(csv_text(rows).encode("cp1252"))
    assert len(csv_text(rows)) > 256 * 1024, "the é lies past the part the detector samples"
    assert (result.encoding, result.creators[-1].bio) == ("cp1252", "Café crème")

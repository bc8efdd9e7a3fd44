"""Loading roster files (CSV / JSON / JSON Lines / spreadsheets) into ``Creator``s, with the
column mapping.

A roster row becomes a ``Creator`` or a ``RejectedRow`` that says which row, which field and why;
one bad row never costs the valid rows around it. A file that is not a roster at all (binary,
empty, no handle column...) raises ``RosterFileError`` with one sentence a user can act on.
The bytes are decoded by ``decode``, workbooks read by ``sheets``, column names matched by
``columns`` and profile links read by ``urls``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO, TypeVar

from pydantic import BaseModel

from retrieval.roster.columns import ColumnChoice, auto_map
from retrieval.roster.creator import (
    CONSTANT_FIELDS,
    CONSTANT_MARK,
    FIELD_CLEANERS,
    ROSTER_FIELDS,
    Creator,
    RosterFormat,
    is_thin_bio,
    json_kind,
)
from retrieval.roster.decode import decode_roster
from retrieval.roster.errors import RosterFileError as RosterFileError  # its home for callers
from retrieval.roster.formula_guard import unguard_formula
from retrieval.roster.kind import detect_kind
from retrieval.roster.sheets import SheetRows, is_workbook, read_sheet
from retrieval.roster.untrusted_json import JsonTooDeepError, json_loads, json_text
from retrieval.roster.urls import platform_name, profile_link
from retrieval.store.limits import record_problem

# --- Loading ----------------------------------------------------------------------------------


class RejectedRow(BaseModel):
    """A row that did not import. ``row`` is what the user finds in the file: the CSV line the
    record starts on (the header is line 1), the 1-based item of a JSON array, the JSONL line.
    A row with several bad fields is reported once per field."""

    row: int
    field: str | None
    value: str | None
    reason: str


class DuplicateRow(BaseModel):
    """A row superseded by a later row for the same ``platform:handle`` (the last one wins)."""

    row: int
    kept_row: int
    key: str


class LoadReport(BaseModel):
    """What reading a roster file found, besides the creators themselves."""

    format: RosterFormat
    rejected: list[RejectedRow]
    duplicates: list[DuplicateRow]
    #: Keys of kept creators whose bio is thin (``is_thin_bio``); they are imported all the same.
    thin: list[str]
    #: Data rows read (blank lines excluded): creators + rejected rows + duplicates.
    total_rows: int
    #: A streamed import lists at most ``MAX_LISTED_ROWS`` of each kind; the rest are counted here.
    unlisted_rejected: int = 0
    unlisted_duplicates: int = 0
    unlisted_thin: int = 0
    #: Handles of kept creators that are brand, shop or agency accounts (``kind`` brand).
    brands: list[str] = []
    unlisted_brands: int = 0
    #: How a text file was decoded (``UTF-8``, ``cp1252``, ``UTF-16 LE with BOM``); ``None`` for
    #: a workbook.
    encoding: str | None = None
    #: The sheet read from a workbook.
    sheet: str | None = None
    #: Where each field was read from, in field order (for the report before anything is written).
    columns: list[ColumnChoice] = []

    @property
    def rejected_count(self) -> int:
        """Rows rejected (a row with several bad fields counts once)."""
        return len({rejected.row for rejected in self.rejected}) + self.unlisted_rejected

    @property
    def duplicate_count(self) -> int:
        return len(self.duplicates) + self.unlisted_duplicates

    @property
    def thin_count(self) -> int:
        return len(self.thin) + self.unlisted_thin

    @property
    def brand_count(self) -> int:
        return len(self.brands) + self.unlisted_brands


class RosterLoad(LoadReport):
    """What a roster file held: creators to import and a report of everything else."""

    #: Valid creators, one per key, in the file order of the rows that were kept (for a duplicated
    #: key that is the position of its last occurrence).
    creators: list[Creator]


@dataclass(frozen=True)
class _ColumnPlan:
    """A validated column mapping: column renames (folded source -> field) and constants."""

    renames: dict[str, str]
    constants: dict[str, str]

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str] | None) -> _ColumnPlan:
        renames: dict[str, str] = {}
        constants: dict[str, str] = {}
        for source, target in (mapping or {}).items():
            if source.endswith(CONSTANT_MARK):
                field, value = _constant(source.removesuffix(CONSTANT_MARK), target)
                constants[field] = value
                continue
            column, field = _fold(source), _fold(target)
            if not column:
                raise ValueError(f"the column mapping {source}={target} names no source column")
            if field not in ROSTER_FIELDS:
                raise ValueError(_unknown_field_message(source, target))
            if column in renames:
                raise ValueError(f"the column mapping maps {source!r} twice")
            renames[column] = field
        targets = list(renames.values()) + list(constants)
        for field in ROSTER_FIELDS:
            if targets.count(field) > 1:
                raise ValueError(
                    f"the column mapping sets {field} more than once; keep one of them"
                )
        return cls(renames, constants)

    def as_mapping(self) -> dict[str, str]:
        constants = {f"{field}{CONSTANT_MARK}": value for field, value in self.constants.items()}
        return {**self.renames, **constants}


def _fold(name: str) -> str:
    return name.strip().casefold()


def _unknown_field_message(source: str, target: str) -> str:
    known = ", ".join(ROSTER_FIELDS)
    message = f"{target.strip()!r} is not a roster field (fields: {known})"
    if _fold(source) in CONSTANT_FIELDS:
        message += f"; to give every row the same value write {source.strip()}:={target.strip()}"
    elif _fold(source) in ROSTER_FIELDS:
        message += f"; did you mean {target.strip()}={source.strip()}?"
    return message


def _constant(field_text: str, value: str) -> tuple[str, str]:
    field = _fold(field_text)
    if field not in CONSTANT_FIELDS:
        raise ValueError(
            f"{field_text.strip()!r} cannot be set for every row; "
            f"constants work for {', '.join(CONSTANT_FIELDS)}"
        )
    value = value.strip()
    if not value:
        raise ValueError(f"{field}{CONSTANT_MARK} needs a value, e.g. platform:=tiktok")
    try:
        FIELD_CLEANERS[field](value)
    except ValueError as error:
        raise ValueError(f"{field}{CONSTANT_MARK}{value}: {error}") from None
    return field, value


def parse_column_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """Parse ``--map`` values into a mapping for ``load_roster``.

    Each value is one or more comma-separated entries:

    - ``SRC=DST`` or ``SRC->DST`` reads the file's column SRC (any case) as our field DST, e.g.
      ``username=handle``; the result holds ``{"username": "handle"}``.
    - ``FIELD:=VALUE`` gives every row the same value, e.g. ``platform:=tiktok`` for a file without
      a platform column; the result holds ``{"platform:=": "tiktok"}`` (key ``FIELD:=``). A
      constant overrides a column of the same field. Allowed for ``CONSTANT_FIELDS``.

    Raises ``ValueError`` with a message fit for a user when an entry is malformed, names an
    unknown field, or two entries set the same field.
    """
    entries: dict[str, str] = {}
    for pair in pairs:
        for entry in (part.strip() for part in pair.split(",")):
            if not entry:
                continue
            if CONSTANT_MARK in entry:
                field, value = entry.split(CONSTANT_MARK, 1)
                source, target = f"{_fold(field)}{CONSTANT_MARK}", value
            elif "->" in entry or "=" in entry:
                source, target = re.split(r"->|=", entry, maxsplit=1)
            else:
                raise ValueError(
                    f"{entry!r} is not a column mapping; write SOURCE=FIELD like username=handle "
                    "or FIELD:=VALUE like platform:=tiktok"
                )
            if _fold(source) in entries:
                raise ValueError(f"the column mapping maps {source.strip()!r} twice")
            entries[_fold(source)] = target.strip()
    return _ColumnPlan.from_mapping(entries).as_mapping()


def load_roster(
    path: Path, mapping: Mapping[str, str] | None = None, sheet: str | None = None
) -> RosterLoad:
    """Read the roster file at ``path``; see ``load_roster_text``."""
    with open_roster_file(path) as file:
        data = file.read()
    return load_roster_text(data, str(path), mapping, sheet)


def open_roster_file(path: Path) -> BinaryIO:
    """``path`` opened for reading bytes; ``RosterFileError`` saying what to do if it cannot be."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise RosterFileError(f"{path} does not exist; check the path and try again.") from None
    except IsADirectoryError:
        raise RosterFileError(f"{path} is a folder; give the path of a roster file.") from None
    except OSError as error:
        raise RosterFileError(
            f"{path} cannot be read ({error.strerror}); check its permissions."
        ) from None


def load_roster_text(
    data: bytes,
    source_name: str,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> RosterLoad:
    """Read a roster from ``data``: CSV (or tab-separated), a JSON array of objects (or an object
    holding one), JSON Lines, or a workbook (``.xlsx``, ``.xls``, ``.ods``: the sheet named
    ``sheet``, else the first), told by content. Text in any common encoding is read.

    ``mapping`` comes from ``parse_column_mapping``: ``{"username": "handle"}`` reads a column
    as a field, ``{"platform:=": "tiktok"}`` sets a field for every row (a bad mapping raises
    ``ValueError``).
    ``source_name`` names the file in messages. Raises ``RosterFileError`` when the data is not a
    roster at all; problems in single rows are reported in the result instead.
    """
    plan = _ColumnPlan.from_mapping(mapping)
    encoding = chosen_sheet = None
    if is_workbook(data):
        rows = read_sheet(data, source_name, sheet)
        chosen_sheet = rows.sheet
        roster_format: RosterFormat = "spreadsheet"
        column_names, records = _sheet_table(rows, source_name)
    else:
        decoded = decode_roster(data, source_name)
        encoding = decoded.encoding
        roster_format, column_names, records = _parse(decoded.text, source_name)
    columns = _Columns.resolve(column_names, plan, source_name, roster_format)
    load = _build(roster_format, records, columns, plan)
    return load.model_copy(
        update={"encoding": encoding, "sheet": chosen_sheet, "columns": columns.choices}
    )


# --- Parsing the text into records ---------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    """One data row: its values by original column/key name, or why it could not be read."""

    row: int
    values: dict[str, Any]
    problem: str | None = None
    shown: str | None = None
    field: str | None = None
    too_long: bool = False


def _parse(text: str, name: str) -> tuple[RosterFormat, list[str], list[_Record]]:
    """The format, the column names (a CSV header, or every JSON key in first-seen order) and
    the records."""
    start = text.lstrip()
    if not start:
        raise RosterFileError(
            f"{name} is empty; export the roster with a header row and one creator per row."
        )
    _refuse_a_json_scalar(start, name)
    if start.startswith("["):
        records = _json_array(text, name)
    elif start.startswith("{"):
        records = _json_object_or_lines(text, name)
    else:
        header, records = _csv(text, name)
        return "csv", header, records
    keys = dict.fromkeys(key for record in records for key in record.values)
    return ("json" if start.startswith("[") else "jsonl"), list(keys), records


#: The most a file of one line may hold to be checked for being a lone JSON value.
_SCALAR_CHECK_CHARS = 100_000


def _refuse_a_json_scalar(start: str, name: str) -> None:
    """A file holding one JSON string, number, true/false or null is no roster: say so, instead
    of reading it as a CSV header without rows."""
    if len(start) > _SCALAR_CHECK_CHARS or start[0] in "[{" or "\n" in start.strip():
        return
    try:
        value = json_loads(start)
    except (json.JSONDecodeError, JsonTooDeepError):
        return
    raise RosterFileError(
        f"{name} holds a single JSON value ({json_kind(value)}, {_shown(json_text(value), 40)}),"
        ' not a roster; give a JSON array of creator objects like [{"handle": "janecooks", '
        '"followers": 8400}], JSON Lines, a CSV file or a spreadsheet.'
    )


def _json_array(text: str, name: str) -> list[_Record]:
    try:
        items = json_loads(text)  # a "[" starts the text: a list or an error
    except json.JSONDecodeError as error:
        raise RosterFileError(
            f"{name} looks like JSON but is not valid JSON (line {error.lineno}, column "
            f"{error.colno}: {error.msg}); fix that spot or export the roster again."
        ) from None
    except JsonTooDeepError as error:
        raise RosterFileError(f"{name} {error}; {_FLAT_OBJECTS}") from None
    assert isinstance(items, list)
    return _json_items(items, name)


def _json_items(items: list[object], name: str) -> list[_Record]:
    if not items:
        raise RosterFileError(f"{name} is an empty JSON array; put one object per creator in it.")
    if not any(isinstance(item, dict) for item in items):
        kinds = sorted({json_kind(item).split(" ")[-1] for item in items})
        raise RosterFileError(
            f"{name} is a JSON array of {' and '.join(kinds)} values, not creator objects; write "
            'each creator as an object like {"handle": "janecooks", "followers": 8400}.'
        )
    return [_json_record(number, item) for number, item in enumerate(items, start=1)]


_FLAT_OBJECTS = (
    'write each creator as a flat object like {"handle": "janecooks", "followers": 8400}.'
)


def _json_record(row: int, item: object) -> _Record:
    if isinstance(item, dict):
        return _Record(row, item)
    return _Record(
        row,
        {},
        f"is {json_kind(item)}, not a creator object",
        json_text(item),
    )


def _json_object_or_lines(text: str, name: str) -> list[_Record]:
    lines = text.split("\n")
    try:
        whole = json_loads(text)
    except (json.JSONDecodeError, JsonTooDeepError):
        whole = None
    if isinstance(whole, dict):
        wrapped = [key for key, value in whole.items() if _is_object_list(value)]
        if len(wrapped) == 1:  # {"creators": [...]}, {"data": [...], "count": 3}
            return _json_items(whole[wrapped[0]], name)
        if len(wrapped) > 1:
            keys = ", ".join(repr(key) for key in wrapped)
            raise RosterFileError(
                f"{name} is one JSON object with several lists of objects ({keys}); keep the "
                "list of creators alone in a top-level [...] array."
            )
        if sum(1 for line in lines if line.strip()) > 1:
            raise RosterFileError(
                f"{name} is one JSON object, not an array of creator objects; put the creators "
                "in a top-level [...] array, or write one object per line (JSON Lines)."
            )
    first = next(line for line in lines if line.strip())
    try:
        json_loads(first)
    except json.JSONDecodeError as error:
        raise RosterFileError(
            f"{name} looks like JSON Lines but its first line is not valid JSON (column "
            f"{error.colno}: {error.msg}); write one complete creator object per line."
        ) from None
    except JsonTooDeepError as error:
        raise RosterFileError(f"{name}: the first line {error}; {_FLAT_OBJECTS}") from None
    return [
        _jsonl_record(number, line) for number, line in enumerate(lines, start=1) if line.strip()
    ]


def _is_object_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _jsonl_record(row: int, line: str) -> _Record:
    try:
        item = json_loads(line)
    except json.JSONDecodeError as error:
        return _Record(row, {}, f"is not valid JSON (column {error.colno}: {error.msg})", line)
    except JsonTooDeepError as error:
        return _Record(row, {}, str(error), line)
    return _json_record(row, item)


_DELIMITERS = {",": "','", ";": "';'", "\t": "a tab"}
#: Longest CSV cell read (the csv module's default limit); a longer one rejects its row.
MAX_CELL_CHARS = 131_072
_UNCLOSED_QUOTE_HINT = (
    "shorten it, or close the quote that opens it if it swallowed the rows after it"
)
_CSV_LIMIT_LOCK = threading.Lock()
_T = TypeVar("_T")
_SEP_LINE = re.compile(r"sep=(.)\s*", re.I)
#: Where the csv module (reading with ``newline=""``) ends a line: a lone CR counts too.
_LINE_BREAK = re.compile(r"\r\n?|\n")


def _csv(text: str, name: str) -> tuple[list[str], list[_Record]]:
    """The header and the records; a record's row is the line it starts on."""
    reader = CsvRecords(io.StringIO(text, newline=""), name, len(text))
    return reader.header, list(reader.records())


def _require_rows(header: list[str] | None, records: list[_Record], name: str) -> None:
    if header is None:
        raise _no_header(name)
    if not records:
        raise _no_rows(name)


def _no_header(name: str) -> RosterFileError:
    return RosterFileError(f"{name} has no header row; put the column names on its first line.")


def _no_rows(name: str) -> RosterFileError:
    return RosterFileError(
        f"{name} has a header row but no creator rows; add one row per creator under it."
    )


def _sheet_table(rows: SheetRows, name: str) -> tuple[list[str], list[_Record]]:
    """The header and the records of a sheet; a record's row is its row number in the sheet."""
    shown = f"{name} (sheet {rows.sheet!r})"
    header = next(rows.rows, None)
    records = [
        _csv_record(number, cells, header or [], ",")
        for number, cells in enumerate(rows.rows, start=rows.first_row + 1)
        if "".join(cells).strip()
    ]
    _require_rows(header, records, shown)
    assert header is not None
    _check_header_cells(header, shown)
    return header, records


class CsvRecords:
    """A CSV file's header and its records, read one record at a time from ``lines`` (text
    opened with ``newline=""``); ``size`` bounds a cell's length (the file's length will do)."""

    def __init__(self, lines: TextIO, name: str, size: int) -> None:
        self._name = name
        allow_csv_fields_of_size(size)
        first_line = lines.readline()
        sep_line = _SEP_LINE.fullmatch(_LINE_BREAK.split(first_line, maxsplit=1)[0])
        if sep_line:  # Excel's "sep=;" hint line
            self._delimiter = sep_line[1]
            self._lines: Iterator[str] = iter(lines)
        else:
            self._delimiter = _sniff_delimiter(_LINE_BREAK.split(first_line, maxsplit=1)[0])
            self._lines = itertools.chain([first_line], lines)
        self._lines_before = 1 if sep_line else 0
        self._quotes = 0
        self._reader = csv.reader(self._counting_quotes(), delimiter=self._delimiter)
        header = self._guarded(lambda: next(self._reader, None))
        if header is None:
            raise _no_header(name)
        header = [unguard_formula(cell) for cell in header]
        _check_header_cells(header, name)
        self.header: list[str] = header

    def _counting_quotes(self) -> Iterator[str]:
        for line in self._lines:
            self._quotes += line.count('"')
            yield line

    def _guarded(self, read: Callable[[], _T]) -> _T:
        try:
            return read()
        except csv.Error as error:
            raise RosterFileError(
                f"{self._name} cannot be read as CSV near line "
                f"{self._reader.line_num + self._lines_before} ({error}); "
                "check that every opening quote is closed."
            ) from None

    def records(self) -> Iterator[_Record]:
        """Each non-blank data row, in file order; file-level problems raise at the end."""
        start = self._reader.line_num + self._lines_before + 1
        last: _Record | None = None
        while (cells := self._guarded(lambda: next(self._reader, None))) is not None:
            row, start = start, self._reader.line_num + self._lines_before + 1
            if "".join(cells).strip():
                last = _csv_record(row, cells, self.header, self._delimiter)
                yield last
        if last is None:
            raise _no_rows(self._name)
        if last.too_long and self._quotes % 2:
            raise RosterFileError(
                f"{self._name} cannot be read as CSV: a quote opened on line {last.row} is never "
                "closed, so that value runs to the end of the file; check that every opening "
                "quote is closed."
            )


def allow_csv_fields_of_size(size: int) -> None:
    """Let the csv module read fields as long as ``size``, so an overlong cell is reported with
    its row (by ``_csv_record``) instead of stopping the file at the module's own limit. The
    limit is process-wide and only ever raised: a stream read for hours holds no lock."""
    with _CSV_LIMIT_LOCK:
        csv.field_size_limit(max(csv.field_size_limit(), size + 1))


def _check_header_cells(header: list[str], name: str) -> None:
    for number, column in enumerate(header, start=1):
        if len(column) > MAX_CELL_CHARS:
            raise RosterFileError(
                f"{name}: column {number} of the header row is {len(column):,} characters long "
                f"(at most {MAX_CELL_CHARS:,}); {_UNCLOSED_QUOTE_HINT}"
            )


def _sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most columns (a comma when none does)."""
    allow_csv_fields_of_size(len(header_line))
    counts = {d: len(next(csv.reader([header_line], delimiter=d))) for d in _DELIMITERS}
    return max(counts, key=lambda d: counts[d])


def _csv_record(row: int, cells: list[str], header: list[str], delimiter: str) -> _Record:
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
        return _Record(
            row,
            {},
            f"has {len(cells)} values but the header has {len(header)} columns; put quotes "
            f"around values that contain {_DELIMITERS.get(delimiter, repr(delimiter))}",
            delimiter.join(cells),
        )
    for column, cell in zip(header, cells, strict=False):
        if len(cell) > MAX_CELL_CHARS:
            return _Record(
                row,
                {},
                f"its {column.strip() or 'unnamed'} value is {len(cell):,} characters long (at "
                f"most {MAX_CELL_CHARS:,}); {_UNCLOSED_QUOTE_HINT}",
                cell,
                field=column.strip() or None,
                too_long=True,
            )
    return _Record(row, dict(zip(header, map(unguard_formula, cells), strict=False)))


# --- Columns and rows ----------------------------------------------------------------------------

_MEANING = {"handle": "account names", "followers": "follower counts"}


@dataclass(frozen=True)
class _Columns:
    """Where each column of the file goes: one of our fields, ``Creator.extra``, or nowhere;
    ``choices`` says where each field is read from, for the report."""

    fields: dict[str, str]
    extra: dict[str, str]
    choices: list[ColumnChoice]

    @classmethod
    def resolve(
        cls, names: list[str], plan: _ColumnPlan, source: str, roster_format: RosterFormat
    ) -> _Columns:
        """Columns named by ``--map`` first, then columns named as a field, then synonyms
        (``Follower Count``, ``Seguidores``) for the fields still unread."""
        fields: dict[str, str] = {}
        extra: dict[str, str] = {}
        sources: dict[str, list[str]] = {}
        for name in names:
            folded = _fold(name)
            if not folded:
                continue
            field = plan.renames.get(folded, folded if folded in ROSTER_FIELDS else None)
            if field is None:
                extra[name] = name.strip()
            elif field not in plan.constants:
                fields[name] = field
                sources.setdefault(field, []).append(name.strip())
        _check_named_columns(names, plan, sources, source, roster_format)
        choices = [
            ColumnChoice(
                field=field,
                column=columns[0],
                by="map" if _fold(columns[0]) in plan.renames else "name",
            )
            for field, columns in sources.items()
        ]
        choices += [
            ColumnChoice(field=field, constant=value, by="constant")
            for field, value in plan.constants.items()
        ]
        synonyms = auto_map(extra, choices)
        by_column = {name.strip(): name for name in extra}
        for choice in synonyms:
            fields[by_column[str(choice.column)]] = choice.field
            del extra[by_column[str(choice.column)]]
        choices += synonyms
        order = {field: number for number, field in enumerate(ROSTER_FIELDS)}
        choices.sort(key=lambda choice: order[choice.field])
        _require_identity_columns(choices, names, source, roster_format)
        return cls(fields, extra, choices)


def _check_named_columns(
    names: list[str],
    plan: _ColumnPlan,
    sources: dict[str, list[str]],
    source: str,
    roster_format: RosterFormat,
) -> None:
    """Every column ``--map`` names is in the file; a table has one column per named field."""
    shown = _column_list(names)
    noun = _noun(roster_format)
    folded_names = {_fold(name) for name in names}
    for column, field in plan.renames.items():
        if column not in folded_names:
            raise RosterFileError(
                f"the column mapping reads {column!r} as {field}, but {source} has no such "
                f"{noun} ({noun}s found: {shown}); correct the mapping to one of those."
            )
    if noun == "column":
        for field, columns in sources.items():
            if len(columns) > 1:
                raise RosterFileError(
                    f"{source} has {len(columns)} columns for {field} ({', '.join(columns)}); "
                    "remove all but one or change the column mapping."
                )


def _require_identity_columns(
    choices: list[ColumnChoice], names: list[str], source: str, roster_format: RosterFormat
) -> None:
    read = {choice.field for choice in choices}
    noun = _noun(roster_format)
    for field in ("handle", "followers"):
        if field not in read:
            raise RosterFileError(
                f"{source} has no {field} {noun} ({noun}s found: {_column_list(names)}); rename "
                f"the {noun} that holds {_MEANING[field]} to {field!r} or map it, e.g. "
                f"--map {noun.upper()}={field}."
            )


def _noun(roster_format: RosterFormat) -> str:
    return "key" if roster_format in ("json", "jsonl") else "column"


def _column_list(names: list[str], limit: int = 20) -> str:
    shown = [name.strip() for name in names if name.strip()] or ["none"]
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


def _extra_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    return "" if value is None else json_text(value)


def _shown(value: object, limit: int = 80) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _creator_or_rejections(
    record: _Record, columns: _Columns, plan: _ColumnPlan
) -> Creator | list[RejectedRow]:
    if record.problem is not None:
        return [
            RejectedRow(
                row=record.row,
                field=record.field,
                value=_shown(record.shown),
                reason=record.problem,
            )
        ]
    fields: dict[str, object] = {"handle": None, "followers": None}
    given_by: dict[str, str] = {}
    extra: dict[str, str] = {}
    field_of, extra_name_of = columns.fields, columns.extra
    for key, value in record.values.items():
        field = field_of.get(key)
        if field is None:
            extra_name = extra_name_of.get(key)
            if extra_name is not None and (extra_text := _extra_text(value)):
                extra[extra_name] = extra_text
        elif value is not None and value != "":
            if field in given_by:
                reason = f"gives {field} twice ({given_by[field]!r} and {key!r}); keep one"
                return [RejectedRow(row=record.row, field=field, value=None, reason=reason)]
            fields[field], given_by[field] = value, key
    fields.update(plan.constants)
    link_problem = _read_profile_link(fields)
    if link_problem is not None:
        shown = _shown(fields["handle"])
        return [RejectedRow(row=record.row, field="handle", value=shown, reason=link_problem)]
    values: dict[str, Any] = {"extra": extra}
    rejections = []
    for field, clean in FIELD_CLEANERS.items():
        try:
            values[field] = clean(fields.get(field))
        except ValueError as error:
            value = _shown(fields.get(field))
            rejections.append(
                RejectedRow(row=record.row, field=field, value=value, reason=str(error))
            )
    if rejections:
        return rejections
    values["kind"] = values["kind"] or detect_kind(values["bio"], values["name"])
    # Every value is already normalised and checked: skip validating it a second time.
    creator = Creator.model_construct(**values)
    too_big = record_problem(creator)
    if too_big is not None:
        field, reason = too_big
        shown = _shown(fields.get(field, extra.get(field)))
        return [RejectedRow(row=record.row, field=field, value=shown, reason=reason)]
    return creator


def _read_profile_link(fields: dict[str, object]) -> str | None:
    """A profile link in the handle becomes the handle and the platform in ``fields``; returns
    why the row is rejected when the link is not a profile or a platform value disagrees."""
    handle = fields["handle"]
    if not isinstance(handle, str):
        return None
    try:
        link = profile_link(handle)
    except ValueError as error:
        return str(error)
    if link is None:
        return None
    given = fields.get("platform")
    given_text = given.strip() if isinstance(given, str) else ""
    if platform_name(given_text) not in ("", "unknown", link.platform):
        return (
            f"handle is a {link.platform} profile link ({handle.strip()}) but platform says "
            f"{given_text!r}; correct the platform or the link"
        )
    fields["handle"], fields["platform"] = link.handle, link.platform
    return None


def _build(
    roster_format: RosterFormat, records: list[_Record], columns: _Columns, plan: _ColumnPlan
) -> RosterLoad:
    kept: dict[str, Creator] = {}
    rows_by_key: dict[str, list[int]] = {}
    rejected: list[RejectedRow] = []
    for record in records:
        outcome = _creator_or_rejections(record, columns, plan)
        if isinstance(outcome, list):
            rejected.extend(outcome)
            continue
        kept.pop(outcome.key, None)  # re-inserted: a key sits where its last row is
        kept[outcome.key] = outcome
        rows_by_key.setdefault(outcome.key, []).append(record.row)
    duplicates = sorted(
        (
            DuplicateRow(row=row, kept_row=rows[-1], key=key)
            for key, rows in rows_by_key.items()
            for row in rows[:-1]
        ),
        key=lambda duplicate: duplicate.row,
    )
    creators = list(kept.values())
    return RosterLoad(
        format=roster_format,
        creators=creators,
        rejected=rejected,
        duplicates=duplicates,
        thin=[creator.key for creator in creators if is_thin_bio(creator.bio)],
        total_rows=len(records),
        brands=[creator.handle for creator in creators if creator.kind == "brand"],
    )

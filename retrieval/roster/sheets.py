"""Spreadsheet workbooks (``.xlsx``, ``.xls``, ``.ods``...) read with python-calamine: one sheet's
rows as text cells, a row at a time, numbers and dates written the way a person reads them."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass

from retrieval.roster.errors import RosterFileError

#: How workbooks start: a zip (xlsx, ods) or an OLE compound file (xls).
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def is_workbook(data: bytes) -> bool:
    return data.startswith(WORKBOOK_MAGIC)


@dataclass
class SheetRows:
    """The chosen sheet: its name and its rows (the header first), cells as text."""

    sheet: str
    rows: Iterator[list[str]]
    #: The sheet's row number of the header (rows above the used range are skipped).
    first_row: int = 1


def read_sheet(data: bytes, name: str, sheet: str | None = None) -> SheetRows:
    """The rows of ``sheet`` (the first sheet when ``None``); raises ``RosterFileError`` for a
    file that is no workbook calamine reads, or a sheet name the workbook does not have."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as error:
        raise RosterFileError(
            f"{name} is an archive or workbook that cannot be read as a spreadsheet ({error}); "
            "save it again as .xlsx or export the sheet as 'CSV UTF-8'."
        ) from None
    names: list[str] = list(workbook.sheet_names)
    if not names:
        raise RosterFileError(f"{name} has no sheets; put the roster on a sheet and try again.")
    chosen = names[0] if sheet is None else _sheet_named(sheet, names, name)
    try:
        table = workbook.get_sheet_by_name(chosen)
        cells = table.iter_rows()
    except CalamineError as error:
        raise RosterFileError(f"{name}: the sheet {chosen!r} cannot be read ({error}).") from None
    start = table.start
    rows = ([cell_text(cell) for cell in row] for row in cells)
    return SheetRows(chosen, rows, first_row=start[0] + 1 if start else 1)


def _sheet_named(wanted: str, names: list[str], name: str) -> str:
    """The sheet called ``wanted``; case and surrounding spaces are ignored."""
    for sheet in names:
        if sheet.strip().casefold() == wanted.strip().casefold():
            return sheet
    listed = ", ".join(repr(sheet) for sheet in names)
    raise RosterFileError(
        f"{name} has no sheet named {wanted!r}; give one of {listed} with --sheet."
    )


def cell_text(cell: object) -> str:
    """A cell as a roster reads it: ``12300.0`` -> ``12300``, a date -> ``2024-01-02``,
    a boolean -> ``true``, empty -> ``""``."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, datetime.datetime):
        return cell.isoformat(sep=" ", timespec="seconds").removesuffix(" 00:00:00")
    if isinstance(cell, datetime.date | datetime.time):
        return cell.isoformat()
    return str(cell)

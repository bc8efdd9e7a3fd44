"""Creators written back in the roster import format: CSV, a JSON array or JSON Lines.

What is written reads back (``load_roster``) as the same creators: every roster field, then the
extra columns the import kept. CSV cells a spreadsheet would run as formulas are written with a
leading ``'`` (``formula_guard``), which the loader drops again.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

from retrieval.errors import StoryfitError
from retrieval.roster.creator import ROSTER_FIELDS, Creator, RosterFormat
from retrieval.roster.formula_guard import guard_formula

#: The file endings an export understands; a file without one is written as CSV.
EXPORT_SUFFIXES: dict[str, RosterFormat] = {
    ".csv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


class RosterExportError(StoryfitError):
    """The export cannot be written where it was asked to be; the message says what to do."""


def export_format(path: Path) -> RosterFormat:
    """The format ``path``'s ending asks for: ``.json``, ``.jsonl``/``.ndjson``, else CSV."""
    suffix = path.suffix.lower()
    if suffix in EXPORT_SUFFIXES:
        return EXPORT_SUFFIXES[suffix]
    if not suffix:
        return "csv"
    raise RosterExportError(
        f"{path.name}: a roster is exported as .csv, .json or .jsonl; name the file like "
        f"{path.stem}.csv (spreadsheets open it) and export again."
    )


def roster_record(creator: Creator) -> dict[str, object]:
    """The creator as one import-format object: every roster field, then its extra columns."""
    record: dict[str, object] = {field: getattr(creator, field) for field in ROSTER_FIELDS}
    for column, value in creator.extra.items():
        record.setdefault(column, value)
    return record


def record_json(creator: Creator) -> str:
    """The creator's import-format object as one line of JSON."""
    return json.dumps(roster_record(creator), ensure_ascii=False)


def csv_cell(value: object) -> str:
    """A roster value as the CSV cell the loader reads back as that value."""
    if value is None:
        return ""
    if isinstance(value, list):
        text = ";".join(value)
        if text.startswith("[") or any(";" in item or "|" in item for item in value):
            text = json.dumps(value, ensure_ascii=False)  # the loader reads a JSON list too
    else:
        text = repr(value) if isinstance(value, float) else str(value)
    return guard_formula(text)


def write_roster(
    creators: Iterable[Creator],
    path: Path,
    *,
    extra_columns: Sequence[str] = (),
    overwrite: bool = False,
) -> int:
    """Write ``creators`` to ``path`` in the format its ending names; return how many.

    ``extra_columns`` are the CSV's columns after the roster fields (JSON writes each creator's
    own). The file appears only once complete; an existing file is replaced only with
    ``overwrite``.
    """
    roster_format = export_format(path)
    if path.is_dir():
        raise RosterExportError(f"{path} is a folder; give the path of the file to write.")
    if path.exists() and not overwrite:
        raise RosterExportError(
            f"{path} already exists; choose another file name, or add --force to replace it."
        )
    if not path.parent.is_dir():
        raise RosterExportError(f"The folder {path.parent} does not exist; create it first.")
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        encoding = "utf-8-sig" if roster_format == "csv" else "utf-8"  # the BOM: Excel's hint
        with partial.open("w", encoding=encoding, newline="") as out:
            if roster_format == "csv":
                written = _write_csv(creators, out, extra_columns)
            else:
                written = write_json(creators, out, as_lines=roster_format == "jsonl")
        partial.replace(path)
    except OSError as error:
        raise RosterExportError(f"{path} cannot be written ({error.strerror}).") from None
    finally:
        partial.unlink(missing_ok=True)
    return written


def _write_csv(creators: Iterable[Creator], out: IO[str], extra_columns: Sequence[str]) -> int:
    extras = [column for column in extra_columns if column not in ROSTER_FIELDS]
    writer = csv.writer(out)
    writer.writerow([*ROSTER_FIELDS, *(guard_formula(column) for column in extras)])
    written = 0
    for creator in creators:
        fields = [csv_cell(getattr(creator, field)) for field in ROSTER_FIELDS]
        writer.writerow([*fields, *(csv_cell(creator.extra.get(column)) for column in extras)])
        written += 1
    return written


def write_json(creators: Iterable[Creator], out: IO[str], *, as_lines: bool) -> int:
    """Write each creator's import-format object: a JSON array, or one per line; return how
    many. The creators are read one at a time, so a large roster is never all in memory."""
    written = 0
    for creator in creators:
        if as_lines:
            out.write(record_json(creator) + "\n")
        else:
            out.write(("[\n" if written == 0 else ",\n") + record_json(creator))
        written += 1
    if not as_lines:
        out.write("\n]\n" if written else "[]\n")
    return written

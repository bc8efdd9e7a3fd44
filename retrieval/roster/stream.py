"""Reading a large roster file in bounded memory: creators come out in batches as they are read.

A CSV file is read twice, decoded as ``decode`` decodes a whole file (a byte order mark, UTF-16,
UTF-8, else the legacy encoding charset-normalizer finds in its start), its columns resolved as
``load`` resolves them (names, ``--map``, synonyms). The first pass checks every row and notes,
for each creator key, the row that wins (the last one); it holds only that key -> row map, so a
file that is not a roster, or a bad column mapping, is refused before anything is written (the
map is ``WinningRows``: 24 bytes a key, where a dict of 450,000 key strings took ~50 MB). The
second pass reads the file again and hands out the kept creators a batch at a time. JSON and JSON
Lines files, workbooks, and text whose encoding shows only further in are read whole by
``load_roster_text`` and handed out in batches.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from array import array
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from retrieval.roster.creator import Creator, is_thin_bio
from retrieval.roster.decode import (
    DETECTION_SAMPLE_BYTES,
    UTF8,
    TextEncoding,
    legacy_encoding,
    marked_encoding,
)
from retrieval.roster.load import (
    CsvRecords,
    DuplicateRow,
    LoadReport,
    RejectedRow,
    RosterFileError,
    RosterLoad,
    _ColumnPlan,
    _Columns,
    _creator_or_rejections,
    _refuse_a_json_scalar,
    load_roster_text,
    open_roster_file,
)
from retrieval.roster.sheets import is_workbook

#: Rows of each kind (rejected, duplicate, thin) a streamed report lists; the rest are counted.
MAX_LISTED_ROWS = 1000


class WinningRows:
    """Each creator key's winning (last) row, held as a 128-bit digest of the key beside the row:
    24 bytes a key. Two keys of a roster share a digest with a chance of about n^2 / 2^129
    (~3e-28 for 450,000 keys).

    ``note`` every key's row in file order, then ``settle`` once before ``row_of``.
    """

    def __init__(self) -> None:
        self._noted_digests = bytearray()
        self._noted_rows = array("q")
        self._high = np.empty(0, dtype=np.uint64)
        self._low = np.empty(0, dtype=np.uint64)
        self._rows = np.empty(0, dtype=np.int64)

    @classmethod
    def of(cls, keys_and_rows: Iterable[tuple[str, int]]) -> WinningRows:
        winners = cls()
        for key, row in keys_and_rows:
            winners.note(key, row)
        winners.settle()
        return winners

    def note(self, key: str, row: int) -> None:
        self._noted_digests += _digest(key)
        self._noted_rows.append(row)

    def settle(self) -> None:
        """Keep each key's last noted row, sorted by digest for ``row_of``."""
        digests = np.frombuffer(bytes(self._noted_digests), dtype=np.uint64).reshape(-1, 2)
        rows = np.frombuffer(self._noted_rows, dtype=np.int64)
        order = np.lexsort((rows, digests[:, 1], digests[:, 0]))
        high, low, rows = digests[order, 0], digests[order, 1], rows[order]
        last = np.ones(len(order), dtype=bool)
        last[:-1] = (high[:-1] != high[1:]) | (low[:-1] != low[1:])
        self._high, self._low, self._rows = high[last], low[last], rows[last]
        self._noted_digests, self._noted_rows = bytearray(), array("q")

    def __len__(self) -> int:
        return len(self._rows)

    def row_of(self, key: str) -> int | None:
        high, low = np.frombuffer(_digest(key), dtype=np.uint64)
        start = int(np.searchsorted(self._high, high, side="left"))
        while start < len(self._high) and self._high[start] == high:
            if self._low[start] == low:
                return int(self._rows[start])
            start += 1
        return None


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class RosterStream:
    """A roster file checked by ``RosterStream.open``, then read in batches by ``batches``.

    ``report`` grows as ``batches`` runs: rejected rows are known after ``open``; duplicates and
    thin bios once the batches are read. ``creator_count`` (creators to import, one per key) is
    known after ``open``.
    """

    def __init__(
        self,
        path: Path,
        name: str,
        plan: _ColumnPlan,
        report: LoadReport,
        winners: WinningRows,
        encoding: TextEncoding = UTF8,
    ) -> None:
        self._path = path
        self._encoding = encoding
        #: The file as messages name it.
        self.name = name
        self._plan = plan
        self.report = report
        self._winners = winners
        self._whole: RosterLoad | None = None

    @classmethod
    def open(
        cls,
        path: Path,
        mapping: Mapping[str, str] | None = None,
        *,
        name: str | None = None,
        sheet: str | None = None,
    ) -> RosterStream:
        """Check the whole file (raising ``RosterFileError`` when it is not a roster); ``name``
        names the file in messages (default: its path); ``sheet`` picks a workbook's sheet."""
        plan = _ColumnPlan.from_mapping(mapping)
        name = name or str(path)
        with open_roster_file(path) as raw:
            head = raw.read(DETECTION_SAMPLE_BYTES)
        marked = None if is_workbook(head) else marked_encoding(head, name)
        if not is_workbook(head) and _starts_a_table(head, marked or UTF8, name):
            with contextlib.suppress(UnicodeDecodeError):
                return cls._checked(path, name, plan, marked or UTF8)
            if marked is None:
                with contextlib.suppress(UnicodeDecodeError):
                    return cls._checked(path, name, plan, legacy_encoding(head, name))
        with open_roster_file(path) as raw:  # says what is wrong with bytes that do not decode
            whole = load_roster_text(raw.read(), name, mapping, sheet)
        return cls._of_whole(path, name, plan, whole)

    @classmethod
    def _checked(
        cls, path: Path, name: str, plan: _ColumnPlan, encoding: TextEncoding
    ) -> RosterStream:
        """The first pass: every row checked, the winning row of each key noted."""
        report = LoadReport(
            format="csv",
            rejected=[],
            duplicates=[],
            thin=[],
            total_rows=0,
            encoding=encoding.label,
        )
        winners = WinningRows()
        stream = cls(path, name, plan, report, winners, encoding)
        for row, outcome in stream._outcomes():
            report.total_rows += 1
            if isinstance(outcome, Creator):
                winners.note(outcome.key, row)
            elif len(report.rejected) < MAX_LISTED_ROWS:
                report.rejected.extend(outcome)
            else:
                report.unlisted_rejected += 1
        winners.settle()
        return stream

    @classmethod
    def _of_whole(cls, path: Path, name: str, plan: _ColumnPlan, load: RosterLoad) -> RosterStream:
        report = LoadReport.model_validate(load.model_dump(exclude={"creators"}))
        winners = WinningRows.of((creator.key, 0) for creator in load.creators)
        stream = cls(path, name, plan, report, winners)
        stream._whole = load
        return stream

    @property
    def creator_count(self) -> int:
        return len(self._winners)

    @property
    def repeated_count(self) -> int:
        """Rows that another row for the same creator key supersedes."""
        return self.report.total_rows - self.report.rejected_count - self.creator_count

    def finish_report(self) -> None:
        """Read the kept creators without importing them, so the report also lists repeated
        rows, thin bios and brand accounts (a dry run)."""
        for _batch in self.batches(MAX_LISTED_ROWS):
            pass

    def batches(self, size: int) -> Iterator[list[Creator]]:
        """The kept creators, ``size`` at a time, in the file order of their winning rows."""
        if self._whole is not None:
            creators = self._whole.creators
            for start in range(0, len(creators), size):
                yield creators[start : start + size]
            return
        batch: list[Creator] = []
        for row, outcome in self._outcomes():
            if not isinstance(outcome, Creator):
                continue
            kept_row = self._winners.row_of(outcome.key)
            if kept_row != row:
                self._note_duplicate(row, kept_row, outcome.key)
                continue
            if is_thin_bio(outcome.bio) and not _listed(self.report.thin, outcome.key):
                self.report.unlisted_thin += 1
            if outcome.kind == "brand" and not _listed(self.report.brands, outcome.handle):
                self.report.unlisted_brands += 1
            batch.append(outcome)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _note_duplicate(self, row: int, kept_row: int | None, key: str) -> None:
        if kept_row is None:
            raise RosterFileError(
                f"{self.name} changed while it was being imported; import it again."
            )
        if len(self.report.duplicates) < MAX_LISTED_ROWS:
            self.report.duplicates.append(DuplicateRow(row=row, kept_row=kept_row, key=key))
        else:
            self.report.unlisted_duplicates += 1

    def _outcomes(self) -> Iterator[tuple[int, Creator | list[RejectedRow]]]:
        """Each CSV record's row and what it becomes, reading the file from its start."""
        with open_roster_file(self._path) as raw:
            raw.seek(self._encoding.mark_length)
            lines = io.TextIOWrapper(raw, encoding=self._encoding.codec, newline="")
            records = CsvRecords(lines, self.name, self._path.stat().st_size)
            columns = _Columns.resolve(records.header, self._plan, self.name, "csv")
            self.report.columns = columns.choices
            for record in records.records():
                yield record.row, _creator_or_rejections(record, columns, self._plan)


def _listed(items: list[str], item: str) -> bool:
    """``item`` added to a report's list unless it holds ``MAX_LISTED_ROWS`` already."""
    if len(items) >= MAX_LISTED_ROWS:
        return False
    items.append(item)
    return True


def _starts_a_table(head: bytes, encoding: TextEncoding, name: str) -> bool:
    """Whether the file's start is text that is no JSON: a CSV to stream. A file holding one
    JSON value is refused as the whole-file loader refuses it."""
    text = head[encoding.mark_length :].decode(encoding.codec, errors="ignore").lstrip()
    if not text or text.startswith(("[", "{")):
        return False
    _refuse_a_json_scalar(text, name)
    return True

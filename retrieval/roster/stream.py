"""Reading a large roster file in bounded memory: creators come out in batches as they are read.

A CSV file is read twice. The first pass checks every row and notes, for each creator key, the row
that wins (the last one); it holds only that key -> row map, so a file that is not a roster, or a
bad column mapping, is refused before anything is written. The second pass reads the file again
and hands out the kept creators a batch at a time. JSON and JSON Lines files (and anything the
CSV reader does not handle) are read whole by ``load_roster`` and handed out in batches too.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from pathlib import Path

from retrieval.roster.creator import Creator, is_thin_bio
from retrieval.roster.load import (
    SAVE_AS_UTF8,
    CsvRecords,
    DuplicateRow,
    LoadReport,
    RejectedRow,
    RosterFileError,
    RosterLoad,
    _ColumnPlan,
    _Columns,
    _creator_or_rejections,
    load_roster_text,
    open_roster_file,
    refuse_non_text,
)

#: Rows of each kind (rejected, duplicate, thin) a streamed report lists; the rest are counted.
MAX_LISTED_ROWS = 1000
#: Bytes read to tell the file's kind before streaming it.
_HEAD_BYTES = 65_536


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
        winners: dict[str, int],
    ) -> None:
        self._path = path
        self._name = name
        self._plan = plan
        self.report = report
        self._winners = winners
        self._whole: RosterLoad | None = None

    @classmethod
    def open(
        cls, path: Path, mapping: Mapping[str, str] | None = None, *, name: str | None = None
    ) -> RosterStream:
        """Check the whole file (raising ``RosterFileError`` when it is not a roster); ``name``
        names the file in messages (default: its path)."""
        plan = _ColumnPlan.from_mapping(mapping)
        name = name or str(path)
        head = _read_head(path)
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"[", b"{")):
            with open_roster_file(path) as file:
                whole = load_roster_text(file.read(), name, mapping)
            return cls._of_whole(path, name, plan, whole)
        refuse_non_text(head, name)
        report = LoadReport(format="csv", rejected=[], duplicates=[], thin=[], total_rows=0)
        winners: dict[str, int] = {}
        stream = cls(path, name, plan, report, winners)
        for row, outcome in stream._outcomes():
            report.total_rows += 1
            if isinstance(outcome, Creator):
                winners[outcome.key] = row
            elif len(report.rejected) < MAX_LISTED_ROWS:
                report.rejected.extend(outcome)
            else:
                report.unlisted_rejected += 1
        return stream

    @classmethod
    def _of_whole(cls, path: Path, name: str, plan: _ColumnPlan, load: RosterLoad) -> RosterStream:
        report = LoadReport.model_validate(load.model_dump(exclude={"creators"}))
        stream = cls(path, name, plan, report, {creator.key: 0 for creator in load.creators})
        stream._whole = load
        return stream

    @property
    def creator_count(self) -> int:
        return len(self._winners)

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
            kept_row = self._winners.get(outcome.key)
            if kept_row != row:
                self._note_duplicate(row, kept_row, outcome.key)
                continue
            if is_thin_bio(outcome.bio):
                self._note_thin(outcome.key)
            batch.append(outcome)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _note_duplicate(self, row: int, kept_row: int | None, key: str) -> None:
        if kept_row is None:
            raise RosterFileError(
                f"{self._name} changed while it was being imported; import it again."
            )
        if len(self.report.duplicates) < MAX_LISTED_ROWS:
            self.report.duplicates.append(DuplicateRow(row=row, kept_row=kept_row, key=key))
        else:
            self.report.unlisted_duplicates += 1

    def _note_thin(self, key: str) -> None:
        if len(self.report.thin) < MAX_LISTED_ROWS:
            self.report.thin.append(key)
        else:
            self.report.unlisted_thin += 1

    def _outcomes(self) -> Iterator[tuple[int, Creator | list[RejectedRow]]]:
        """Each CSV record's row and what it becomes, reading the file from its start."""
        name = self._name
        with open_roster_file(self._path) as raw:
            lines = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            try:
                records = CsvRecords(lines, name, self._path.stat().st_size)
                columns = _Columns.resolve(records.header, self._plan, name, "csv")
                for record in records.records():
                    yield record.row, _creator_or_rejections(record, columns, self._plan)
            except UnicodeDecodeError:
                raise RosterFileError(
                    f"{name} is not UTF-8 text ({_first_undecodable(self._path)}); {SAVE_AS_UTF8}"
                ) from None


def _first_undecodable(path: Path) -> str:
    """Where the first byte that is not UTF-8 is, as ``byte 0xE9 on line 12``."""
    with open_roster_file(path) as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                return f"byte 0x{line[error.start]:02X} on line {number}"
    return "a byte cut short at the end"


def _read_head(path: Path) -> bytes:
    with open_roster_file(path) as raw:
        return raw.read(_HEAD_BYTES)

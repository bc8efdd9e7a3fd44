"""The error that refuses a whole roster file (shared by the readers of each file kind)."""

from __future__ import annotations

from retrieval.errors import StoryfitError


class RosterFileError(StoryfitError):
    """The whole file is refused; ``str(error)`` is one sentence: what is wrong, what to do."""


#: A rejected cell is quoted up to this many characters in the import report.
MAX_SHOWN_CELL = 60


def shown_cell(text: str) -> str:
    """A cell's text quoted for a rejected row's reason, cut short when long (counted as shown:
    an unprintable character's escape counts in full)."""
    quoted = repr(text)
    return quoted if len(quoted) <= MAX_SHOWN_CELL else quoted[: MAX_SHOWN_CELL - 1] + "…"

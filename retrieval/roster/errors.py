"""The error that refuses a whole roster file (shared by the readers of each file kind)."""

from __future__ import annotations

from retrieval.errors import StoryfitError


class RosterFileError(StoryfitError):
    """The whole file is refused; ``str(error)`` is one sentence: what is wrong, what to do."""


#: A rejected cell is quoted up to this many characters in the import report.
MAX_SHOWN_CELL = 60


def shown_cell(text: str) -> str:
    """A cell's text quoted for a rejected row's reason, cut short when long."""
    return repr(text if len(text) <= MAX_SHOWN_CELL else text[: MAX_SHOWN_CELL - 1] + "…")

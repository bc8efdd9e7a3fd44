"""The error that refuses a whole roster file (shared by the readers of each file kind)."""

from __future__ import annotations

from retrieval.errors import StoryfitError


class RosterFileError(StoryfitError):
    """The whole file is refused; ``str(error)`` is one sentence: what is wrong, what to do."""

"""The base of every error whose message is written for the person using Storyfit."""

from __future__ import annotations

from retrieval.redaction import redact


class StoryfitError(Exception):
    """A problem the user can act on; ``str(error)`` is a clear sentence saying what to do.

    The message never holds a credential: passwords and tokens in it are masked (``redact``).
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))


class EmptyBriefError(StoryfitError):
    """The brief gives nothing to match bios against."""

    EXAMPLE = '"a small roastery that pays growers fairly, for people who make coffee a ritual"'

    def __init__(self, constraints: str | None = None) -> None:
        if constraints:
            message = (
                f"The brief only sets constraints ({constraints}) and says nothing about the "
                f"story to match. Add what the brand is about, e.g. {self.EXAMPLE}."
            )
        else:
            message = (
                "The brief is empty. Describe the brand story and the creators you want, "
                f"e.g. {self.EXAMPLE}."
            )
        super().__init__(message)


class EmptyRosterError(StoryfitError):
    def __init__(self) -> None:
        super().__init__(
            "The roster is empty. Import creators first: `storyfit ingest roster.csv` "
            "(or `storyfit demo` for the bundled sample)."
        )


class FilterError(StoryfitError):
    """The filters cannot be met as written (unknown country, min above max, ...)."""


class UpsertInterrupted(KeyboardInterrupt):
    """Ctrl-C during an upsert: ``kept`` of the ``total`` creators asked for are in the index
    (finished chunks are written; a re-run embeds only the rest)."""

    def __init__(self, kept: int, total: int) -> None:
        super().__init__(f"kept {kept} of {total} creators")
        self.kept = kept
        self.total = total


class EmbeddingModelError(StoryfitError):
    """The embedding model cannot be used; the message says which folder or setting to fix."""

"""What every listener shares: the service, where slow work runs, and how failures are told."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from bot.service import StoryfitService
from retrieval.errors import StoryfitError

T = TypeVar("T")

#: How long a user waits for a brief's result before hearing that it took too long.
WORK_DEADLINE_SECONDS = 90.0


class WorkTimeoutError(StoryfitError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"That took longer than {seconds:g} seconds, so I stopped waiting. I may be busy "
            "with other briefs right now: try again in a minute, or ask for fewer creators."
        )


@dataclass(frozen=True)
class ListenerDeps:
    """Handed to every listener module's ``register``.

    ``work`` runs the engine calls (embedding, retrieval): sized to the cores, so slow briefs
    queue there instead of starving the threads that post placeholders and acknowledge Slack.
    """

    service: StoryfitService
    work: Executor
    deadline_seconds: float = WORK_DEADLINE_SECONDS

    def run(self, task: Callable[[], T]) -> T:
        """``task()`` on the work executor; ``WorkTimeoutError`` after the deadline."""
        future = self.work.submit(task)
        try:
            return future.result(timeout=self.deadline_seconds)
        except TimeoutError:
            future.cancel()
            raise WorkTimeoutError(self.deadline_seconds) from None


def acknowledge(ack: Ack) -> None:
    """The ack of every listener whose work is lazy."""
    ack()


def describe_failure(error: Exception, logger: logging.Logger, doing: str) -> str:
    """A sentence for the user; anything unexpected is logged with its traceback."""
    if isinstance(error, StoryfitError):
        return str(error)
    if isinstance(error, SlackApiError):
        code = error.response.get("error", "unknown_error")
        logger.error("Slack refused a call while %s: %s", doing, code)
        return f"Slack refused my reply while {doing} ({code}). Please try again in a minute."
    logger.exception("Failed while %s", doing)
    return (
        f"Something went wrong on my side while {doing}. I've logged the details; "
        "please try again in a minute."
    )


@contextmanager
def failures_told(
    tell: Callable[[str], object], logger: logging.Logger, doing: str
) -> Iterator[None]:
    """Catch-all around lazy work: any failure becomes a message to the user, never silence."""
    try:
        yield
    except Exception as error:
        message = describe_failure(error, logger, doing)
        try:
            tell(message)
        except Exception:
            logger.exception("Could not tell the user that %s failed", doing)

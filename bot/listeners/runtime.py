"""What every listener shares: the workspaces' services, where slow work runs, and how failures
are told."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from bot.service import StoryfitService
from bot.slack.admins import Admins
from bot.workspaces import Workspaces
from retrieval.errors import StoryfitError

T = TypeVar("T")

#: How long a user waits for a brief's result before hearing that it took too long.
WORK_DEADLINE_SECONDS = 90.0
#: Engine calls allowed to wait or run at once; beyond that a brief is turned away at once
#: rather than queued to time out.
MAX_WAITING_BRIEFS = 32


class WorkTimeoutError(StoryfitError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"That took longer than {seconds:g} seconds, so I stopped waiting. I may be busy "
            "with other briefs right now: try again in a minute, or ask for fewer creators."
        )


class NoWorkspaceError(StoryfitError):
    def __init__(self) -> None:
        super().__init__(
            "Slack did not say which workspace this came from, so I can't tell whose roster to "
            "use. Please try again; if it keeps happening, tell whoever runs Storyfit."
        )


class BusyError(StoryfitError):
    def __init__(self) -> None:
        super().__init__(
            "I'm working through a pile of other briefs right now, so rather than keep you "
            "waiting I've stopped here. Please try again in a few minutes."
        )


@dataclass(frozen=True)
class ListenerDeps:
    """Handed to every listener module's ``register``.

    ``workspaces`` holds each workspace's service: handlers take theirs with ``service_for``
    and the team id of the request (Bolt's ``context.team_id``), never another team's.
    ``work`` runs the engine calls (embedding, retrieval): sized to the cores, so slow briefs
    queue there instead of starving the threads that post placeholders and acknowledge Slack.
    """

    workspaces: Workspaces
    work: Executor
    admins: Admins
    deadline_seconds: float = WORK_DEADLINE_SECONDS
    max_waiting: int = MAX_WAITING_BRIEFS
    _slots: threading.Semaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_slots", threading.Semaphore(self.max_waiting))

    def service_for(self, team_id: str | None) -> StoryfitService:
        """The service of the workspace ``team_id`` (the request's ``context.team_id``); when
        the bot serves many workspaces, a request naming none gets ``NoWorkspaceError``."""
        if self.workspaces.per_team and not team_id:
            raise NoWorkspaceError()
        return self.workspaces.service(team_id or None)

    def run(self, task: Callable[[], T]) -> T:
        """``task()`` on the work executor; ``WorkTimeoutError`` after the deadline, and
        ``BusyError`` at once when ``max_waiting`` engine calls are already waiting or running.
        """
        if not self._slots.acquire(blocking=False):
            raise BusyError()
        future = self.work.submit(task)
        future.add_done_callback(lambda _: self._slots.release())
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

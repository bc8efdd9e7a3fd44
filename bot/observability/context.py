"""The Slack request being handled: its id, surface and outcome, in a context variable.

Context variables do not cross threads by themselves. Work handed to another thread on behalf of a
request (a lazy listener, an engine call) goes through ``submit_in_request``, which runs it in a
copy of the submitting thread's context and keeps the request open until the work is done; the
request counts as finished when its acknowledgement and all its work are.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

T = TypeVar("T")

#: How a request went. ``error``: a failure on our side (an unexpected exception, Slack refusing a
#: call, an error status in the acknowledgement); ``busy``: turned away because too many briefs
#: were waiting; ``timeout``: its engine work outlasted the deadline. A user's own mistake, told
#: back to them, is ``ok``.
Outcome = Literal["ok", "error", "busy", "timeout"]


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass(eq=False)
class RequestScope:
    """One incoming Slack request; ``on_finish`` is called once, when nothing works on it."""

    surface: str
    on_finish: Callable[[RequestScope], None]
    arrived: float = field(default_factory=time.perf_counter)
    request_id: str = field(default_factory=new_request_id)
    outcome: Outcome = "ok"
    _pending: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def mark(self, outcome: Outcome) -> None:
        """Record how the request went; the first failure marked wins."""
        with self._lock:
            if self.outcome == "ok":
                self.outcome = outcome

    def hold(self) -> None:
        """Another piece of work on this request has started."""
        with self._lock:
            self._pending += 1

    def release(self) -> None:
        """A piece of work on this request has ended; the last one finishes the request."""
        with self._lock:
            self._pending -= 1
            finished = self._pending == 0
        if finished:
            token = _current.set(self)
            try:
                self.on_finish(self)
            finally:
                _current.reset(token)


_current: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar(
    "storyfit_request", default=None
)


def current_request_id() -> str | None:
    scope = _current.get()
    return scope.request_id if scope is not None else None


def mark_outcome(outcome: Outcome) -> None:
    """Record the current request's outcome (nothing outside a request)."""
    scope = _current.get()
    if scope is not None:
        scope.mark(outcome)


@contextmanager
def handling(scope: RequestScope) -> Iterator[RequestScope]:
    """Make ``scope`` the current request for the block; its acknowledgement ends with it."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
        scope.release()


def submit_in_request(executor: Executor, task: Callable[[], T]) -> Future[T]:
    """``executor.submit(task)`` run in a copy of this thread's context (its request id),
    holding the current request open until the task is done or cancelled."""
    context = contextvars.copy_context()

    def in_context() -> T:
        return context.run(task)

    scope = _current.get()
    if scope is None:
        return executor.submit(in_context)
    scope.hold()
    try:
        future = executor.submit(in_context)
    except BaseException:
        scope.release()
        raise
    future.add_done_callback(lambda _: scope.release())
    return future


class RequestExecutor(Executor):
    """``inner`` with every task run as part of the request that submitted it (see
    ``submit_in_request``): the executor Bolt runs lazy listeners on."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return submit_in_request(self._inner, functools.partial(fn, *args, **kwargs))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait, cancel_futures=cancel_futures)

"""One structured-output call to an OpenAI-compatible chat model, within a request's deadline.

Every failure (timeout, rate limit, server error, refusal, content filter, truncated or malformed
answer) is logged and becomes ``None``: callers then keep their deterministic result. The SDK's
own retries are off (``max_retries=0``) because it honours ``Retry-After`` up to two minutes and
multiplies the timeout per attempt; here a retry happens only when its wait and a useful attempt
still fit in the time left, and every attempt's timeout is the time left. (That timeout bounds
each phase of the HTTP exchange, not its sum: a server that trickles bytes could stretch a call
past the deadline; a server that stalls cannot.)

Log lines name the call and the failure, never the prompt, the answer or the key: bios and
briefs reach the logs only at debug level through the SDK itself.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TypeVar

import openai
import pydantic
from openai.types.chat import ChatCompletionMessageParam

from prompts import RenderedPrompt
from retrieval.ports import UsageListener

log = logging.getLogger(__name__)

AnswerT = TypeVar("AnswerT", bound=pydantic.BaseModel)

#: An attempt with less time than this left is not started: it could not finish.
MIN_ATTEMPT_SECONDS = 0.25
#: Retries after the first attempt, for 408, 409, 429, 5xx and connection errors.
MAX_RETRIES = 1
#: Wait before a retry when the server sends no ``Retry-After``.
RETRY_BACKOFF_SECONDS = 0.5
_RETRIABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class Deadline:
    """A point in ``time.monotonic()`` time after which no model call may still be running."""

    expires_at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    def share(self, fraction: float) -> Deadline:
        """An earlier deadline holding ``fraction`` of the time left, for one of several calls."""
        return Deadline(time.monotonic() + self.remaining() * fraction)


@dataclass(frozen=True)
class CallRecord:
    purpose: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    outcome: str


@dataclass
class LlmSession:
    """The model calls made for one user request: token usage and whether the model is reachable."""

    client: openai.OpenAI
    model: str
    deadline: Deadline
    calls: list[CallRecord] = field(default_factory=list)
    unavailable: bool = False
    """Set when a call failed for lack of service (timeout, 429, 5xx, connection): later calls in
    the same request are skipped, so the user gets the deterministic answer sooner."""
    on_usage: UsageListener | None = None
    """Told every answered call's tokens, as they are used."""

    @property
    def prompt_tokens(self) -> int:
        return sum(call.prompt_tokens for call in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(call.completion_tokens for call in self.calls)

    def log_usage(self) -> None:
        if not self.calls:
            return
        log.info(
            "openai usage for this request: model=%s calls=%s prompt_tokens=%d "
            "completion_tokens=%d",
            self.model,
            ",".join(f"{call.purpose}:{call.outcome}" for call in self.calls),
            self.prompt_tokens,
            self.completion_tokens,
        )

    def ask(
        self,
        purpose: str,
        prompt: RenderedPrompt,
        schema: type[AnswerT],
        max_completion_tokens: int,
        deadline: Deadline | None = None,
    ) -> AnswerT | None:
        """The model's answer parsed into ``schema``, or ``None`` (logged) on any failure."""
        if self.unavailable:
            log.info("openai %s call skipped: the model was unavailable earlier", purpose)
            return None
        started = time.monotonic()
        answer, outcome, usage = self._attempts(
            purpose, prompt, schema, max_completion_tokens, deadline or self.deadline
        )
        self.calls.append(
            CallRecord(
                purpose=purpose,
                prompt_tokens=usage[0],
                completion_tokens=usage[1],
                seconds=time.monotonic() - started,
                outcome=outcome,
            )
        )
        if self.on_usage is not None and any(usage):
            self.on_usage(self.model, *usage)
        return answer

    def _attempts(
        self,
        purpose: str,
        prompt: RenderedPrompt,
        schema: type[AnswerT],
        max_completion_tokens: int,
        deadline: Deadline,
    ) -> tuple[AnswerT | None, str, tuple[int, int]]:
        # Long: one retry loop, one branch per way a call can fail; each branch logs and returns
        # its outcome, so the whole failure policy reads in one place.
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        for attempt in range(MAX_RETRIES + 1):
            remaining = deadline.remaining()
            if remaining < MIN_ATTEMPT_SECONDS:
                log.warning("openai %s call not made: the deadline has passed", purpose)
                return None, "deadline", (0, 0)
            client = self.client.with_options(timeout=remaining, max_retries=0)
            try:
                completion = client.chat.completions.parse(
                    model=self.model,
                    messages=messages,
                    response_format=schema,
                    max_completion_tokens=max_completion_tokens,
                )
            except openai.APITimeoutError:
                self.unavailable = True
                log.warning("openai %s call timed out (%.1f s were left)", purpose, remaining)
                return None, "timeout", (0, 0)
            except (openai.APIConnectionError, openai.APIStatusError) as error:
                reason = _failure(error)
                wait = _retry_wait(error)
                if wait is None:
                    log.warning("openai %s call failed: %s", purpose, reason)
                    return None, "error", (0, 0)
                if attempt == MAX_RETRIES or wait + MIN_ATTEMPT_SECONDS > deadline.remaining():
                    self.unavailable = True
                    log.warning(
                        "openai %s call failed: %s; no time or retries left", purpose, reason
                    )
                    return None, "unavailable", (0, 0)
                log.info("openai %s call failed: %s; retrying in %.2f s", purpose, reason, wait)
                time.sleep(wait)
                continue
            except openai.ContentFilterFinishReasonError:
                log.warning("openai %s answer was stopped by the content filter", purpose)
                return None, "content_filter", (0, 0)
            except openai.LengthFinishReasonError as error:
                log.warning("openai %s answer hit max_completion_tokens", purpose)
                return None, "length", _usage(error.completion)
            except pydantic.ValidationError as error:
                log.warning("openai %s answer was malformed: %s", purpose, _schema_problems(error))
                return None, "malformed", (0, 0)
            usage = _usage(completion)
            log.info(
                "openai %s call: model=%s prompt_tokens=%d completion_tokens=%d",
                purpose,
                self.model,
                *usage,
            )
            if not completion.choices:
                log.warning("openai %s answer had no choices", purpose)
                return None, "malformed", usage
            message = completion.choices[0].message
            if message.refusal:
                log.warning("openai %s call was refused by the model", purpose)
                return None, "refusal", usage
            if message.parsed is None:
                log.warning("openai %s answer was empty", purpose)
                return None, "malformed", usage
            return message.parsed, "ok", usage
        raise AssertionError("the retry loop always returns")


def _usage(completion: object) -> tuple[int, int]:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return 0, 0
    return int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)


def _failure(error: openai.APIConnectionError | openai.APIStatusError) -> str:
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}"
    return "connection error"


def _retry_wait(error: openai.APIConnectionError | openai.APIStatusError) -> float | None:
    """Seconds to wait before retrying, or ``None`` when the error is not worth a retry."""
    if isinstance(error, openai.APIConnectionError):
        return RETRY_BACKOFF_SECONDS
    if error.status_code not in _RETRIABLE_STATUS and error.status_code < 500:
        return None
    headers = error.response.headers
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            wait = float(headers.get(header, "")) / divisor
        except ValueError:
            continue
        if math.isfinite(wait) and wait >= 0:
            return wait
    return RETRY_BACKOFF_SECONDS


def _schema_problems(error: pydantic.ValidationError) -> str:
    """Where the answer broke the schema, without echoing the answer (it may quote bios)."""
    places = sorted(
        {".".join(str(part) for part in detail["loc"]) or "answer" for detail in error.errors()}
    )
    return f"{error.error_count()} schema error(s) at {', '.join(places[:5])}"


def prompt_data(value: object) -> str:
    """``value`` as JSON safe to place between delimiter tags: no ``<``, ``>`` or ``&`` survive,
    so text inside (a bio, a brief) cannot close the block it sits in."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

"""Log lines for ``storyfit serve``: today's text lines, or one JSON object per line.

Every line (a traceback included) has its credentials masked by ``retrieval.redaction``; inside a
Slack request, the request's id is on the record (``request_id``) and in every JSON line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal, TextIO

from bot.observability.context import current_request_id
from retrieval.redaction import redact

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LogFormat = Literal["text", "json"]


class RequestIdFilter(logging.Filter):
    """Puts the current Slack request's id (or ``None``) on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class RedactingFormatter(logging.Formatter):
    """Log lines (tracebacks included) with every credential masked."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, thread, and ``request_id`` inside
    a request and ``exception`` (the traceback) when there is one, all redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "thread": record.threadName,
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False)


def log_handler(log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing ``log_format`` lines to ``stream`` (stderr), with request ids and
    redaction."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else RedactingFormatter(TEXT_FORMAT)
    )
    return handler


def configure_logging(log_format: LogFormat) -> None:
    """Send every logger's lines (uvicorn's and Python's warnings included) through one
    ``log_format`` handler."""
    logging.basicConfig(level=logging.INFO, handlers=[log_handler(log_format)], force=True)
    logging.captureWarnings(True)

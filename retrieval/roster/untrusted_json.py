"""JSON from files and cells nobody vouches for: read without ``RecursionError`` or Python's
4,300-digit integer limit, written back without ``RecursionError``."""

from __future__ import annotations

import json

#: JSON integers with more digits than this stay text, so a count or rate that long is refused
#: with its row (Python does not even convert integers of more than 4,300 digits).
MAX_JSON_INT_DIGITS = 64


class JsonTooDeepError(ValueError):
    """JSON nested deeper than the parser goes; ``str(error)`` says so in words."""


def _json_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= MAX_JSON_INT_DIGITS else digits


def json_loads(text: str) -> object:
    """``json.loads`` for untrusted text: very long integers stay text, and nesting too deep
    for the parser raises ``JsonTooDeepError`` instead of ``RecursionError``."""
    try:
        return json.loads(text, parse_int=_json_int)
    except RecursionError:
        raise JsonTooDeepError("nests objects or lists too deeply to be read") from None


def json_text(value: object) -> str:
    """``value`` as JSON text to show or keep; a value nested too deeply to write is cut short."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except RecursionError:
        return "[… nested too deeply to show …]"

"""Follower counts as people write them: ``8500``, ``12,300``, ``12.3K``, ``1.2M``, ``8.5e3``.

Counts are bounded (``0 <= n < MAX_COUNT``) and anything else is refused in time that does not
depend on the input: the text's length is checked before any pattern runs, and the size of the
number is worked out from its digits and exponent before it is ever built.
"""

from __future__ import annotations

import math
import re

from retrieval.errors import StoryfitError

#: Counts are below this (a trillion); no account on any platform comes near it.
MAX_COUNT = 10**12
#: Longest text read as a count; ``1,234,567,890.5 K`` and the like fit well within it.
MAX_COUNT_CHARS = 32
#: Digits of the largest count.
MAX_COUNT_DIGITS = len(str(MAX_COUNT - 1))

_SUFFIX_ZEROS = {"": 0, "k": 3, "m": 6, "b": 9}
_THOUSANDS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(?![0-9])")
_COUNT = re.compile(
    r"^(?P<whole>[0-9]{1,3}(?:[, _][0-9]{3})+|[0-9]+)(?:\.(?P<fraction>[0-9]+))?"
    r"(?:e(?P<exponent>[0-9]+))?\s*(?P<suffix>[kmb]?)$",
    re.I,
)
_COUNT_SHAPE = re.compile(r"[0-9][0-9,._ ]*(?:e[0-9]+)?\s*[kmb]?", re.I)
_HOW_TO_WRITE = "write it like 8500, 12,300, 12.3K or 1.2M"


class CountError(StoryfitError, ValueError):
    """Not a follower count, or not one we accept; ``str(error)`` says which and what to do."""


def _decimal_comma_as_point(text: str) -> str:
    """``12,3K`` and ``1,5M`` use a decimal comma; ``12,300`` groups thousands."""
    if "," in text and "." not in text and not _THOUSANDS.match(text) and text.count(",") == 1:
        return text.replace(",", ".")
    return text


def _too_large(shown: str) -> CountError:
    return CountError(
        f"{shown} is too large for a follower count; counts go up to {MAX_COUNT - 1:,}"
    )


def _shown(text: str) -> str:
    """``text`` quoted for a message, cut short when long."""
    return repr(text if len(text) <= MAX_COUNT_CHARS else text[: MAX_COUNT_CHARS - 1] + "…")


def looks_like_count(text: str) -> bool:
    """Written like a count (a digit first, then only what counts are written with), whatever
    its size: ``8500``, ``12.3k`` and ``1e20`` do; ``@8500`` and ``2fast4you`` do not."""
    return _COUNT_SHAPE.fullmatch(text.strip()) is not None


def _from_text(text: str) -> int:
    # Stripping a huge text would cost as much as reading it: refuse it as it is.
    stripped = text.strip() if len(text) <= 4 * MAX_COUNT_CHARS else text
    if len(stripped) > MAX_COUNT_CHARS:
        raise CountError(
            f"{_shown(stripped)} ({len(stripped):,} characters) is too long to be a follower "
            f"count; {_HOW_TO_WRITE}"
        )
    match = _COUNT.match(_decimal_comma_as_point(stripped))
    if not match:
        raise CountError(f"{_shown(stripped)} is not a follower count; {_HOW_TO_WRITE}")
    digits = re.sub(r"[,_ ]", "", match["whole"]) + (match["fraction"] or "")
    significant = digits.strip("0")
    if not significant:
        return 0
    # The value is ``significant * 10**scale``; ``significant`` has no trailing zeros.
    scale = (
        len(digits)
        - len(digits.rstrip("0"))
        - len(match["fraction"] or "")
        + int(match["exponent"] or 0)
        + _SUFFIX_ZEROS[match["suffix"].lower()]
    )
    if scale < 0:
        raise CountError(f"{_shown(stripped)} is not a whole number of followers")
    if len(significant) + scale > MAX_COUNT_DIGITS:
        raise _too_large(_shown(stripped))
    return int(significant + "0" * scale)


def _checked(value: int, shown: str) -> int:
    if value < 0:
        raise CountError(f"{shown} is negative; follower counts start at 0")
    if value >= MAX_COUNT:
        raise _too_large(shown)
    return value


def parse_count(text: str | int | float) -> int:
    """Return the whole count ``text`` stands for, ``0 <= count < MAX_COUNT``.

    Raises ``CountError`` (a ``ValueError``) with a message fit to show a user when ``text`` is
    not such a count; the work done never grows with the size of ``text``.
    """
    if isinstance(text, bool):
        raise CountError(f"{text!r} is not a follower count")
    if isinstance(text, int):
        # repr of a huge int is slow, or refused past 4,300 digits: give its size instead.
        shown = (
            repr(text)
            if -MAX_COUNT < text < MAX_COUNT
            else f"a number of about {int(text.bit_length() * math.log10(2)):,} digits"
        )
        return _checked(text, shown)
    if isinstance(text, float):
        if not math.isfinite(text):
            raise CountError(f"{text!r} is not a follower count")
        if not text.is_integer():
            raise CountError(f"{text!r} is not a whole number of followers")
        if abs(text) >= MAX_COUNT:
            raise _too_large(f"{text:.3g}")
        return _checked(int(text), repr(text))
    return _from_text(text)

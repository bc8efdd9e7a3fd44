"""Follower counts as people write them: ``8500``, ``12,300``, ``12.3K``, ``1.2M``, ``8.5e3``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_THOUSANDS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(?![0-9])")
_COUNT = re.compile(
    r"^\s*(?P<number>(?:[0-9]{1,3}(?:[, _][0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:e[0-9]+)?)"
    r"\s*(?P<suffix>[kmb]?)\s*$",
    re.I,
)


def _decimal_comma_as_point(text: str) -> str:
    """``12,3K`` and ``1,5M`` use a decimal comma; ``12,300`` groups thousands."""
    if "," in text and "." not in text and not _THOUSANDS.match(text) and text.count(",") == 1:
        return text.replace(",", ".")
    return text


def parse_count(text: str | int | float) -> int:
    """Return the whole, non-negative count ``text`` stands for.

    Raises ``ValueError`` with a message fit to show a user when ``text`` is not a count.
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a follower count")
    if isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            raise ValueError(f"{text!r} is not a follower count")
        value = Decimal(repr(text))
    else:
        match = _COUNT.match(_decimal_comma_as_point(text.strip()))
        if not match:
            raise ValueError(
                f"{text.strip()!r} is not a follower count; "
                "write it like 8500, 12,300, 12.3K or 1.2M"
            )
        digits = re.sub(r"[,_ ]", "", match["number"])
        try:
            value = Decimal(digits) * _SUFFIXES[match["suffix"].lower()]
        except InvalidOperation as error:  # pragma: no cover - the pattern admits only decimals
            raise ValueError(f"{text!r} is not a follower count") from error
    if value < 0:
        raise ValueError(f"{text!r} is negative; follower counts start at 0")
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of followers")
    return int(value)

"""Checks on free text a model wrote about creators: no links, and no figures off the record.

A model's ``why`` or mix paragraph reaches marketers as if Storyfit said it. It may not carry a
link (a URL, a bare domain, an e-mail address) nor state a follower count or a percentage that
differs from the creator's record. A figure matches the record when it is the record rounded to
the digits written, or cut to them (``12.3k`` and ``12,000 followers`` match 12,345; ``15k``
does not);
figures the brief or the rules' own text wrote (the tier bands, the user's limits) may be repeated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

_LINK = re.compile(
    r"\b[a-z][a-z0-9+.-]{1,15}://|\bwww\.|[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|co|me|tv|"
    r"ly|gg|app|link|xyz|info|biz|shop|store|site|online|ee|to|be|de|uk|fr|es|it|br|pt)\b",
    re.IGNORECASE,
)
# A count with a unit ("12.3k", "1.2M") or followed by the word for followers.
_FOLLOWER_FIGURE = re.compile(
    r"(?<![\w.,])(?P<number>\d{1,3}(?:,\d{3}){1,4}|\d{1,12}(?:\.\d{1,3})?)"
    r"(?:\s?(?P<unit>[km])\b\+?|\+?\s(?=(?:followers|fans|subscribers|subs)\b))",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(?<![\w.,])(?P<number>\d{1,3}(?:[.,]\d{1,3})?)\s?%")
_UNITS = {"": 1, "k": 1_000, "m": 1_000_000}


@dataclass(frozen=True)
class FigureRecord:
    """The figures a text may state: the creators' records, and what the brief or the rules'
    own text already wrote."""

    followers: tuple[int, ...]
    rates: tuple[float, ...]
    """Engagement rates as fractions (0.045 for 4.5 %)."""
    written: frozenset[int]
    written_percents: frozenset[Decimal]

    @classmethod
    def of(
        cls, followers: Iterable[int], rates: Iterable[float | None], texts: Iterable[str]
    ) -> FigureRecord:
        written = " ".join(texts)
        return cls(
            followers=tuple(followers),
            rates=tuple(rate for rate in rates if rate is not None),
            written=frozenset(_count(match)[0] for match in _FOLLOWER_FIGURE.finditer(written)),
            written_percents=frozenset(_percent(m)[0] for m in _PERCENT.finditer(written)),
        )


def has_link(text: str) -> bool:
    return _LINK.search(text) is not None


def figure_problem(text: str, record: FigureRecord) -> str | None:
    """Which figure of ``text`` is off the record, or ``None`` when every one is on it."""
    for match in _FOLLOWER_FIGURE.finditer(text):
        value, digits = _count(match)
        if value not in record.written and not any(
            _rounds_to(followers, value, digits) for followers in record.followers
        ):
            return f"the follower figure {match.group().strip()!r} is not on record"
    for match in _PERCENT.finditer(text):
        percent, decimals = _percent(match)
        tolerance = Decimal(5) / Decimal(10) ** (decimals + 1)
        if percent not in record.written_percents and not any(
            abs(Decimal(str(rate)) * 100 - percent) <= tolerance for rate in record.rates
        ):
            return f"the percentage {match.group()!r} is not on record"
    return None


def _count(match: re.Match[str]) -> tuple[int, int]:
    """The count written, and how many significant digits it was written with."""
    number = match["number"].replace(",", "")
    value = Decimal(number) * _UNITS[(match["unit"] or "").lower()]
    digits = number.replace(".", "").lstrip("0")
    if "." not in number:
        digits = digits.rstrip("0")
    return int(value), max(1, len(digits))


def _percent(match: re.Match[str]) -> tuple[Decimal, int]:
    number = match["number"].replace(",", ".")
    return Decimal(number), len(number.partition(".")[2])


def _rounds_to(record: int, value: int, digits: int) -> bool:
    """Whether ``value`` is ``record`` rounded or cut to ``digits`` significant digits."""
    if value == record:
        return True
    magnitude = len(str(abs(record)))
    if digits >= magnitude:
        return False
    unit = 10 ** (magnitude - digits)
    return value in {record // unit * unit, (record + unit // 2) // unit * unit}

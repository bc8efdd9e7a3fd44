"""What a brief's own text says: the figures, countries, languages, platforms and handles in it.

The model is untrusted: it may "read" a follower range of 99-99, a country or a platform the brief
never mentions. ``BriefEvidence`` lets the model's reading keep a value only when the text says
it: the figure (``10k``, ``10,000``, ``1.5M``, ``ten``), the name, the code or a recognisable alias
(``UK``, ``German``, ``Brazilian``, ``IG``, ``TikTokers``, ``@jane``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pycountry

from retrieval.engine.brief import NUMBER_WORDS
from retrieval.roster.creator import normalize_country, normalize_language
from retrieval.roster.urls import PLATFORM_ALIASES

_UNITS = {
    "k": 1_000,
    "thousand": 1_000,
    "tausend": 1_000,
    "mil": 1_000,
    "mille": 1_000,
    "m": 1_000_000,
    "mio": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "millionen": 1_000_000,
    "millones": 1_000_000,
    "milioni": 1_000_000,
    "milhoes": 1_000_000,
}
# Digits are capped, so a figure is never a huge number; the unit is one word after it.
_FIGURE = re.compile(
    r"(?<![\w.,])(?P<number>\d{1,3}(?:[,.\u00a0\u202f]\d{3}){1,4}|\d{1,12}(?:[.,]\d{1,3})?)"
    rf"\s?(?P<unit>{'|'.join(sorted(_UNITS, key=len, reverse=True))})?(?!\w)"
)
_GROUPED = re.compile(r"\d{1,3}(?:[,.\u00a0\u202f]\d{3})+")
_WORD = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*")
#: Longest run of words looked up as one name ("Bosnia and Herzegovina").
_MAX_NAME_WORDS = 4
# Demonyms that do not share a long stem with their country's name (German/Germany does).
_DEMONYMS = {
    "french": "FR",
    "spanish": "ES",
    "portuguese": "PT",
    "dutch": "NL",
    "swiss": "CH",
    "polish": "PL",
    "irish": "IE",
    "danish": "DK",
    "swedish": "SE",
    "norwegian": "NO",
    "finnish": "FI",
    "belgian": "BE",
    "turkish": "TR",
    "greek": "GR",
    "british": "GB",
    "english": "GB",
    "scottish": "GB",
    "welsh": "GB",
    "filipino": "PH",
    "thai": "TH",
    "argentinian": "AR",
    "argentine": "AR",
}
#: Shortest stem a demonym must share with its country's name.
_MIN_STEM = 4


@dataclass(frozen=True)
class BriefEvidence:
    """The values a brief's text states, to check a model's reading against."""

    figures: frozenset[int]
    countries: frozenset[str]
    languages: frozenset[str]
    folded: str

    @classmethod
    def of(cls, text: str) -> BriefEvidence:
        runs = _word_runs(text)
        return cls(
            figures=_figures(text),
            countries=_codes(runs, normalize_country, short_ok=str.isupper) | _demonyms(runs),
            languages=_codes(runs, normalize_language, short_ok=lambda _: False),
            folded=_fold(text),
        )

    def says_count(self, count: int) -> bool:
        return count in self.figures

    def says_bound(self, bound: int) -> bool:
        """A bound is said by its figure or the one next to it ("under 10k" reads as 9,999)."""
        return bool({bound - 1, bound, bound + 1} & self.figures)

    def names_platform(self, platform: str) -> bool:
        """By any alias, as a word of its own or (when longer than two letters) a word's start:
        ``tiktok`` is named by ``TikTokers``, ``ig`` is not named by ``big``."""
        aliases = [alias for alias, name in PLATFORM_ALIASES.items() if name == platform]
        return any(self._names(alias, whole=len(alias) <= 2) for alias in aliases or [platform])

    def names_handle(self, handle: str) -> bool:
        return self._names(handle.rpartition(":")[2].lstrip("@"), whole=True)

    def _names(self, name: str, *, whole: bool) -> bool:
        folded = _fold(name).strip()
        if not folded:
            return False
        end = r"(?!\w|\.\w)" if whole else ""
        return re.search(rf"(?<![\w.]){re.escape(folded)}{end}", self.folded) is not None


def _figures(text: str) -> frozenset[int]:
    """Every number the text writes: digits with grouping, decimals and units, and words."""
    found: set[int] = set()
    for match in _FIGURE.finditer(_fold(text)):
        number = match["number"]
        if _GROUPED.fullmatch(number):
            value = Decimal(re.sub(r"\D", "", number))
        else:
            value = Decimal(number.replace(",", "."))
        value *= _UNITS.get(match["unit"] or "", 1)
        if value == value.to_integral_value():
            found.add(int(value))
    folded = _fold(text)
    found.update(
        count
        for words, count in NUMBER_WORDS.items()
        if words not in ("a", "an") and re.search(rf"\b{re.escape(words)}\b", folded)
    )
    return frozenset(found)


def _word_runs(text: str) -> list[str]:
    """Runs of one to ``_MAX_NAME_WORDS`` consecutive words, for looking names up."""
    words = _WORD.findall(text)
    return [
        " ".join(words[start : start + size])
        for size in range(1, _MAX_NAME_WORDS + 1)
        for start in range(len(words) - size + 1)
    ]


def _codes(
    runs: list[str], normalize: Callable[[str], str | None], *, short_ok: Callable[[str], bool]
) -> frozenset[str]:
    """Codes of the names in ``runs``. A word of three letters or fewer is looked up only when
    ``short_ok`` says so: a country code in capitals ("US", not "us"), never a language code
    ("or", "it" and "uk" are words or countries before they are languages). "the UK" is found
    as "UK" alone."""
    codes: set[str] = set()
    for run in runs:
        if (len(run) <= 3 and not short_ok(run)) or run.casefold().startswith("the "):
            continue
        try:
            code = normalize(run)
        except ValueError:
            continue
        if code:
            codes.add(code)
    return frozenset(codes)


def _demonyms(runs: list[str]) -> frozenset[str]:
    codes: set[str] = set()
    for run in runs:
        word = _fold(run)
        code = _DEMONYMS.get(word) or _country_by_stem(word)
        if code:
            codes.add(code)
    return frozenset(codes)


def _country_by_stem(word: str) -> str | None:
    """``german`` -> ``DE``, ``italian`` -> ``IT``: the country whose name shares with the word
    all its letters but at most the last, and at least ``_MIN_STEM`` of them."""
    for name, code in _country_names().get(word[:_MIN_STEM], ()):
        shared = len(_common_prefix(word, name))
        if shared >= max(_MIN_STEM, len(name) - 1) and shared < len(word):
            return code
    return None


@functools.cache
def _country_names() -> dict[str, tuple[tuple[str, str], ...]]:
    """Folded short country names by their first ``_MIN_STEM`` letters."""
    by_stem: dict[str, list[tuple[str, str]]] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name"):
            name = getattr(country, attribute, None)
            if name and "," not in name and "(" not in name:
                folded = _fold(name)
                by_stem.setdefault(folded[:_MIN_STEM], []).append((folded, country.alpha_2))
    return {stem: tuple(names) for stem, names in by_stem.items()}


def _common_prefix(first: str, second: str) -> str:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return first[:length]


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    return "".join(char for char in plain if not unicodedata.combining(char)).casefold()

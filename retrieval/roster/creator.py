"""The ``Creator`` model and the cleaning of each roster field (handle, country, language...).

Every value is normalised on the way in, so the stores, filters and messages all see one spelling.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

import babel
import pycountry
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from retrieval.contract import creator_key
from retrieval.counts import MAX_COUNT_DIGITS, parse_count
from retrieval.roster.errors import shown_cell
from retrieval.roster.kind import CreatorKind, normalize_kind
from retrieval.roster.untrusted_json import JsonTooDeepError, json_loads
from retrieval.roster.urls import platform_name
from retrieval.terms import terms, without_frame_words

#: Longest text read as an engagement rate (``0.0453125`` or ``4.53125 %`` fit easily).
MAX_RATE_CHARS = 24

#: The fields a roster column can be mapped to, in the order the design lists them.
ROSTER_FIELDS = (
    "handle",
    "platform",
    "followers",
    "bio",
    "name",
    "country",
    "language",
    "engagement_rate",
    "topics",
    "kind",
)
#: Fields a column mapping may set to one value for every row, e.g. ``platform:=tiktok``.
CONSTANT_FIELDS = ("platform", "country", "language", "topics")
#: How a constant is written in a column mapping: ``FIELD:=VALUE``.
CONSTANT_MARK = ":="

RosterFormat = Literal["csv", "json", "jsonl", "spreadsheet"]


def _text(value: object, field: str) -> str:
    """A cell or JSON value as trimmed text; ``None`` is empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{field} must be text, not {json_kind(value)}")
    return str(value)


def json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "null"


def normalize_handle(value: object) -> str:
    """``@JaneCooks`` -> ``janecooks``; raises ``ValueError`` for an empty or spaced handle."""
    handle = _text(value, "handle").lstrip("@").lower()
    if not handle:
        raise ValueError("handle is missing")
    if len(handle.split()) > 1:
        raise ValueError(
            f"handle {shown_cell(handle)} contains spaces; a handle is one word like janecooks"
        )
    return handle


def _lookup_key(text: str) -> str:
    """Fold case, accents, dots and spacing so that ``Côte d’Ivoire`` finds ``cote d'ivoire``."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    key = " ".join(plain.casefold().replace("’", "'").replace(".", "").split())
    return key.removeprefix("the ")


def _with_derived_names(
    names: dict[str, str], derived: Iterable[tuple[str, str]], aliases: Mapping[str, str]
) -> dict[str, str]:
    """Add short names (``Bolivia`` from ``Bolivia, Plurinational State of``) unless ambiguous."""
    codes_by_short_name: dict[str, set[str]] = {}
    for short_name, code in derived:
        codes_by_short_name.setdefault(_lookup_key(short_name), set()).add(code)
    for key, codes in codes_by_short_name.items():
        if len(codes) == 1 and key not in names:
            names[key] = codes.pop()
    names.update({_lookup_key(alias): code for alias, code in aliases.items()})
    return names


_COUNTRY_ALIASES = {
    "UK": "GB",
    "Great Britain": "GB",
    "Britain": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "America": "US",
    "UAE": "AE",
    "Russia": "RU",
    "Turkey": "TR",
    "Holland": "NL",
    "Ivory Coast": "CI",
    "Cape Verde": "CV",
    "Swaziland": "SZ",
    "Macedonia": "MK",
    "Burma": "MM",
    "East Timor": "TL",
    "Vatican": "VA",
    "Brunei": "BN",
    "DR Congo": "CD",
    "DRC": "CD",
}

_LANGUAGE_ALIASES = {
    "Greek": "el",
    "Farsi": "fa",
    "Punjabi": "pa",
    "Pashto": "ps",
    "Kyrgyz": "ky",
    "Uyghur": "ug",
    "Khmer": "km",
    "Bangla": "bn",
    "Flemish": "nl",
    "Castilian": "es",
    "Moldovan": "ro",
    "Mandarin": "zh",
    "Filipino": "tl",
}


@functools.cache
def _country_codes() -> dict[str, str]:
    """Every way we accept to write a country, folded by ``_lookup_key``, to its alpha-2 code."""
    names: dict[str, str] = {}
    derived: list[tuple[str, str]] = []
    for country in pycountry.countries:
        code: str = country.alpha_2
        for attribute in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            written = getattr(country, attribute, None)
            if written:
                names.setdefault(_lookup_key(written), code)
    known = set(names.values())
    for locale in _cldr_locales():
        for code, name in locale.territories.items():
            if code in known:
                derived.append((re.split(r",| \(", name)[0], code))
    return _with_derived_names(names, derived, _COUNTRY_ALIASES)


@functools.cache
def _language_codes() -> dict[str, str]:
    """Every way we accept to write a language with an ISO 639-1 code, to that code."""
    names: dict[str, str] = {}
    derived: list[tuple[str, str]] = []
    for language in pycountry.languages:
        code: str | None = getattr(language, "alpha_2", None)
        if code is None:
            continue
        for attribute in ("alpha_2", "alpha_3", "bibliographic", "name", "common_name"):
            written = getattr(language, attribute, None)
            if written:
                names.setdefault(_lookup_key(written), code)
        inverted = str(getattr(language, "inverted_name", ""))  # "Greek, Modern (1453-)"
        derived.extend((part, code) for part in re.split(r"[;,]", _without_brackets(inverted)))
    known = set(names.values())
    for locale in _cldr_locales():
        for tag, name in locale.languages.items():
            base = tag.split("_")[0]  # "pt_BR" ("Brazilian Portuguese") counts as "pt"
            if base in known:
                derived.append((_without_brackets(name), base))
    return _with_derived_names(names, derived, _LANGUAGE_ALIASES)


def _without_brackets(name: str) -> str:
    """``English (US)`` -> ``English``."""
    return re.sub(r"\s*\(.*?\)", "", name).strip()


#: Rosters and briefs also name countries and languages in these languages ("Deutschland",
#: "español", "Россия"); the names come from CLDR through Babel.
NAME_LOCALES = ("en", "de", "es", "fr", "pt", "it", "nl", "pl", "sv", "tr", "ru", "ja", "zh", "ko")


@functools.cache
def _cldr_locales() -> tuple[babel.Locale, ...]:
    return tuple(babel.Locale.parse(locale) for locale in NAME_LOCALES)


_LOCALE_TAG = re.compile(r"([a-z]{2,3})[-_][a-z0-9]{2,8}(?:[-_][a-z0-9]{1,8})*")


@functools.lru_cache(maxsize=4096)
def _country_code(text: str) -> str | None:
    return _country_codes().get(_lookup_key(text))


@functools.lru_cache(maxsize=4096)
def _language_code(text: str) -> str | None:
    key = _lookup_key(text)
    locale = _LOCALE_TAG.fullmatch(key)
    codes = _language_codes()
    return codes.get(locale[1] if locale else key) or codes.get(_without_brackets(key))


def normalize_country(value: object) -> str | None:
    """``Germany`` / ``DEU`` / ``de`` -> ``DE``; empty -> ``None``; unknown -> ``ValueError``."""
    text = _text(value, "country")
    if not text:
        return None
    code = _country_code(text)
    if code is None:
        raise ValueError(
            f"{shown_cell(text)} is not a country we know; write an ISO code like DE or a name "
            "like Germany"
        )
    return code


def is_living_language(code: str) -> bool:
    """False for Latin, Sanskrit, Esperanto and the like: no creator audience speaks them."""
    language = pycountry.languages.get(alpha_2=code)
    return language is not None and getattr(language, "type", "") == "L"


def normalize_language(value: object) -> str | None:
    """``Spanish`` / ``spa`` / ``es-MX`` -> ``es``; empty -> ``None``; unknown -> ``ValueError``."""
    text = _text(value, "language")
    if not text:
        return None
    code = _language_code(text)
    if code is None:
        raise ValueError(
            f"{shown_cell(text)} is not a language with an ISO 639-1 code; "
            "write a code like es or a name like Spanish"
        )
    return code


def _engagement_rate(value: object) -> float | None:
    """``0.045``, ``4.5%`` and ``4.5`` (a bare number above 1 is a percentage) -> ``0.045``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate, percent = float(value), False
    else:
        text = _text(value, "engagement_rate")
        if not text:
            return None
        if len(text) > MAX_RATE_CHARS:
            raise ValueError(
                f"{text[:MAX_RATE_CHARS]!r}… ({len(text):,} characters) is too long to be an "
                "engagement rate; write it like 0.045 or 4.5%"
            )
        percent = text.endswith("%")
        try:
            rate = float(text.removesuffix("%").strip().replace(",", "."))
        except ValueError:
            raise ValueError(
                f"{shown_cell(text)} is not an engagement rate; write it like 0.045 or 4.5%"
            ) from None
    if percent or rate > 1:
        rate /= 100
    if not (math.isfinite(rate) and 0 <= rate <= 1):
        raise ValueError(f"{value!r} is not an engagement rate between 0 and 1 (0% and 100%)")
    return rate


def _topics(value: object) -> list[str]:
    """A JSON list, or text separated by ``;`` or ``|``, as distinct trimmed topics."""
    if value is None:
        return []
    if isinstance(value, str) and value.strip().startswith("["):
        with contextlib.suppress(json.JSONDecodeError, JsonTooDeepError):
            value = json_loads(value)
    items: list[object] = (
        value if isinstance(value, list) else re.split(r"[;|]", _text(value, "topics"))
    )
    topics = [_text(item, "each topic") for item in items]
    return list(dict.fromkeys(topic for topic in topics if topic))


def _platform(value: object) -> str:
    """Lower case, with the usual short forms spelled out: ``X`` -> ``twitter``, ``IG`` ->
    ``instagram``."""
    return platform_name(_text(value, "platform")) or "unknown"


def _followers(value: object) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("followers is missing")
    if not isinstance(value, str | int | float):
        raise ValueError(f"followers must be a count, not {json_kind(value)}")
    if (
        isinstance(value, str)
        and len(value) <= MAX_COUNT_DIGITS
        and value.isascii()
        and value.isdigit()
    ):
        return int(value)  # the common case, without parse_count's pattern
    return parse_count(value)


def _bio(value: object) -> str:
    return _text(value, "bio")


def _name(value: object) -> str | None:
    return _text(value, "name") or None


#: Each roster field's normaliser: raw cell or JSON value in, canonical value out, ``ValueError``
#: with a user-facing message for a bad value. ``None`` (absent) gives the field's default.
FIELD_CLEANERS: dict[str, Callable[[object], object]] = {
    "handle": normalize_handle,
    "platform": _platform,
    "followers": _followers,
    "bio": _bio,
    "name": _name,
    "country": normalize_country,
    "language": normalize_language,
    "engagement_rate": _engagement_rate,
    "topics": _topics,
    "kind": normalize_kind,
}


class Creator(BaseModel):
    """One creator on one platform; identity is ``(platform, handle)``.

    Values are normalised on the way in (``@Jane`` -> ``jane``, ``Germany`` -> ``DE``,
    ``Spanish`` -> ``es``, ``12.3K`` -> ``12300``, ``4.5%`` -> ``0.045``), so every ``Creator``
    holds the canonical form whoever built it.
    """

    handle: str
    platform: str = "unknown"
    followers: int = Field(ge=0)
    bio: str = ""
    name: str | None = None
    country: str | None = None
    language: str | None = None
    engagement_rate: float | None = Field(default=None, ge=0, le=1)
    topics: list[str] = Field(default_factory=list)
    extra: dict[str, str] = Field(default_factory=dict)
    #: ``brand`` for the account of a brand, shop or agency (a ``kind`` column, or recognised
    #: at import by ``retrieval.roster.kind``); records stored before kinds existed read as
    #: ``creator``.
    kind: CreatorKind = "creator"

    @field_validator(*ROSTER_FIELDS, mode="before")
    @classmethod
    def _normalize(cls, value: object, info: ValidationInfo) -> object:
        return FIELD_CLEANERS[str(info.field_name)](value)

    @property
    def key(self) -> str:
        """The stable id of this creator in every store: ``platform:handle``."""
        return creator_key(self.platform, self.handle)

    def content_hash(self) -> str:
        """Changes exactly when something that is embedded or filtered on changes.

        A creator's ``kind`` is left out of the hash when it is the default, so records stored
        before kinds existed keep their hash and a re-import does not call them all updated."""
        fields = self.model_dump(mode="json", exclude={"kind"} if self.kind == "creator" else None)
        payload = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def embedding_text(self) -> str:
        """The text whose vector stands for this creator: what the bio says about the creator
        (contact lines and the trade's own words left out, see ``story_of``), with topics."""
        story = story_of(self.bio)
        if self.topics:
            return f"{story}\nTopics: {', '.join(self.topics)}".strip()
        return story


#: Embedding reads at most this much of a bio (the encoders truncate long texts anyway).
EMBEDDED_BIO_CHARS = 2_000
# A line with one of these is a way to reach the creator, not their story.
_CONTACT_MARK = re.compile(
    r"\S@\S+\.\w|https?://|www\.|linktr\.ee|"
    r"\b(?:dm|e-?mail|mail|contact|inquiries|enquiries|booking|management|mgmt|collabs?|"
    r"business|biz|kontakt|kooperation|anfragen|contacto|negocios|pro)\b\s*[:@📩✉]",
    re.IGNORECASE,
)


def story_of(bio: str) -> str:
    """The bio without its contact lines and the trade's own words ("content creator",
    "collab", "brand"): measured on the real-bio tuning set, bios embedded this way are found
    by subject instead of by boilerplate (bench/bench_quality.py)."""
    lines = bio[:EMBEDDED_BIO_CHARS].splitlines()
    kept = [line for line in lines if not _CONTACT_MARK.search(line)]
    return without_frame_words("\n".join(kept)).strip()


# An e-mail token is matched from the token's start only ("(?<!\S)"): without that anchor a long
# run of non-space characters was tried from every position, in time quadratic in its length.
_CONTACT = re.compile(
    r"((?<!\S)\S+@\S+|https?://\S+|www\.\S+|\b(?:dm|email|e-mail|mail|contact|business|biz|collab|"
    r"inquiries|enquiries|booking|bookings|management|mgmt|link in bio|linktr\.ee\S*)\b)",
    re.I,
)


#: Only this much of a bio is checked for words: plenty to find a story, and the check costs the
#: same for a bio of any length.
MAX_CHECKED_BIO_CHARS = 10_000
#: A run of letters longer than this is no word in any language ("aaaa…", a pasted token).
MAX_WORD_CHARS = 40


def is_thin_bio(bio: str) -> bool:
    """True when the bio has no content word beyond contact lines, links and the trade's own
    words ("DM for collabs", "link in bio"): empty, contact-only, link-only or emoji-only."""
    checked = _CONTACT.sub(" ", bio[:MAX_CHECKED_BIO_CHARS])
    return not any(len(term.surface) <= MAX_WORD_CHARS for term in terms(checked))

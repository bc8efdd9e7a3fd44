"""Reading a brief without a model: objective, counts, places, platforms and follower bounds.

What the brief's text says becomes the same constraints as the command-line flags; a flag the
user gave always wins over what the text says for the same field. The text left once those
phrases are taken out is the *story*, the part retrieval matches bios against.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from retrieval.contract import (
    MAX_BRIEF_CHARS,
    Filters,
    Objective,
    RecommendRequest,
    Side,
    creator_key,
)
from retrieval.counts import parse_count
from retrieval.errors import EmptyBriefError, FilterError
from retrieval.roster.creator import normalize_country, normalize_language
from retrieval.terms import terms

_T = TypeVar("_T")

#: The most slots a side takes, as ``RecommendRequest`` allows.
MAX_SLOTS: dict[Side, int] = {"macro": 20, "micro": 50}

# --- Objective ---------------------------------------------------------------------------------

_AWARENESS_CUES = re.compile(
    r"\b(?:reach|awareness|aware|launch(?:es|ed|ing)?|visibility|visible|exposure|buzz|hype|"
    r"get the word out|spread the word|recogni[sz]ed?|recognition|introduc(?:e|es|ing)|"
    r"on the map|top of mind|impressions|eyeballs|big splash)\b",
    re.I,
)
_CONVERSION_CUES = re.compile(
    r"\b(?:drive sales|sales|conversions?|convert(?:s|ing)?|sign[- ]?ups?|"
    r"installs?|downloads?|promo(?:tion(?:al)?)? codes?|discount codes?|coupons?|affiliate|"
    r"purchases?|pre-?orders?|bookings|free trials?|leads|checkout|revenue|roi|"
    r"add to cart|buyers)\b",
    re.I,
)

# --- Counts ------------------------------------------------------------------------------------

#: How briefs write small counts in words ("a couple of macros").
NUMBER_WORDS = {
    "one": 1,
    "a single": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "a couple of": 2,
    "a couple": 2,
    "a pair of": 2,
    "three": 3,
    "a few": 3,
    "four": 4,
    "five": 5,
    "a handful of": 5,
    "a handful": 5,
    "several": 5,
    "six": 6,
    "half a dozen": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a dozen": 12,
}
_COUNT_WORD = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
_SIDE_COUNT = re.compile(
    rf"\b(?P<number>\d{{1,3}}|{_COUNT_WORD})\s+"
    r"(?:(?:more|big|bigger|large|larger|small|smaller|other|additional|extra|great|good|"
    r"strong|solid)\s+)?"
    r"(?P<side>macro|micro)(?:s\b|[- ]?(?:influencers?|creators?|accounts?)\b|\b)",
    re.I,
)

# --- Follower bounds ---------------------------------------------------------------------------

# Repetitions are bounded (15 digits at most, past any count) and a number never starts inside
# another one, so every start position costs the same: reading a brief stays linear in its length.
_NUMBER = (
    r"(?<![\d.,])(?<!\d[, ])"
    r"(?P<{name}>\d{{1,3}}(?:[, ]\d{{3}}){{1,4}}|\d{{1,15}}(?:\.\d{{1,6}})?)"
    r"\s?(?P<{name}_unit>[km](?![a-z])|)"
)
_FOLLOWERS = r"(?:followers?|subs|subscribers|fans)\b"
_BELOW = r"under|below|less than|fewer than|<"
_AT_MOST = r"at most|up to|no more than|not more than|max(?:imum)?(?: of)?|<=|≤"
_ABOVE = r"over|above|more than|greater than|>"
_AT_LEAST = r"at least|no fewer than|min(?:imum)?(?: of)?|>=|≥|upwards of"
_BOUND_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), kind)
    for pattern, kind in (
        (
            rf"\bbetween\s+{_NUMBER.format(name='low')}\s+and\s+"
            rf"{_NUMBER.format(name='high')}\s+{_FOLLOWERS}",
            "range",
        ),
        (
            rf"\b{_NUMBER.format(name='low')}\s*(?:-|–|to)\s*"
            rf"{_NUMBER.format(name='high')}\s+{_FOLLOWERS}",
            "range",
        ),
        (rf"(?:{_BELOW})\s*{_NUMBER.format(name='high')}\s+{_FOLLOWERS}", "below"),
        (rf"(?:{_AT_MOST})\s*{_NUMBER.format(name='high')}\s+{_FOLLOWERS}", "at_most"),
        (rf"(?:{_ABOVE})\s*{_NUMBER.format(name='low')}\s+{_FOLLOWERS}", "above"),
        (rf"(?:{_AT_LEAST})\s*{_NUMBER.format(name='low')}\s+{_FOLLOWERS}", "at_least"),
        (rf"\b{_NUMBER.format(name='low')}\s*\+\s*{_FOLLOWERS}", "at_least"),
        (rf"\b{_NUMBER.format(name='high')}\s+{_FOLLOWERS}\s+or\s+(?:less|fewer|below)", "at_most"),
        (rf"\b{_NUMBER.format(name='low')}\s+{_FOLLOWERS}\s+or\s+(?:more|above)", "at_least"),
        (rf"\b{_FOLLOWERS}\s+(?:{_BELOW})\s*{_NUMBER.format(name='high')}", "below"),
        (rf"\b{_FOLLOWERS}\s+(?:{_AT_MOST})\s*{_NUMBER.format(name='high')}", "at_most"),
        (rf"\b{_FOLLOWERS}\s+(?:{_ABOVE})\s*{_NUMBER.format(name='low')}", "above"),
        (rf"\b{_FOLLOWERS}\s+(?:{_AT_LEAST})\s*{_NUMBER.format(name='low')}", "at_least"),
    )
)

# --- Places and languages ----------------------------------------------------------------------

_PLACE_TRIGGER = re.compile(
    r"\b(?P<trigger>(?:based|located|living|active|posting|post|create|creating|speaking)\s+in|"
    r"in|from|for|across|throughout|within|around)\s+",
    re.I,
)
_BASED = re.compile(r"[- ]based\b", re.I)
_SPEAKING = re.compile(r"[- ](?:speaking|speakers?|language)\b", re.I)
_SPEAK = re.compile(r"\bspeak(?:s|ing)?\s+", re.I)
_LANGUAGE_WORDS = {
    "anglophone": "en",
    "francophone": "fr",
    "hispanophone": "es",
    "lusophone": "pt",
    "germanophone": "de",
    "arabophone": "ar",
}
_LANGUAGE_WORD = re.compile(rf"\b(?:{'|'.join(_LANGUAGE_WORDS)})\b", re.I)
# A place named after one of these is a market the brand sells in, not where creators must be.
_MARKET_VERB = re.compile(
    r"\b(?:launch\w*|expand\w*|sell\w*|ship\w*|available|open\w*|enter\w*|grow\w*|"
    r"roll\w* out|stores?|markets?)\s+(?:\w+\s+)?$",
    re.I,
)
# A sentence with one of these asks for a preference, not a hard constraint.
_HEDGE = re.compile(
    r"\b(?:prefer\w*|ideally|bonus|a plus|nice to have|if possible|especially|first|also|"
    r"welcome|optional|not required|not a must|don't mind|do not mind)\b",
    re.I,
)
# The brief says the language (or the location) matters less than the story.
_SOFTENED = {
    "language": re.compile(
        r"(?:matters? more than (?:the )?language|language (?:doesn't|does not|don't) matter|"
        r"any language|sprache ist (?:uns |mir )?egal|el idioma (?:nos |me )?da igual|"
        r"no importa el idioma|peu importe la langue|a l[ií]ngua n[aã]o importa)",
        re.I,
    ),
    "country": re.compile(
        r"(?:matters? more than (?:the )?(?:country|location|place)|"
        r"(?:country|location|where they live) (?:doesn't|does not|don't) matter|"
        r"anywhere in the world)",
        re.I,
    ),
}
_NAME_GAP = re.compile(r"[ -]")
_SENTENCE_MARK = re.compile(r"[.!?\n]")
_NAME_WORD = re.compile(r"[^\W\d_][\w.'’]*", re.UNICODE)
_LIST_SEPARATOR = re.compile(r"(?:\s*,\s*(?:(?:and|or)\s+)?|\s*/\s*|\s*&\s*|\s+(?:and|or)\s+)")
_LEADING_THE = re.compile(r"the\s+", re.I)
_NAME_JOINERS = frozenset({"of", "and", "the", "d'ivoire", "d’ivoire", "da", "de", "del"})
_MAX_NAME_WORDS = 4

# --- Platforms ---------------------------------------------------------------------------------

PLATFORM_ALIASES = {
    "tiktok": "tiktok",
    "tik tok": "tiktok",
    "tt": "tiktok",
    "instagram": "instagram",
    "insta": "instagram",
    "ig": "instagram",
    "youtube": "youtube",
    "yt": "youtube",
    "twitch": "twitch",
    "facebook": "facebook",
    "fb": "facebook",
    "pinterest": "pinterest",
    "snapchat": "snapchat",
    "linkedin": "linkedin",
    "twitter": "twitter",
    "x": "twitter",
}
_TEXT_PLATFORMS = r"tik\s?tok|instagram|insta|youtube|twitch|facebook|pinterest|snapchat|linkedin"
_PLATFORM_PATTERNS = (
    re.compile(
        rf"(?<!not )\b(?:on|via|across|through|using)\s+"
        rf"(?P<list>(?:{_TEXT_PLATFORMS})(?:(?:\s*,\s*|\s*/\s*|\s+(?:and|or|&)\s+)"
        rf"(?:{_TEXT_PLATFORMS}))*)\b",
        re.I,
    ),
    re.compile(
        rf"\b(?P<list>{_TEXT_PLATFORMS})[- ](?:creators?|influencers?|accounts?|channels?|only|"
        r"stars?|streamers?|videos?|reels|shorts|audiences?)\b",
        re.I,
    ),
    re.compile(r"\b(?P<list>tiktok|youtube|instagram)(?:ers?|mers?)\b", re.I),
)


@dataclass(frozen=True)
class Brief:
    """A request as understood: every constraint resolved, flags over text."""

    text: str
    story: str
    objective: Objective
    objective_cues: tuple[str, ...]
    macro: int | None
    micro: int | None
    filters: Filters
    preferred_countries: tuple[str, ...]
    preferred_languages: tuple[str, ...]
    exclude: frozenset[str]
    notices: tuple[str, ...]


@dataclass
class _Merge:
    """Flags over text, field by field, remembering what came from the text."""

    inferred: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)

    def pick(self, flag: _T | None, from_text: _T | None, flag_name: str, label: str) -> _T | None:
        if flag is not None:
            if from_text is not None and from_text != flag:
                self.overridden.append(
                    f"{flag_name} {shown_value(flag)} was used instead of the brief's "
                    f"{label} ({shown_value(from_text)})."
                )
            return flag
        if from_text is not None:
            self.inferred.append(f"{label} {shown_value(from_text)}")
        return from_text


def shown_value(value: object) -> str:
    """A constraint's value as a notice shows it: lists joined, counts grouped."""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass
class _Found:
    """What the text says, and the spans that said it (removed from the story)."""

    spans: list[tuple[int, int]] = field(default_factory=list)
    said: list[str] = field(default_factory=list)

    def take(self, start: int, end: int, text: str) -> None:
        self.spans.append((start, end))
        self.said.append(text[start:end].strip())


def read_brief(request: RecommendRequest) -> Brief:
    """Resolve ``request`` into a ``Brief``; raises ``EmptyBriefError`` or ``FilterError``."""
    # Long: each constraint is read from the text, then merged with its flag, in one place so
    # that the precedence (a flag wins over the text) and the notices stay visible together.
    raw = request.brief.strip()
    if not raw:
        raise EmptyBriefError()
    notices: list[str] = []
    text = raw
    if len(raw) > MAX_BRIEF_CHARS:
        cut = raw.rfind(" ", 0, MAX_BRIEF_CHARS + 1)
        text = raw[: cut if cut > MAX_BRIEF_CHARS // 2 else MAX_BRIEF_CHARS].rstrip()
        notices.append(
            f"The brief is {len(raw):,} characters long; only the first {len(text):,} were read "
            f"(the limit is {MAX_BRIEF_CHARS:,})."
        )

    flag_filters = _flag_filters(request)
    lowercase_text = text == text.lower()
    found = _Found()
    macro_text, micro_text = _side_counts(text, found)
    low_text, high_text = _follower_bounds(text, found)
    places = _places(text, found, lowercase_text)
    countries_text = places.required["country"]
    languages_text = places.required["language"]
    platforms_text = _platforms(text, found)
    objective_text, cues = _objective(text)

    merge = _Merge()
    objective: Objective | None = merge.pick(
        request.objective, objective_text, "--objective", "objective"
    )
    macro = merge.pick(request.macro, macro_text, "--macro", "macro count")
    micro = merge.pick(request.micro, micro_text, "--micro", "micro count")
    countries = merge.pick(
        flag_filters.country or None, countries_text or None, "--country", "country"
    )
    languages = merge.pick(
        flag_filters.language or None, languages_text or None, "--language", "language"
    )
    platforms = merge.pick(
        flag_filters.platform or None, platforms_text or None, "--platform", "platform"
    )
    low = merge.pick(request.min_followers, low_text, "--min-followers", "minimum followers")
    high = merge.pick(request.max_followers, high_text, "--max-followers", "maximum followers")
    notices.extend(merge.overridden)
    if merge.inferred:
        notices.append("Read from the brief: " + "; ".join(merge.inferred) + ".")
    preferred = {
        kind: [] if flagged else codes
        for (kind, codes), flagged in zip(
            places.preferred.items(), (flag_filters.country, flag_filters.language), strict=True
        )
    }
    if preferred["country"] or preferred["language"]:
        wanted = [f"{kind} {', '.join(codes)}" for kind, codes in preferred.items() if codes]
        notices.append(f"Preferred, not required: {'; '.join(wanted)}.")
    macro = _capped("macro", macro, notices)
    micro = _capped("micro", micro, notices)

    filters = Filters(
        platform=platforms or [],
        country=countries or [],
        language=languages or [],
        min_followers=low,
        max_followers=high,
    )
    _check_consistent(filters, macro, micro)
    story = _story(text, found.spans)
    if not any(terms(story)):
        raise EmptyBriefError("; ".join(found.said) or None)
    return Brief(
        text=text,
        story=story,
        objective=objective or "balanced",
        objective_cues=cues if request.objective is None else (),
        macro=macro,
        micro=micro,
        filters=filters,
        preferred_countries=tuple(preferred["country"]),
        preferred_languages=tuple(preferred["language"]),
        exclude=frozenset(normalize_exclude(handle) for handle in request.exclude),
        notices=tuple(notices),
    )


def normalize_exclude(handle: str) -> str:
    """``@Jane`` -> ``jane``; ``TikTok:@Jane`` -> ``tiktok:jane`` (a handle on one platform)."""
    platform, _, bare = handle.strip().rpartition(":")
    bare = bare.strip().lstrip("@").casefold()
    if not bare:
        raise FilterError(f"--exclude {handle!r} names no handle; write it like @janecooks.")
    return creator_key(normalize_platform(platform), bare) if platform.strip() else bare


def normalize_platform(platform: str) -> str:
    text = platform.strip().casefold()
    return PLATFORM_ALIASES.get(text, text)


def _flag_filters(request: RecommendRequest) -> Filters:
    """The flags, checked: every unknown country or language is named in one error."""
    problems: list[str] = []
    countries = _normalized(request.country, normalize_country, problems)
    languages = _normalized(request.language, normalize_language, problems)
    if problems:
        raise FilterError(" ".join(problems))
    platforms = list(dict.fromkeys(normalize_platform(p) for p in request.platform if p.strip()))
    return Filters(platform=platforms, country=countries, language=languages)


def _normalized(
    values: Sequence[str], normalize: Callable[[str], str | None], problems: list[str]
) -> list[str]:
    codes: list[str] = []
    for value in values:
        try:
            code = normalize(value)
        except ValueError as error:
            problems.append(str(error).rstrip(".") + ".")
            continue
        if code is not None and code not in codes:
            codes.append(code)
    return codes


def _capped(side: Side, count: int | None, notices: list[str]) -> int | None:
    if count is not None and count > MAX_SLOTS[side]:
        notices.append(f"At most {MAX_SLOTS[side]} {side} creators are picked at once.")
        return MAX_SLOTS[side]
    return count


def _check_consistent(filters: Filters, macro: int | None, micro: int | None) -> None:
    low, high = filters.min_followers, filters.max_followers
    if low is not None and high is not None and low > high:
        raise FilterError(
            f"The minimum of {low:,} followers is above the maximum of {high:,}: no creator can "
            "meet both. Lower --min-followers or raise --max-followers."
        )
    if macro == 0 and micro == 0:
        raise FilterError(
            "Zero macro and zero micro creators were asked for; ask for at least one."
        )


def _story(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` without the phrases that set constraints, tidied."""
    kept = list(text)
    for start, end in spans:
        kept[start:end] = [" "] * (end - start)
    story = re.sub(r"[ \t]+", " ", "".join(kept))
    story = re.sub(r" +([,.;:!?])", r"\1", story)
    story = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", story)
    return story.strip(" ,;:")


def _objective(text: str) -> tuple[Objective | None, tuple[str, ...]]:
    awareness = [m.group().lower() for m in _AWARENESS_CUES.finditer(text)]
    conversion = [m.group().lower() for m in _CONVERSION_CUES.finditer(text)]
    if len(awareness) > len(conversion):
        return "awareness", tuple(dict.fromkeys(awareness))
    if len(conversion) > len(awareness):
        return "conversion", tuple(dict.fromkeys(conversion))
    return None, ()


def _side_counts(text: str, found: _Found) -> tuple[int | None, int | None]:
    counts: dict[str, int] = {}
    for match in _SIDE_COUNT.finditer(text):
        number = match["number"].lower()
        value = int(number) if number.isdigit() else NUMBER_WORDS[number]
        side = match["side"].lower()
        if side not in counts:
            counts[side] = value
            found.take(match.start(), match.end(), text)
    return counts.get("macro"), counts.get("micro")


def _count(match: re.Match[str], name: str) -> int:
    number = match[name].replace(" ", "").replace(",", "")
    return parse_count(number + match[f"{name}_unit"])


def _follower_bounds(text: str, found: _Found) -> tuple[int | None, int | None]:
    low: int | None = None
    high: int | None = None
    taken: list[tuple[int, int]] = []
    for pattern, kind in _BOUND_PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append((match.start(), match.end()))
            found.take(match.start(), match.end(), text)
            if kind == "range":
                low, high = _count(match, "low"), _count(match, "high")
            elif kind in ("below", "at_most"):
                high = _count(match, "high") - (1 if kind == "below" else 0)
            else:
                low = _count(match, "low") + (1 if kind == "above" else 0)
    return low, high


@dataclass
class _Places:
    """Countries and languages the text names: required ones filter, preferred ones only lift."""

    required: dict[str, list[str]] = field(default_factory=lambda: {"country": [], "language": []})
    preferred: dict[str, list[str]] = field(default_factory=lambda: {"country": [], "language": []})

    def add(self, kind: str, codes: Iterable[str], hard: bool) -> None:
        into = (self.required if hard else self.preferred)[kind]
        into.extend(code for code in codes if code not in into)

    def settle(self) -> None:
        """A code both required and preferred somewhere is required."""
        for kind, codes in self.preferred.items():
            codes[:] = [code for code in codes if code not in self.required[kind]]


def _places(text: str, found: _Found, lowercase_text: bool) -> _Places:
    """Countries and languages the text names with an explicit cue."""
    places = _Places()
    softened = {kind: bool(pattern.search(text)) for kind, pattern in _SOFTENED.items()}
    hedged = _HedgedSentences(text)

    def hard(kind: str, start: int) -> bool:
        return not softened[kind] and not hedged.at(start)

    for match in _PLACE_TRIGGER.finditer(text):
        trigger = match["trigger"].lower()
        readers = [("country", normalize_country), ("language", normalize_language)]
        if trigger.startswith(("posting", "post", "create", "creating", "speaking")):
            readers = readers[1:]  # "posting in German": a language
        elif trigger != "in":
            readers = readers[:1]  # "for Brazil", "from Spain": a country, never a language
        for kind, normalize in readers:
            codes, end = _name_list(text, match.end(), normalize, lowercase_text)
            if codes:
                market = _MARKET_VERB.search(text, max(0, match.start() - 24), match.start())
                places.add(kind, codes, hard(kind, match.start()) and market is None)
                found.take(match.start(), end, text)
                break
    for suffix, kind, normalize in (
        (_BASED, "country", normalize_country),
        (_SPEAKING, "language", normalize_language),
    ):
        for match in suffix.finditer(text):
            named = _name_before(text, match.start(), normalize, lowercase_text)
            if named is not None:
                code, start = named
                places.add(kind, [code], hard(kind, start))
                found.take(start, match.end(), text)
    for match in _SPEAK.finditer(text):
        codes, end = _name_list(text, match.end(), normalize_language, lowercase_text)
        if codes:
            places.add("language", codes, hard("language", match.start()))
            found.take(match.start(), end, text)
    for match in _LANGUAGE_WORD.finditer(text):
        code = _LANGUAGE_WORDS[match.group().lower()]
        places.add("language", [code], hard("language", match.start()))
        found.take(match.start(), match.end(), text)
    places.settle()
    return places


class _HedgedSentences:
    """Which sentences state a preference, not a requirement; each sentence is searched once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._marks = [match.start() for match in _SENTENCE_MARK.finditer(text)]
        self._hedged: dict[int, bool] = {}

    def at(self, position: int) -> bool:
        """True when the sentence around ``position`` states a preference."""
        number = bisect.bisect_left(self._marks, position)
        if number not in self._hedged:
            start = self._marks[number - 1] + 1 if number else 0
            end = self._marks[number] if number < len(self._marks) else len(self._text)
            self._hedged[number] = _HEDGE.search(self._text, start, end) is not None
        return self._hedged[number]


@functools.lru_cache(maxsize=4096)
def _resolve(
    words: tuple[str, ...], normalize: Callable[[str], str | None], lowercase_text: bool
) -> str | None:
    """The code ``words`` name, when they are written as a proper name in running text."""
    words = tuple(word.rstrip(".") if word.count(".") == 1 else word for word in words)
    name = " ".join(words)
    letters = re.sub(r"[^\w]", "", name)
    if len(letters) <= 3 and name != name.upper():
        return None  # "us", "in", "it" are words; "US", "UK", "USA" are places
    if not lowercase_text and any(
        not word[0].isupper() for word in words if word.lower() not in _NAME_JOINERS
    ):
        return None
    if normalize is normalize_language and len(letters) < 4:
        return None  # a two- or three-letter language code in prose is a word, not a language
    try:
        return normalize(name)
    except ValueError:
        return None


def _name_list(
    text: str, start: int, normalize: Callable[[str], str | None], lowercase_text: bool
) -> tuple[list[str], int]:
    """Codes of ``Name(, Name)* (and|or) Name`` starting at ``start``; the end of the list."""
    codes: list[str] = []
    position = start
    end = start
    while True:
        the = _LEADING_THE.match(text, position)
        if the:
            position = the.end()
        words = [m for m in (_NAME_WORD.match(text, position),) if m]
        while words and len(words) < _MAX_NAME_WORDS:
            gap = _NAME_GAP.match(text, words[-1].end())
            following = _NAME_WORD.match(text, gap.end()) if gap else None
            if following is None:
                break
            words.append(following)
        for size in range(len(words), 0, -1):
            code = _resolve(tuple(w.group() for w in words[:size]), normalize, lowercase_text)
            if code is not None:
                codes.append(code)
                end = words[size - 1].end()
                break
        else:
            return codes, end
        separator = _LIST_SEPARATOR.match(text, end)
        if separator is None:
            return codes, end
        position = separator.end()


def _name_before(
    text: str, end: int, normalize: Callable[[str], str | None], lowercase_text: bool
) -> tuple[str, int] | None:
    """The code named by the words just before ``end`` ("UK" in "UK-based"), and where it starts."""
    words = list(_NAME_WORD.finditer(text[max(0, end - 60) : end]))
    offset = max(0, end - 60)
    words = [w for w in words if w.end() + offset <= end][-_MAX_NAME_WORDS:]
    if not words or words[-1].end() + offset != end:
        return None
    for size in range(len(words), 0, -1):
        chosen = words[-size:]
        code = _resolve(tuple(w.group() for w in chosen), normalize, lowercase_text)
        if code is not None:
            return code, chosen[0].start() + offset
    return None


def _platforms(text: str, found: _Found) -> list[str]:
    platforms: list[str] = []
    for pattern in _PLATFORM_PATTERNS:
        for match in pattern.finditer(text):
            for name in re.findall(_TEXT_PLATFORMS, match["list"], flags=re.I):
                platform = normalize_platform(re.sub(r"\s", "", name))
                if platform not in platforms:
                    platforms.append(platform)
            found.take(match.start(), match.end(), text)
    return platforms

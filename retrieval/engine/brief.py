"""Reading a brief without a model: objective, counts, places, platforms and follower bounds.

What the brief's text says becomes the same constraints as the command-line flags; a flag the
user gave always wins over what the text says for the same field. The text left once those
phrases are taken out is the *story*, the part retrieval matches bios against.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

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
from retrieval.roster.creator import is_living_language, normalize_country, normalize_language
from retrieval.roster.urls import platform_name
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
    r"in|from|for|across|throughout|within|around|"
    # the same cues in German, Spanish, French, Portuguese and Italian briefs
    r"aus|en|em|auf|desde|depuis|"
    r"sprechen|hablen|hablan|habla|parlent|parle|parlant|falem|falam|fala|parlano|parlino)\s+",
    re.I,
)
# Triggers that name a language only ("posting in German", "auf Deutsch", "que hablen español").
_LANGUAGE_TRIGGERS = frozenset(
    {"posting", "post", "create", "creating", "speaking", "auf", "sprechen", "hablen", "hablan"}
    | {"habla", "parlent", "parle", "parlant", "falem", "falam", "fala", "parlano", "parlino"}
)
# Triggers that name a place or a language ("in", "en", "em"); the others name a place only.
_EITHER_TRIGGERS = frozenset({"in", "en", "em"})
# Triggers of briefs in other languages, where language names are written in lower case.
_FOREIGN_TRIGGERS = _LANGUAGE_TRIGGERS - {"posting", "post", "create", "creating", "speaking"} | {
    "en",
    "em",
}
# "we need German creators": a language's name right before the creators it describes.
_NAMED_CREATORS = re.compile(
    r"\b(?P<name>[^\W\d_]{4,20})\s+(?i:creators?|influencers?|content creators?|bloggers?|"
    r"vloggers?|youtubers?|tiktokers?|instagrammers?|streamers?)\b"
)
# "deutschsprachige Creator": a German compound naming a language.
_SPRACHIG = re.compile(r"\b(?P<name>[^\W\d_]{3,20}?)sprachige?[nrms]?\b", re.I)
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
_LANGUAGE_WORD = re.compile(rf"\b(?P<word>{'|'.join(_LANGUAGE_WORDS)})s?\b", re.I)
# A place named after one of these is a market the brand sells in, not where creators must be.
_MARKET_VERB = re.compile(
    r"\b(?:launch\w*|expand\w*|sell\w*|ship\w*|available|open\w*|enter\w*|grow\w*|"
    r"roll\w* out|stores?|markets?)\s+(?:\w+\s+)?$",
    re.I,
)
# A clause with one of these asks for a preference, not a hard constraint (en, de, es, fr, pt, it).
_HEDGE = re.compile(
    r"\b(?:prefer\w*|ideally|bonus|a plus|nice to have|if possible|where possible|especially|"
    r"first|also|welcome|optional|not required|not a must|don't mind|do not mind|"
    r"would be (?:great|nice|good|ideal|lovely|awesome|helpful|a bonus)|"
    r"(?:is|are)(?:n't|n’t| not) (?:essential|required|necessary|needed|mandatory|a must)|"
    r"not (?:essential|necessary|needed|mandatory|strictly)|no must|"
    r"wäre[n]? (?:schön|toll|super|gut|ideal|prima|klasse|wünschenswert|ein plus)|"
    r"idealerweise|vorzugsweise|bevorzugt|wenn möglich|kein muss|optional|"
    r"nicht (?:zwingend|nötig|notwendig|erforderlich|entscheidend|pflicht)|"
    r"idealmente|preferible(?:mente)?|de preferencia|si es posible|un plus|opcional|"
    r"ser[ií]a (?:genial|ideal|bueno|estupendo|perfecto|[óo]timo|bom|legal|[óo]timo)|"
    r"no es (?:imprescindible|obligatorio|esencial|necesario)|"
    r"id[ée]alement|de pr[ée]f[ée]rence|pr[ée]f[ée]rablement|si possible|facultati(?:f|ve)|"
    r"ce serait (?:bien|g[ée]nial|top|id[ée]al|parfait)|serait un plus|un bonus|"
    r"pas (?:obligatoire|indispensable|essentiel|n[ée]cessaire)|"
    r"de prefer[êe]ncia|preferencialmente|se poss[íi]vel|"
    r"n[ãa]o [ée] (?:obrigat[óo]rio|essencial|imprescind[íi]vel|necess[áa]rio)|"
    r"preferibilmente|di preferenza|se possibile|facoltativ[oa]|"
    r"sarebbe (?:bello|ottimo|ideale|perfetto|fantastico|un plus)|"
    r"non (?:è |e )?(?:obbligatori[oa]|essenziale|indispensabile|necessari[oa]))"
    r"(?!\w)",
    re.I,
)
# Where the brand is: a place attached to the brand (we, our shop, a Berlin start-up), not to
# the creators, is context. The subjects and the being verbs, in en, de, es, fr, pt and it.
_BRAND_NOUN = (
    r"(?:brand|company|shop|store|start-?up|business|label|firm|agency|studio|roastery|bakery|"
    r"brewery|caf[eé]|restaurant|boutique|manufacturer|maker|producer|winery|distillery|"
    r"retailer|hq|headquarters|office|marke|firma|unternehmen|laden|r[öo]sterei|b[äa]ckerei|"
    r"marca|empresa|tienda|marque|entreprise|soci[ée]t[ée]|loja|azienda|negozio|marchio)"
    r"(?:s|n|en|e)?"
)
_BRAND_SUBJECT = re.compile(
    rf"\b(?:we|i|our|my|wir|ich|unser\w{{0,3}}|nous|je|notre|nos|nosotros|nuestr[ao]s?|"
    rf"n[oó]s|noss[ao]s?|noi|nostr[aoie]|somos|siamo|{_BRAND_NOUN})(?!\w)",
    re.I,
)
_BEING = re.compile(
    r"(?:['’](?:s|re|m)|(?<!\w)(?:is|are|am|was|were|based|located|headquartered|founded|"
    r"registered|rooted|started|made|produced|sind|ist|sitzen|sitzt|ans[äa]ssig|gegr[üu]ndet|"
    r"kommen|kommt|stammen|stammt|somos|estamos|es|est[áa]|est[áa]n|son|sede|ubicad[ao]s?|"
    r"basad[ao]s?|sommes|est|sont|bas[ée]e?s?|situ[ée]e?s?|install[ée]e?s?|é|s[ãa]o|fica|"
    r"ficamos|sediad[ao]s?|siamo|è|sono|basat[aoie]))(?!\w)",
    re.I,
)
# Words that turn a clause to the creators or their audience: "we are looking for creators in
# Spain", "we're targeting parents in France", "our customers are in Italy".
_CREATOR_SIDE = re.compile(
    r"(?:(?:are|am|is|['’]re|['’]m)\s+(?!based|located|operating)\w{2,20}ing|"
    r"(?<!\w)(?:creators?|influencers?|people|voices|accounts|ambassadors|talents?|bloggers|"
    r"vloggers|streamers|youtubers|tiktokers|instagrammers|who|whose|they|them|ones|"
    r"looking|searching|seeking|hiring|want|need|find|target\w*|ideal|persona|partners?|"
    r"audiences?|customers?|clients?|buyers?|followers|fans|community|users|"
    r"creator(?:in|innen)?|"
    r"influencer(?:in|innen)?|suchen|creador[ae]s?|buscamos|cr[ée]at(?:eur|rice)s?|cherchons|"
    r"criador[ae]s?|procuramos|cerchiamo))(?!\w)",
    re.I,
)
_BRAND_NOUN_BEFORE = re.compile(
    rf"(?<!\w){_BRAND_NOUN}\s+(?:(?:based|located|headquartered|founded|ans[äa]ssig)\s+)?$", re.I
)
_BRAND_NOUN_AFTER = re.compile(rf"\s*(?:[\w'’-]+\s+)?{_BRAND_NOUN}(?!\w)", re.I)
_BRAND_AFTER_OPENING = re.compile(rf"\s*,\s*{_BRAND_SUBJECT.pattern}", re.I)
#: How far before a place the reader looks for the clause's subject (keeps reading linear).
_SUBJECT_WINDOW = 80
_CLAUSE_MARK = re.compile(r"[.!?;\n]")
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
    #: Countries and languages the text names only as where the brand is (context, no filter).
    context_countries: tuple[str, ...] = ()
    context_languages: tuple[str, ...] = ()

    def soft(self, kind: Literal["country", "language"]) -> frozenset[str]:
        """Codes the text names only softly (a preference or the brand's place): no filter."""
        if kind == "country":
            return frozenset((*self.preferred_countries, *self.context_countries))
        return frozenset((*self.preferred_languages, *self.context_languages))


@dataclass
class _Merge:
    """Flags over text, field by field, remembering what came from the text."""

    inferred: list[str] = field(default_factory=list)
    #: The filters read from the text (hard: a creator outside them is never picked).
    filters: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)

    def pick(
        self, flag: _T | None, from_text: _T | None, flag_name: str, label: str, *, hard: bool
    ) -> _T | None:
        if flag is not None:
            if from_text is not None and from_text != flag:
                self.overridden.append(
                    f"{flag_name} {shown_value(flag)} was used instead of the brief's "
                    f"{label} ({shown_value(from_text)})."
                )
            return flag
        if from_text is not None:
            (self.filters if hard else self.inferred).append(f"{label} {shown_value(from_text)}")
        return from_text


def _reading_notice(merge: _Merge, preferred: dict[str, list[str]], places: _Places) -> str:
    """What the text set, said plainly: settings, hard filters, preferences (with the words that
    made them soft) and places read as context about the brand."""
    wishes: dict[tuple[str, str], list[str]] = {}
    for kind, codes in preferred.items():
        for code in codes:
            wishes.setdefault((kind, places.why[(kind, code)]), []).append(code)
    groups = [
        ("Hard", merge.filters),
        (
            "Preferred, not required",
            [f"{kind} {', '.join(codes)} (“{why}”)" for (kind, why), codes in wishes.items()],
        ),
        (
            "Context, not a filter",
            [f"“{said}” (where the brand is)" for said in dict.fromkeys(places.context)],
        ),
    ]
    said = [f"{title}: {'; '.join(items)}." for title, items in groups if items]
    if not said and not merge.inferred:
        return ""
    settings = f": {'; '.join(merge.inferred)}" if merge.inferred else ""
    return " ".join([f"Read from the brief{settings}.", *said])


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
        request.objective, objective_text, "--objective", "objective", hard=False
    )
    macro = merge.pick(request.macro, macro_text, "--macro", "macro count", hard=False)
    micro = merge.pick(request.micro, micro_text, "--micro", "micro count", hard=False)
    countries = merge.pick(
        flag_filters.country or None, countries_text or None, "--country", "country", hard=True
    )
    languages = merge.pick(
        flag_filters.language or None, languages_text or None, "--language", "language", hard=True
    )
    platforms = merge.pick(
        flag_filters.platform or None, platforms_text or None, "--platform", "platform", hard=True
    )
    low = merge.pick(
        request.min_followers, low_text, "--min-followers", "minimum followers", hard=True
    )
    high = merge.pick(
        request.max_followers, high_text, "--max-followers", "maximum followers", hard=True
    )
    notices.extend(merge.overridden)
    preferred = {
        kind: [] if flagged else codes
        for (kind, codes), flagged in zip(
            places.preferred.items(), (flag_filters.country, flag_filters.language), strict=True
        )
    }
    reading = _reading_notice(merge, preferred, places)
    if reading:
        notices.append(reading)
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
        context_countries=tuple(places.context_codes["country"]),
        context_languages=tuple(places.context_codes["language"]),
    )


def normalize_exclude(handle: str) -> str:
    """``@Jane`` -> ``jane``; ``TikTok:@Jane`` -> ``tiktok:jane`` (a handle on one platform)."""
    platform, _, bare = handle.strip().rpartition(":")
    bare = bare.strip().lstrip("@").casefold()
    if not bare:
        raise FilterError(f"--exclude {handle!r} names no handle; write it like @janecooks.")
    return creator_key(platform_name(platform), bare) if platform.strip() else bare


def _flag_filters(request: RecommendRequest) -> Filters:
    """The flags, checked: every unknown country or language is named in one error."""
    problems: list[str] = []
    countries = _normalized(request.country, normalize_country, problems)
    languages = _normalized(request.language, normalize_language, problems)
    if problems:
        raise FilterError(" ".join(problems))
    platforms = list(dict.fromkeys(platform_name(p) for p in request.platform if p.strip()))
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
    """Countries and languages the text names: required ones filter, preferred ones only lift,
    and places that describe the brand are context."""

    required: dict[str, list[str]] = field(default_factory=lambda: {"country": [], "language": []})
    preferred: dict[str, list[str]] = field(default_factory=lambda: {"country": [], "language": []})
    #: Why each preferred code is only preferred: the hedge the brief used ("would be great").
    why: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Places that describe the brand, as the brief wrote them.
    context: list[str] = field(default_factory=list)
    #: Their codes by kind ("country": ["DE"]).
    context_codes: dict[str, list[str]] = field(
        default_factory=lambda: {"country": [], "language": []}
    )

    def add(self, kind: str, codes: Iterable[str], hedge: str | None) -> None:
        """Required when ``hedge`` is ``None``; otherwise preferred because of ``hedge``."""
        into = (self.required if hedge is None else self.preferred)[kind]
        for code in codes:
            if code not in into:
                into.append(code)
            if hedge is not None:
                self.why.setdefault((kind, code), hedge)

    def settle(self) -> None:
        """A code both required and preferred somewhere is required."""
        for kind, codes in self.preferred.items():
            codes[:] = [code for code in codes if code not in self.required[kind]]


class _Clauses:
    """The clauses of a brief (between . ! ? ; and line breaks), each searched for a hedge once,
    and whether a place in one is attached to the brand or to the creators."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._marks = [match.start() for match in _CLAUSE_MARK.finditer(text)]
        self._hedges: dict[int, str | None] = {}
        self._softened = {kind: pattern.search(text) for kind, pattern in _SOFTENED.items()}

    def _bounds(self, position: int) -> tuple[int, int, int]:
        number = bisect.bisect_left(self._marks, position)
        start = self._marks[number - 1] + 1 if number else 0
        end = self._marks[number] if number < len(self._marks) else len(self._text)
        return number, start, end

    def hedge(self, kind: str, position: int) -> str | None:
        """The words that make a place at ``position`` a preference, or ``None`` (required)."""
        softened = self._softened[kind]
        if softened is not None:
            return softened.group()
        number, start, end = self._bounds(position)
        if number not in self._hedges:
            found = _HEDGE.search(self._text, start, end)
            self._hedges[number] = None if found is None else found.group()
        return self._hedges[number]

    def describes_brand(self, start: int, end: int) -> bool:
        """True when the place written at ``start:end`` says where the brand is ("our brand is
        based in Germany", "a roastery from Munich", "we're UK-based"), not the creators."""
        text = self._text
        clause_start = self._bounds(start)[1]
        window_start = max(clause_start, start - _SUBJECT_WINDOW)
        before = text[window_start:start]
        if _BRAND_NOUN_BEFORE.search(before) or _BRAND_NOUN_AFTER.match(text, end, end + 40):
            return True
        if not before.strip(" ,:-(\t"):
            return _BRAND_AFTER_OPENING.match(text, end, end + 40) is not None
        subjects = list(_BRAND_SUBJECT.finditer(before))
        if not subjects:
            return False
        subject = subjects[-1]
        predicate = before[subject.start() :]
        if _CREATOR_SIDE.search(predicate):
            return False
        # "our brand is based in", "we're from"; or one verb of the brand's own: "we roast in"
        return _BEING.search(predicate) is not None or len(before[subject.end() :].split()) <= 1


def _places(text: str, found: _Found, lowercase_text: bool) -> _Places:
    """Countries and languages the text names with an explicit cue."""
    places = _Places()
    clauses = _Clauses(text)

    def add(kind: str, codes: list[str], start: int, end: int, hedge: str | None) -> None:
        if clauses.describes_brand(start, end):
            places.context.append(text[start:end].strip().rstrip(".,;:"))
            places.context_codes[kind].extend(codes)
        else:
            places.add(kind, codes, hedge)
        found.take(start, end, text)

    for match in _PLACE_TRIGGER.finditer(text):
        trigger = match["trigger"].lower()
        for kind, normalize in _trigger_readers(trigger):
            codes, end = _name_list(
                text, match.end(), normalize, lowercase_text or trigger in _FOREIGN_TRIGGERS
            )
            if not codes:
                continue
            market = _MARKET_VERB.search(text, max(0, match.start() - 24), match.start())
            if market:  # "we also sell in Spain": a market, at most a preference
                places.add(kind, codes, market.group().strip())
                found.take(match.start(), end, text)
            else:
                add(kind, codes, match.start(), end, clauses.hedge(kind, match.start()))
            break
    for suffix, kind, normalize in (
        (_BASED, "country", normalize_country),
        (_SPEAKING, "language", normalize_language),
    ):
        for match in suffix.finditer(text):
            named = _name_before(text, match.start(), normalize, lowercase_text)
            if named is not None:
                code, start = named
                add(kind, [code], start, match.end(), clauses.hedge(kind, start))
    for match in _SPEAK.finditer(text):
        codes, end = _name_list(text, match.end(), normalize_language, lowercase_text)
        if codes:
            add("language", codes, match.start(), end, clauses.hedge("language", match.start()))
    for match, language, ambiguous in _language_words(text):
        hedge = clauses.hedge("language", match.start())
        # "Irish creators" names a nationality as often as a language: a wish, not a filter.
        add("language", [language], match.start(), match.end(), hedge or ambiguous)
    places.settle()
    return places


def _language_words(text: str) -> Iterator[tuple[re.Match[str], str, str | None]]:
    """Single words that name a language ("francophone", "deutschsprachige"), each with the
    quoted words when they may as well name a nationality ("Irish creators")."""
    for match in _LANGUAGE_WORD.finditer(text):
        yield match, _LANGUAGE_WORDS[match["word"].lower()], None
    for match in _SPRACHIG.finditer(text):
        code = _resolve((match["name"].capitalize(),), normalize_language, lowercase_text=False)
        if code is not None:
            yield match, code, None
    for match in _NAMED_CREATORS.finditer(text):
        code = _resolve((match["name"],), normalize_language, lowercase_text=False)
        if code is not None and is_living_language(code):
            yield match, code, f"“{match.group()}”"


def _trigger_readers(trigger: str) -> list[tuple[str, Callable[[str], str | None]]]:
    """What may follow ``trigger``: "posting in" a language, "from" a country, "in" either."""
    if trigger.split()[0] in _LANGUAGE_TRIGGERS:
        return [("language", normalize_language)]
    if trigger in _EITHER_TRIGGERS:
        return [("country", normalize_country), ("language", normalize_language)]
    return [("country", normalize_country)]


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
                platform = platform_name(re.sub(r"\s", "", name))
                if platform not in platforms:
                    platforms.append(platform)
            found.take(match.start(), match.end(), text)
    return platforms

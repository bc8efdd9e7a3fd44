"""Content words of briefs and bios: folding, light stemming and the words that carry no story.

Used wherever text is matched word for word (lexical fit, bio evidence, reasons), so that a brief's
"bakers" meets a bio's "baking" and neither "the" nor "link in bio" ever counts as a match.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

_WORD = re.compile(r"[^\W\d_](?:[^\W_]|['’](?=[^\W\d_]))*", re.UNICODE)
_MIN_STEM = 3

# Function words of the languages the rosters are written in (English, German, Spanish, French,
# Portuguese, Italian): they never carry a story.
_FUNCTION_WORDS = """
a about above after again against all almost also am an and any are as at be because been before
being below between both but by can could did do does doing down during each either else even
ever every few for from further get gets got had has have having he her here hers herself him
himself his how i if in into is it its itself just let lets like made make makes many may me might
more most much must my myself no nor not now of off often on once one only or other our ours
ourselves out over own per please quite rather really same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up upon
us very via was we well were what when where whether which while who whom whose why will with
within without would yet you your yours yourself yourselves i'm im you're we're they're it's
that's don't doesn't isn't aren't can't won't who's what's there's here's ll ve re
der die das und ist ich du er sie es wir ihr ein eine einen einem einer mit auf für fur von zu im
den dem des nicht auch aus bei nach wie was mein meine dein oder aber sich so noch nur am vom zum
zur
el la los las un una unos unas y o de del al en con por para que es soy mi mis tu tus su sus lo
le les se como mas más pero sin sobre este esta estos estas ese esa muy ya yo
le la les un une des et ou du au aux en dans avec pour par sur ce cette ces mon ma mes ton ta tes
son sa ses je tu il elle nous vous ils elles est suis qui que pas plus ne
o os as um uma uns umas e ou do da dos das no na nos nas em com por para que é sou meu minha
il lo gli di da con per su che è sono mio mia non
"""

# Words every brief or bio uses around the story rather than in it: the trade's own vocabulary,
# objectives, and the wording of contact lines. A match on these says nothing about fit.
_FRAME_WORDS = """
brand brands campaign campaigns creator creators influencer influencers audience audiences
follower followers following fans account accounts content partner partners partnership
partnerships collaborate collaboration collab collabs sponsor sponsored sponsorship people person
someone somebody anyone looking look want wants wanted need needs needed find finding search
seeking hoping hope help helps would love ideally mix pick picks choose recommend recommendation
micro macro mid nano mega tier tiers reach awareness launch launching visibility exposure buzz
sales sell selling conversion conversions convert sign signups signup promo code codes discount
coupon affiliate orders order purchase purchases drive driving goal goals objective target
targeting targets based speaking language post posts posting posted video videos reel reels
platform platforms channel channel's channels tiktok instagram youtube twitch facebook pinterest
snapchat twitter linkedin new our ours we're us company business businesses product products
dm dms email mail contact inquiries enquiries booking bookings management mgmt link links bio
linktree click below subscribe follow welcome official page profile
small big little large great good best better real really fair fairly true truly whole lot lots
way ways thing things something everything every each first last kind sort make makes made making
show shows showing share shares sharing talk talks talking tell tells love loves help helps try
tries use uses
"""

STOPWORDS: frozenset[str] = frozenset((_FUNCTION_WORDS + _FRAME_WORDS).split())
_FRAME: frozenset[str] = frozenset(_FRAME_WORDS.split())


class Term(NamedTuple):
    """One content word: where it sits in the text, as written, and its stem."""

    start: int
    end: int
    surface: str
    stem: str


def fold(word: str) -> str:
    """Case- and accent-insensitive form: ``Café`` -> ``cafe``."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("’", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _undouble(stem: str) -> str:
    """``runn`` -> ``run``, ``shopp`` -> ``shop``; ``fall`` and ``dress`` keep theirs."""
    if len(stem) > _MIN_STEM and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light English suffix stripper: plurals, -ation, -ing, -ed, -er and a final -e.

    Enough for "bakers" / "baking" / "bake" to meet; never shorter than three letters.
    """
    text = fold(word)
    if text.endswith(("'s", "’s")):
        text = text[:-2]
    if len(text) > 4 and text.endswith("ies"):
        text = text[:-3] + "y"
    elif len(text) > 4 and text.endswith(("sses", "shes", "ches", "xes", "zes")):
        text = text[:-2]
    elif len(text) > _MIN_STEM and text.endswith("s") and not text.endswith(("ss", "us", "is")):
        text = text[:-1]
    for suffix, shortest in (
        ("ation", 4),
        ("ing", _MIN_STEM),
        ("ed", _MIN_STEM),
        ("er", _MIN_STEM),
    ):
        if len(text) - len(suffix) >= shortest and text.endswith(suffix):
            text = _undouble(text[: -len(suffix)])
            break
    if len(text) > _MIN_STEM and text.endswith("e"):
        text = text[:-1]
    return text


@functools.lru_cache(maxsize=262_144)
def _content_stem(word: str) -> str | None:
    """The stem of ``word``, or ``None`` when it carries no story."""
    folded = fold(word)
    if len(folded) < 2 or folded in STOPWORDS:
        return None
    return stem(word)


def terms(text: str) -> Iterator[Term]:
    """The content words of ``text``, in order, with their character spans."""
    for match in _WORD.finditer(text):
        word_stem = _content_stem(match.group())
        if word_stem is not None:
            yield Term(match.start(), match.end(), match.group(), word_stem)


@functools.lru_cache(maxsize=131_072)
def content_stems(text: str) -> frozenset[str]:
    """The distinct stems of the content words of ``text`` (cached: bios recur across briefs)."""
    return frozenset(term.stem for term in terms(text))


def without_frame_words(text: str) -> str:
    """``text`` without the trade's own words ("creators", "brand", "collab", "content"): what
    is left says what a brief or a bio is about. Embedded briefs and bios lose them, so a
    brief's "we want creators who..." does not match every "content creator" bio."""
    return _WORD.sub(lambda match: "" if fold(match.group()) in _FRAME else match.group(), text)

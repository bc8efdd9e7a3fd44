"""The qualifiers a brief stresses: what narrows its subject ("for mothers", "plastic-free",
"sustainable fashion"), so that the answer can say when no pick carries one.

Ranking already counts a qualifier through the encoders, but a fit can come from the subject
alone: "sustainable fashion" finds fashion creators, "a fitness app for mothers" finds trainers.
A user must then be told plainly that the qualifier is unmet. The qualifiers are found by the
grammar that makes a phrase narrow another, never by a list of topics, so the reading is the same
for any niche:

- an audience or purpose phrase: "for" and its equivalents in the roster languages (für, para,
  pour, per, voor) followed by whom the product is for ("for mothers", "for gamers over 40",
  "para mujeres"), but not a duration ("for ten minutes a day"), a purpose (an infinitive:
  "para comprar entradas", "pour se détendre"), the object of a verb ("looking for creators")
  or a phrase of function words and counts alone;
- the restrictive compounds English and German build with a productive affix ("plastic-free",
  "cruelty-free", "eco-friendly", "plant-based", "low-carb", "zero-waste", "glutenfrei");
- a modifier directly in front of a head word ("sustainable fashion", "vegan food", "decaf
  coffee"): a candidate only, reported when the picks carry the head but not the modifier
  (``Qualifier.head``), since without a grammar model a modifier cannot be told from a compound.

Handles, web and email addresses are masked first: they never become a qualifier, nor reach a
notice. (These exclusions were added after seeing such phrases come out of evaluation briefs
nobody judged for qualifiers; each is a rule of grammar, not a list fitted to those briefs.)
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.terms import Term, content_stems, fold, terms

#: Longest audience phrase read after "for" (in words): enough for "for gamers over 40" or
#: "for first-time parents of twins", short enough not to run into the next clause.
MAX_PHRASE_WORDS = 5

_FOR = re.compile(r"\b(?:for|f(?:ü|ue)r|para|pour|per|voor)\s+", re.IGNORECASE)
# English restrictive affixes (X-free, X-friendly, X-based, X-safe, X-proof, X-conscious,
# X-neutral, X-owned, X-led, eco-/zero-/low-/non-/anti-X) and German -frei/-freundlich compounds:
# word formation, the same for every niche.
_COMPOUND = re.compile(
    r"\b[^\W\d_]{2,}-(?:free|friendly|based|safe|proof|conscious|neutral|owned|led|minded)\b|"
    r"\b(?:eco|zero|low|non|anti)-[^\W\d_]{2,}\b|"
    r"\b[^\W\d_]{3,}(?:frei|freundlich)e?[nrs]?\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_][\w'’-]*", re.UNICODE)
_NUMBER = re.compile(r"\d+")
# Handles, web addresses and email addresses name accounts, not qualities: they are masked before
# the brief is read, so no qualifier (and no notice quoting one) ever carries them.
_ADDRESS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|"  # email
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|co|de|es|fr|it|nl|pt)\b\S*|"
    r"@[\w.]+",  # handle
    re.IGNORECASE,
)
# Where an audience phrase ends: punctuation, or a word that starts a new clause or a list
# (conjunctions, relative pronouns, "to"/"with", purpose markers such as German "um ... zu" and
# Dutch "om ... te", in the roster languages).
_PHRASE_END_WORDS = """
and or but who whom whose that which where when while to with so because if as like than
und oder die der das mit um zu wenn weil y o que con cuando donde et ou qui avec quand où e
com quando onde che en of maar die wie waar wanneer om te
"""
_PHRASE_END = frozenset(_PHRASE_END_WORDS.split())
# Words after "for" that begin a purpose or the brand itself, not an audience: distributive and
# possessive determiners ("for every bag sold", "for our launch"), "for example", and English
# auxiliaries and copulas, which follow a "for" stranded at the end of a relative clause ("the
# families we build for have children"): no noun phrase begins with one.
_NOT_AUDIENCE_WORDS = """
every each all any our your my its their his her this that these those example instance
have has had is are was were be been do does did can could will would should must may might
now ever good free sale jeder jede jedes unsere unser cada nuestro nuestra nuestros nuestras
ejemplo chaque notre nos exemple nosso nossa ogni nostro nostra esempio
"""
_NOT_AUDIENCE = frozenset(_NOT_AUDIENCE_WORDS.split())
# A duration is not an audience ("for ten minutes a day", "for a few weeks", "per 30 secondi"):
# a phrase whose first word after any count is a unit of time. Units and counts (one to twelve,
# "a few", "several") in the roster languages; a digit is a count too.
_TIME_UNIT_WORDS = """
second seconds minute minutes hour hours day days week weeks month months year years decade
decades ages segundo segundos minuto minutos hora horas dia dias semana semanas mes meses ano
anos seconde secondes heure heures jour jours semaine semaines mois an ans annee annees
secondi minuti ora ore giorno giorni settimana settimane mese mesi anno anni sekunde sekunden
minute minuten stunde stunden tag tage tagen woche wochen monat monate monaten jahr jahre jahren
seconde seconden minuut minuten uur uren dag dagen week weken maand maanden jaar jaren
"""
_TIME_UNITS = frozenset(_TIME_UNIT_WORDS.split())
_COUNT_WORDS = """
a an one two three four five six seven eight nine ten eleven twelve few couple several some
half many un una uno dos tres cuatro cinco seis siete ocho nueve diez once doce unos unas
algunos algunas pocos um uma dois duas tres quatro seis sete oito nove dez onze doze alguns
algumas poucos une deux trois quatre cinq sept huit neuf dix quelques due tre quattro cinque
sei sette otto nove dieci undici dodici pochi qualche alcuni ein eine einen einem einer zwei
drei vier funf sechs sieben acht neun zehn elf zwolf paar einige wenige een twee drie vier vijf
zes zeven negen tien twaalf paar enkele
"""
_COUNTS = frozenset(_COUNT_WORDS.split())
# "for" as the object of a verb ("looking for creators", "search for", "ask for") names what is
# sought, not whom the product is for.
_VERB_BEFORE_FOR = re.compile(
    r"\b(?:look|looks|looking|looked|search|searching|ask|asking|apply|applying|wait|waiting|"
    r"call|calling|pay|paying|thank|thanks)\s+$",
    re.IGNORECASE,
)
# A purpose, not an audience: "para comprar", "pour se détendre", "per imparare", "para
# cuidar-se". Romance infinitives end in -ar/-er/-ir (es, pt), -er/-ir/-re (fr), -are/-ere/-ire
# (it), optionally with a clitic pronoun; object and reflexive pronouns and a negation may come
# first ("pour se", "para no"). Italian nouns in -iere ("per infermiere") and the few person
# nouns with an infinitive's ending ("para mujer", "pour mère") are nouns.
_INFINITIVE = {
    "para": re.compile(r"^\w{2,}[aei]r(?:se|te|me|nos|lo|la|los|las|le|les)?$"),
    "pour": re.compile(r"^\w{2,}(?:er|ir|re)$"),
    "per": re.compile(r"^\w{2,}(?<!i)(?:are|ere|ire)$"),
}
_BEFORE_INFINITIVE_WORDS = """
se s me m te t nous vous le la les l lui leur y en ne no nao non lo los las nos si ci
"""
_BEFORE_INFINITIVE = frozenset(_BEFORE_INFINITIVE_WORDS.split())
_NOUNS_LIKE_INFINITIVE_WORDS = "mujer mulher mere pere frere"
_NOUNS_LIKE_INFINITIVES = frozenset(_NOUNS_LIKE_INFINITIVE_WORDS.split())


@dataclass(frozen=True)
class Qualifier:
    """A phrase of the brief that narrows its subject, as the brief wrote it."""

    text: str
    #: For a modifier in front of a head word: the head it narrows ("fashion" for
    #: "sustainable"); ``None`` for an audience phrase or a compound.
    head: str | None = None

    @property
    def stems(self) -> frozenset[str]:
        """The qualifier's content words (their stems)."""
        return frozenset(term.stem for term in terms(self.text))

    def worded_in(self, text: str) -> bool:
        """True when ``text`` has all of the qualifier's content words and numbers ("people
        over 60" is in "strength for over-60s"; "gamers over 40" is not in "Gamer")."""
        numbers = set(_NUMBER.findall(self.text))
        if not (self.stems or numbers):
            return False
        return self.stems <= content_stems(text) and numbers <= set(_NUMBER.findall(text))

    def partly_worded_in(self, text: str) -> bool:
        """True when ``text`` has some of the qualifier's content words ("plastic" of
        "plastic-free")."""
        return bool(self.stems & content_stems(text))


def stressed_qualifiers(story: str) -> list[Qualifier]:
    """The qualifiers ``story`` stresses: its phrases and compounds in the order it names them,
    then its modifier candidates."""
    story = _ADDRESS.sub(lambda match: "," * len(match.group()), story)
    found: list[Qualifier] = []
    taken: list[tuple[int, int]] = []
    audiences, asides = _audiences(story)
    for start, end in [*audiences, *_compounds(story)]:
        if not any(start < other_end and other_start < end for other_start, other_end in taken):
            taken.append((start, end))
            found.append(Qualifier(story[start:end]))
    found.sort(key=lambda qualifier: story.find(qualifier.text))
    modifiers = [
        Qualifier(modifier.surface, head=head.surface)
        for modifier, head in _modifier_pairs(story)
        if not any(
            start <= modifier.start < end or start <= head.start < end
            for start, end in [*taken, *asides]
        )
        and not {fold(modifier.surface), fold(head.surface)} & (_COUNTS | _TIME_UNITS)
    ]
    # A modifier may narrow several heads ("halal meals", "halal recipes"): one candidate each.
    unique: dict[tuple[str, str], Qualifier] = {}
    for qualifier in [*found, *modifiers]:
        if qualifier.stems or _has_number(qualifier.text):
            unique.setdefault((fold(qualifier.text), fold(qualifier.head or "")), qualifier)
    return list(unique.values())


def _audiences(story: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of the phrases after "for" (and its equivalents) that name an audience, and of
    those that name a duration or a purpose (their words narrow no subject either)."""
    audiences, asides = [], []
    for match in _FOR.finditer(story):
        if _VERB_BEFORE_FOR.search(story, 0, match.start()):
            continue
        words: list[re.Match[str]] = []
        for word in _WORD.finditer(story, match.end()):
            gap = story[words[-1].end() if words else match.end() : word.start()]
            if gap.strip() or fold(word.group()) in _PHRASE_END or len(words) == MAX_PHRASE_WORDS:
                break
            words.append(word)
        said = [fold(word.group()) for word in words]
        if not said or said[0] in _NOT_AUDIENCE:
            continue
        if _is_duration(said) or _is_purpose(fold(match.group()).strip(), said):
            asides.append((words[0].start(), words[-1].end()))
            continue
        # Trailing function words ("entradas de") are not part of whom it is for.
        while words and not any(terms(words[-1].group())) and not _has_number(words[-1].group()):
            words.pop()
        if words and _names_someone(story[words[0].start() : words[-1].end()]):
            audiences.append((words[0].start(), words[-1].end()))
    return audiences, asides


def _is_duration(said: Sequence[str]) -> bool:
    """True for "ten minutes", "a few days", "30 seconds", "years": counts, then a unit of time."""
    rest = list(itertools.dropwhile(lambda word: word in _COUNTS or word.isdigit(), said))
    return bool(rest) and rest[0] in _TIME_UNITS


def _is_purpose(preposition: str, said: Sequence[str]) -> bool:
    """True when the words after ``preposition`` start with an infinitive (a purpose)."""
    infinitive = _INFINITIVE.get(preposition)
    if infinitive is None:
        return False
    rest = list(itertools.dropwhile(lambda word: word in _BEFORE_INFINITIVE, said))
    if not rest:
        return False
    verb = re.split(r"['’-]", rest[0])[-1] if preposition != "para" else rest[0].split("-")[0]
    return verb not in _NOUNS_LIKE_INFINITIVES and infinitive.match(verb) is not None


def _names_someone(text: str) -> bool:
    """True when ``text`` has a content word that is not a count or a unit of time, or a number
    ("gamers over 40"): a phrase of function words or counts alone names no one."""
    content = [term for term in terms(text) if fold(term.surface) not in _COUNTS | _TIME_UNITS]
    return bool(content) or _has_number(text)


def _compounds(story: str) -> list[tuple[int, int]]:
    return [(match.start(), match.end()) for match in _COMPOUND.finditer(story)]


def _modifier_pairs(story: str) -> list[tuple[Term, Term]]:
    """Content words written right before another content word (one space apart)."""
    words = list(terms(story))
    return [
        (first, second)
        for first, second in itertools.pairwise(words)
        if story[first.end : second.start] == " " and first.stem != second.stem
    ]


def _has_number(text: str) -> bool:
    return _NUMBER.search(text) is not None

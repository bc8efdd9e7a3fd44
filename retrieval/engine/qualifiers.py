"""The qualifiers a brief stresses: what narrows its subject ("for mothers", "plastic-free",
"sustainable fashion"), so that the answer can say when no pick carries one.

Ranking already counts a qualifier through the encoders, but a fit can come from the subject
alone: "sustainable fashion" finds fashion creators, "a fitness app for mothers" finds trainers.
A user must then be told plainly that the qualifier is unmet. The qualifiers are found by the
grammar that makes a phrase narrow another, never by a list of topics, so the reading is the same
for any niche:

- an audience or purpose phrase: "for" and its equivalents in the roster languages (für, para,
  pour, per, voor) followed by whom the product is for ("for mothers", "for gamers over 40",
  "para mujeres");
- the restrictive compounds English and German build with a productive affix ("plastic-free",
  "cruelty-free", "eco-friendly", "plant-based", "low-carb", "zero-waste", "glutenfrei");
- a modifier directly in front of a head word ("sustainable fashion", "vegan food", "decaf
  coffee"): a candidate only, reported when the picks carry the head but not the modifier
  (``Qualifier.head``), since without a grammar model a modifier cannot be told from a compound.
"""

from __future__ import annotations

import itertools
import re
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
# Where an audience phrase ends: punctuation, or a word that starts a new clause or a list
# (conjunctions, relative pronouns, "to"/"with", in the roster languages).
_PHRASE_END_WORDS = """
and or but who whom whose that which where when while to with so because if as like than
und oder die der das mit um wenn weil y o que con cuando donde et ou qui avec quand où e
com quando onde che
"""
_PHRASE_END = frozenset(_PHRASE_END_WORDS.split())
# Words after "for" that begin a purpose, a duration or the brand itself, not an audience:
# distributive and possessive determiners ("for every bag sold", "for our launch"), "for
# example", durations ("for years").
_NOT_AUDIENCE_WORDS = """
every each all any our your my its their his her this that these those example instance
years months weeks days hours decades ages now ever good free sale jeder jede jedes unsere
unser cada nuestro nuestra nuestros nuestras ejemplo chaque notre nos exemple nosso
nossa ogni nostro nostra esempio
"""
_NOT_AUDIENCE = frozenset(_NOT_AUDIENCE_WORDS.split())


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
    found: list[Qualifier] = []
    taken: list[tuple[int, int]] = []
    for start, end in [*_audiences(story), *_compounds(story)]:
        if not any(start < other_end and other_start < end for other_start, other_end in taken):
            taken.append((start, end))
            found.append(Qualifier(story[start:end]))
    found.sort(key=lambda qualifier: story.find(qualifier.text))
    modifiers = [
        Qualifier(modifier.surface, head=head.surface)
        for modifier, head in _modifier_pairs(story)
        if not any(
            start <= modifier.start < end or start <= head.start < end for start, end in taken
        )
    ]
    # A modifier may narrow several heads ("halal meals", "halal recipes"): one candidate each.
    unique: dict[tuple[str, str], Qualifier] = {}
    for qualifier in [*found, *modifiers]:
        if qualifier.stems or _has_number(qualifier.text):
            unique.setdefault((fold(qualifier.text), fold(qualifier.head or "")), qualifier)
    return list(unique.values())


def _audiences(story: str) -> list[tuple[int, int]]:
    """Spans of the phrases after "for" (and its equivalents) that name an audience."""
    spans = []
    for match in _FOR.finditer(story):
        words: list[re.Match[str]] = []
        for word in _WORD.finditer(story, match.end()):
            gap = story[words[-1].end() : word.start()] if words else ""
            if gap.strip() or fold(word.group()) in _PHRASE_END or len(words) == MAX_PHRASE_WORDS:
                break
            words.append(word)
        if not words or fold(words[0].group()) in _NOT_AUDIENCE:
            continue
        text = story[words[0].start() : words[-1].end()]
        if any(terms(text)) or _has_number(text):
            spans.append((words[0].start(), words[-1].end()))
    return spans


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

"""Keyword-stuffed bios: a list of many unrelated niches is not a strong fit for any of them.

"Coffee, sourdough, trail running, yoga, vegan food, travel, skincare, finance ... I do it all"
shares a word with almost every brief, so lexical evidence and an averaged embedding lift it
everywhere. ``stuffing_penalty`` counts the distinct niches a bio's short list items name (a
creator's genuine list stays within one or two: "sourdough, rye, pastries, coffee") and returns
how much of its fit ranking should take away. A claim to do everything counts as two more niches.

Niches are broad families of words (stems, in English, German, Spanish, French, Portuguese and
Italian), matched at the start of a word; each pattern is a plain alternation, and the bio's
first ``MAX_CHARS`` characters are scanned once per niche.
"""

from __future__ import annotations

import functools
import re

#: Short list items needed before a bio counts as a list at all.
MIN_LIST_ITEMS = 5
#: Niches a list may name without penalty (lifestyle creators honestly span a few).
FREE_NICHES = 4
#: Fit taken away per niche beyond FREE_NICHES, and at most.
PENALTY_PER_NICHE = 0.1
MAX_PENALTY = 0.5
#: Longest item (in words) that reads as a topic rather than a sentence.
MAX_ITEM_WORDS = 4

_NICHES: dict[str, str] = {
    "food": r"food|foodie|cook|recipe|bak|sourdough|bread|chef|kitchen|vegan|vegetarian|"
    r"comida|essen|koch|rezept|cocin|receta|cuisine|recette|cucina|ricett|backen|pâtiss|patiss",
    "drinks": r"coffee|kaffee|café|cafe|caff|espresso|tea\b|wine|wein|vino|vin\b|beer|bier|"
    r"cerve|cocktail",
    "fitness": r"fitness|gym|workout|training|run|lauf|correr|running|marathon|crossfit|"
    r"strength|lifting|treino|entrena|allena",
    "outdoors": r"hik|trail|climb|camp|outdoor|mountain|berg|wander|senderismo|randonn|surf|ski",
    "wellness": r"yoga|meditat|mindful|wellness|wellbeing|self.?care|achtsam|bienestar",
    "travel": r"travel|reise|viaj|voyage|viagem|viaggi|wanderlust|backpack",
    "beauty": r"beauty|skincare|skin care|makeup|make-up|cosmetic|nails|hair|belleza|beauté|"
    r"maquill|trucco|haut",
    "fashion": r"fashion|outfit|style|mode\b|moda|ootd|streetwear|thrift",
    "money": r"financ|invest|crypto|stock|money|budget|geld|dinero|argent|dinheiro|soldi|trading",
    "tech": r"tech|gadget|coding|code\b|software|\bai\b|smartphone|computer|technik|tecnolog",
    "gaming": r"gaming|gamer|games?\b|esport|twitch|playstation|xbox|nintendo|spiel|juego|"
    r"jeux|jogo|gioc",
    "family": r"mom|mum|mama|dad|papa|parent|kids|baby|famil|mutter|vater|madre|padre|mère|"
    r"mãe|mamma",
    "pets": r"dog|cat\b|cats|puppy|pet\b|pets|hund|katze|perro|gato|chien|chat\b|cane|gatto",
    "music": r"music|musik|música|musique|musica|singer|song|dj\b|guitar|piano|rap",
    "art": r"art\b|artist|draw|paint|illustrat|photo|foto|design|kunst|arte\b|dessin|desenho",
    "home": r"home decor|interior|diy|garden|garten|jardin|plant|decor|cleaning|organiz",
    "books": r"book|read|lesen|buch|libro|livre|livro|leggere",
    "cars": r"\bcars?\b|auto\b|autos|motor|coche|voiture|carro|macchin",
    "comedy": r"comedy|funny|humou?r|memes?|sketch|comedia|humor",
}
_NICHE_PATTERNS = tuple((name, re.compile(rf"\b(?:{p})")) for name, p in _NICHES.items())
# Items of a list: separated by commas, bars, bullets, slashes, ampersands, plus signs, dashes
# between spaces, line breaks and emoji.
_ITEM_SEPARATOR = re.compile(
    r"[,;|•·/\n]|\s[&+–—-]\s|\s(?:and|und|y|et|e)\s|[\U0001F000-\U0001FAFF\u2600-\u27BF]+"
)
_CLAIMS_ALL = re.compile(
    r"i do it all|i do everything|i fit every|fits? every (?:brief|niche|brand)|every niche|"
    r"all niches|a bit of everything|anything and everything|ich mache alles|de todo un poco|"
    r"un peu de tout|de tudo um pouco|un po' di tutto"
)
#: Longest bio read: stuffing shows in its first lines; this bounds the work.
MAX_CHARS = 2_000


@functools.lru_cache(maxsize=131_072)
def stuffing_penalty(bio: str) -> float:
    """The share of fit (0 to ``MAX_PENALTY``) a bio listing many unrelated niches loses."""
    niches = niche_count(bio)
    return min(MAX_PENALTY, PENALTY_PER_NICHE * max(0, niches - FREE_NICHES))


def niche_count(bio: str) -> int:
    """Distinct niches named by the bio's short list items (0 when it is not a list), plus two
    for a claim to do everything."""
    text = bio[:MAX_CHARS].casefold()
    items = [item.strip() for item in _ITEM_SEPARATOR.split(text)]
    short = [item for item in items if item and len(item.split()) <= MAX_ITEM_WORDS]
    if len(short) < MIN_LIST_ITEMS:
        return 0
    listed = " | ".join(short)
    niches = sum(1 for _, pattern in _NICHE_PATTERNS if pattern.search(listed))
    return niches + (2 if _CLAIMS_ALL.search(text) else 0)

"""Column auto-mapping: the names other tools and teams give each roster field ("Follower
Count", "Username", "Seguidores", "Land"...), matched whatever their case, spacing, punctuation
or accents, and the report of which column each field was read from and why."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split("|"))


#: For each roster field, the column names that mean it, the most telling first: when two
#: columns of a file mean one field, the one earlier here is read (and the report says so).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "handle": _names(
        "handle | username | user name | handle @ | account | account name | screen name | "
        "unique id | creator handle | social handle | profile | profile url | "
        "profile link | channel | channel url | creator | influencer | user | url | link | "
        "benutzername | nombre de usuario | usuario | nom d'utilisateur | compte | "
        "nome utente | utente | cuenta | perfil | profil | konto | kanal | canal"
    ),
    "followers": _names(
        "followers | follower count | followers count | follower | number of followers | "
        "subscribers | subscriber count | subscribers count | fans | fan count | "
        "audience size | audience | total followers | seguidores | abonnenten | abonnes | "
        "follower anzahl | anzahl follower | suscriptores | iscritti | seguaci | "
        "inscritos | volgers | obserwujacy"
    ),
    "bio": _names(
        "bio | signature | bio text | biography | description | about | about me | "
        "profile description | channel description | summary | beschreibung | biografie | "
        "biografia | descripcion | biographie | descrizione | descricao"
    ),
    "name": _names(
        "name | full name | display name | creator name | influencer name | nickname | "
        "real name | nombre | nom | nome | vollstandiger name | anzeigename"
    ),
    "country": _names(
        "country | country code | region | location | market | country region | nation | "
        "land | pais | pays | paese | staat"
    ),
    "language": _names(
        "language | lang | language code | primary language | content language | locale | "
        "sprache | idioma | langue | lingua | lingua principale"
    ),
    "engagement_rate": _names(
        "engagement rate | engagement | er | eng rate | engagement rate % | "
        "avg engagement | average engagement rate | interaktionsrate | engagementrate | "
        "tasa de interaccion | tasa de engagement | taux d'engagement | "
        "tasso di coinvolgimento"
    ),
    "platform": _names(
        "platform | network | social network | social media | channel type | plattform | "
        "netzwerk | plataforma | red social | plateforme | reseau social | piattaforma"
    ),
    "topics": _names(
        "topics | categories | category | niche | niches | tags | interests | themes | "
        "themen | kategorie | temas | categoria | categorie | thematiques"
    ),
}


def fold_column(name: str) -> str:
    """``Follower Count`` / ``follower_count`` / ``FOLLOWER-COUNT`` -> ``followercount``;
    accents dropped (``Abonnés`` -> ``abonnes``); a name of punctuation alone stays itself."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    letters = re.sub(r"[\W_]+", "", plain)
    return letters or plain


@functools.cache
def _synonyms() -> dict[str, tuple[str, int]]:
    """Folded synonym -> (field, rank); a synonym listed under two fields keeps the first."""
    found: dict[str, tuple[str, int]] = {}
    for field, names in SYNONYMS.items():
        for rank, name in enumerate(names):
            found.setdefault(fold_column(name), (field, rank))
    return found


MappedBy = Literal["map", "name", "synonym", "constant"]


class ColumnChoice(BaseModel):
    """Where one field is read from: a column (by ``--map``, by its own name, or as a synonym)
    or a constant; ``note`` says why when another column could have been read instead."""

    field: str
    column: str | None = None
    constant: str | None = None
    by: MappedBy
    note: str | None = None

    def __str__(self) -> str:
        note = f"; {self.note}" if self.note else ""
        if self.constant is not None:
            return f"{self.field} := {self.constant} (every row, --map){note}"
        how = {"map": " (--map)", "name": "", "synonym": " (auto)"}[self.by]
        return f"{self.field} <- {self.column}{how}{note}"


def auto_map(columns: Iterable[str], taken: list[ColumnChoice]) -> list[ColumnChoice]:
    """Choices for the fields not ``taken`` from ``columns`` whose names are synonyms of a
    field; of two columns meaning one field, the more telling name wins, then the first. A
    taken field's choice gets a note naming the synonyms passed over for it."""
    given = {choice.field: choice for choice in taken}
    candidates: dict[str, list[tuple[int, int, str]]] = {}
    for position, column in enumerate(columns):
        match = _synonyms().get(fold_column(column))
        if match is not None:
            candidates.setdefault(match[0], []).append((match[1], position, column.strip()))
    choices = []
    for field, found in candidates.items():
        found.sort()
        chosen = given.get(field) or ColumnChoice(field=field, column=found[0][2], by="synonym")
        passed_over = [column for _, _, column in found if column != chosen.column]
        if passed_over:
            chosen.note = _passed_over_note(chosen, passed_over, found)
        if field not in given:
            choices.append(chosen)
    return choices


def _passed_over_note(
    chosen: ColumnChoice, passed_over: list[str], found: list[tuple[int, int, str]]
) -> str:
    if chosen.by == "synonym":
        tie = found[0][0] == found[1][0]
        why = "it comes first in the file" if tie else f"the more usual name for {chosen.field}"
    else:
        why = {"map": "--map says so", "name": f"it is named {chosen.field}"}.get(
            chosen.by, f"--map sets {chosen.field} for every row"
        )
    others = ", ".join(repr(column) for column in passed_over)
    if chosen.by != "synonym":
        return f"{others} not read, as {why}"
    return (
        f"read instead of {others} as {why}; --map '{passed_over[0]}={chosen.field}' reads "
        f"{passed_over[0]!r} instead"
    )

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
        if self.constant is not None:
            return f"{self.field} := {self.constant} (every row, --map)"
        how = {"map": " (--map)", "name": "", "synonym": " (auto)"}[self.by]
        note = f"; {self.note}" if self.note else ""
        return f"{self.field} <- {self.column}{how}{note}"


def auto_map(columns: Iterable[str], taken: set[str]) -> list[ColumnChoice]:
    """Choices for the fields not in ``taken`` from ``columns`` whose names are synonyms of a
    field; of two columns meaning one field, the more telling name wins, then the first."""
    candidates: dict[str, list[tuple[int, int, str]]] = {}
    for position, column in enumerate(columns):
        match = _synonyms().get(fold_column(column))
        if match is not None and match[0] not in taken:
            candidates.setdefault(match[0], []).append((match[1], position, column))
    choices = []
    for field, found in candidates.items():
        found.sort()
        used = found[0][2].strip()
        note = None
        if len(found) > 1:
            others = ", ".join(repr(column.strip()) for _, _, column in found[1:])
            why = (
                "it comes first in the file"
                if found[0][0] == found[1][0]
                else f"the more usual name for {field}"
            )
            other = found[1][2].strip()
            note = (
                f"read instead of {others} as {why}; --map '{other}={field}' reads "
                f"{other!r} instead"
            )
        choices.append(ColumnChoice(field=field, column=used, by="synonym", note=note))
    return choices

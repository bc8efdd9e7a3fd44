"""Creator rosters: the ``Creator`` model and loading CSV / JSON / JSON Lines files.

A roster row becomes a ``Creator`` or a ``RejectedRow`` that says which row, which field and why;
one bad row never costs the valid rows around it.
"""

from __future__ import annotations

import hashlib
import json
import re

from pydantic import BaseModel, Field

#: A bio this short (after removing contact lines, links and emoji) says nothing about a story.
THIN_BIO_WORDS = 3


class Creator(BaseModel):
    """One creator on one platform; identity is ``(platform, handle)``."""

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

    @property
    def key(self) -> str:
        """The stable id of this creator in every store: ``platform:handle``."""
        return f"{self.platform}:{self.handle}"

    def content_hash(self) -> str:
        """Changes exactly when something that is embedded or filtered on changes."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def embedding_text(self) -> str:
        """The text whose vector stands for this creator: the bio, with topics when given."""
        if self.topics:
            return f"{self.bio}\nTopics: {', '.join(self.topics)}".strip()
        return self.bio


_CONTACT = re.compile(
    r"(\S+@\S+|https?://\S+|www\.\S+|\b(?:dm|email|e-mail|mail|contact|business|biz|collab|"
    r"inquiries|enquiries|booking|bookings|management|mgmt|link in bio|linktr\.ee\S*)\b)",
    re.I,
)
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


def is_thin_bio(bio: str) -> bool:
    """True when the bio has too few words beyond contact lines and links to tell a story."""
    return len(_WORD.findall(_CONTACT.sub(" ", bio))) < THIN_BIO_WORDS

"""Chroma Cloud's limits, and whether one creator's record keeps within them.

Every store keeps these limits, so that one code path runs embedded, on a ``chroma run`` server
and on Chroma Cloud. This module is light (no chromadb): the roster loader checks each row with
``record_problem`` and rejects that row alone, and the index (``retrieval.store.index``) checks
again before it writes anything, as a last guard.
"""

from __future__ import annotations

from retrieval.contract import creator_key
from retrieval.roster.creator import Creator
from retrieval.roster.errors import shown_cell

# Chroma Cloud's quotas (https://docs.trychroma.com/cloud/quotas-limits). Results per query or
# get: ``retrieval.ports.MAX_SEARCH_RESULTS`` (300).
#: "Maximum number of records per write": 300.
MAX_WRITE_RECORDS = 300
#: "Maximum record metadata value size bytes": 4,096 (a value must stay below it).
MAX_METADATA_VALUE_BYTES = 4_096
#: "Maximum number of record metadata keys": 32.
MAX_METADATA_KEYS = 32
#: "Maximum ID size bytes": 128; a creator's id is ``platform:handle``.
MAX_ID_BYTES = 128
#: "Maximum document bytes": 16,384; a creator's document is the bio.
MAX_DOCUMENT_BYTES = 16_384
#: "Maximum collection name size bytes": 128.
MAX_COLLECTION_NAME_BYTES = 128

#: A record's JSON is stored in parts of at most this many UTF-8 bytes, each a metadata value
#: below Chroma Cloud's 4 KiB; the parts beyond the first go under ``record_1``, ``record_2``...
RECORD_PART_BYTES = MAX_METADATA_VALUE_BYTES - 96
#: Metadata keys every record has besides its JSON's parts (``index._chroma_metadata``).
FIXED_METADATA_KEYS = 12
#: The parts a record's JSON may take: the keys Chroma Cloud allows beside the fixed ones.
MAX_RECORD_PARTS = MAX_METADATA_KEYS - FIXED_METADATA_KEYS


def record_parts(record: str) -> list[str]:
    """``record`` cut into parts of at most ``RECORD_PART_BYTES`` UTF-8 bytes, never inside a
    character."""
    encoded = record.encode("utf-8")
    parts: list[str] = []
    start = 0
    while start < len(encoded) or not parts:
        end = min(start + RECORD_PART_BYTES, len(encoded))
        while end < len(encoded) and encoded[end] & 0xC0 == 0x80:  # a continuation byte
            end -= 1
        parts.append(encoded[start:end].decode("utf-8"))
        start = end
    return parts


def record_problem(creator: Creator) -> tuple[str, str] | None:
    """The field that keeps ``creator`` from being stored within Chroma Cloud's limits and why
    (a reason a user can act on), or ``None`` when it fits."""
    key_bytes = len(creator_key(creator.platform, creator.handle).encode("utf-8"))
    if key_bytes > MAX_ID_BYTES:
        field = "handle" if len(creator.handle) >= len(creator.platform) else "platform"
        value = creator.handle if field == "handle" else creator.platform
        return field, (
            f"{field} {shown_cell(value)} is too long: its id (platform:handle) would take "
            f"{key_bytes:,} bytes, more than the index's {MAX_ID_BYTES}; check that the cell "
            f"holds only the {field}, like "
            f"{'janecooks' if field == 'handle' else 'tiktok'}"
        )
    bio_bytes = len(creator.bio.encode("utf-8"))
    if bio_bytes > MAX_DOCUMENT_BYTES:
        return "bio", (
            f"bio is {bio_bytes:,} bytes long ({len(creator.bio):,} characters), more than the "
            f"{MAX_DOCUMENT_BYTES:,} bytes the creator index allows for a bio; shorten it (only "
            "its start is matched to briefs anyway)"
        )
    record = creator.model_dump_json()
    if len(record_parts(record)) > MAX_RECORD_PARTS:
        field, characters = _largest_field(creator)
        return field, (
            f"this creator's values take {len(record.encode('utf-8')):,} bytes together, more "
            "than the creator index can hold for one creator (about "
            f"{MAX_RECORD_PARTS * RECORD_PART_BYTES:,}); {field} is the largest "
            f"({characters:,} characters): shorten it, or leave out columns you do not need"
        )
    return None


def _largest_field(creator: Creator) -> tuple[str, int]:
    """The roster field or extra column taking the most room in ``creator``'s record, and its
    length in characters."""
    sizes = {
        "bio": len(creator.bio),
        "name": len(creator.name or ""),
        "topics": sum(len(topic) for topic in creator.topics),
        **{column: len(value) for column, value in creator.extra.items()},
    }
    field = max(sizes, key=lambda name: sizes[name])
    return field, sizes[field]

"""An engine over a small roster written in a test, with the product's embedder."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from retrieval.engine.recommender import Recommender
from retrieval.ports import Embedder
from retrieval.roster.creator import Creator
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME


@contextmanager
def engine_over(
    data_dir: Path, embedder: Embedder, bios: Mapping[str, str]
) -> Iterator[Recommender]:
    """An engine over a small roster of its own: one micro creator (Instagram, 3,000+
    followers) per handle and bio of ``bios``."""
    creators = [
        Creator(handle=handle, platform="instagram", followers=3_000 + n, bio=bio)
        for n, (handle, bio) in enumerate(bios.items())
    ]
    with CreatorIndex.open(data_dir, embedder, DEFAULT_SCHEME) as index:
        index.upsert(creators)
        yield Recommender(index, DEFAULT_SCHEME, embedder)

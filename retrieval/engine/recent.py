"""The embeddings of the last briefs, so that a brief asked again is not embedded again.

A swap, a retry, "more like this" and the model-assisted path falling back to the rules all rank
the same brief again; embedding it (MiniLM and the multilingual encoder, the brief and each of
its sentences) is the largest cost of a ranking that Chroma does not pay.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from typing import Generic, TypeVar

from retrieval.ports import Embedder, FloatMatrix, FloatVector, Progress

#: Batches of texts (one per brief) whose vectors are kept, least recently used dropped first.
RECENT_BRIEFS = 64

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LeastRecentlyUsed(Generic[K, V]):
    """A map of at most ``size`` entries, safe across threads: reading or writing a key makes it
    the newest, and past ``size`` the oldest are dropped."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            if key not in self._kept:
                return None
            self._kept.move_to_end(key)
            return self._kept[key]

    def put(self, items: Iterable[tuple[K, V]]) -> None:
        with self._lock:
            for key, value in items:
                self._kept[key] = value
                self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)


class RecentEmbeddings:
    """``embedder`` with the vectors of its last ``size`` batches kept (read-only arrays)."""

    def __init__(self, embedder: Embedder, size: int = RECENT_BRIEFS) -> None:
        self._embedder = embedder
        self._recent: LeastRecentlyUsed[tuple[str, ...], FloatMatrix] = LeastRecentlyUsed(size)

    @property
    def identity(self) -> str:
        return self._embedder.identity

    @property
    def dimensions(self) -> int:
        return self._embedder.dimensions

    @property
    def parts(self) -> tuple[int, ...]:
        return self._embedder.parts

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        key = tuple(texts)
        kept = self._recent.get(key)
        if kept is not None:
            return kept
        vectors = self._embedder.embed(texts, progress)
        vectors.setflags(write=False)
        self._recent.put([(key, vectors)])
        return vectors

    def embed_query(self, text: str) -> FloatVector:
        vector: FloatVector = self.embed([text])[0]
        return vector

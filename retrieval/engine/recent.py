"""The embeddings of the last briefs, so that a brief asked again is not embedded again.

A swap, a retry, "more like this" and the model-assisted path falling back to the rules all rank
the same brief again; embedding it (MiniLM and the multilingual encoder, the brief and each of
its sentences) is the largest cost of a ranking that Chroma does not pay.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from retrieval.ports import Embedder, FloatMatrix, FloatVector, Progress

#: Batches of texts (one per brief) whose vectors are kept, least recently used dropped first.
RECENT_BRIEFS = 64


class RecentEmbeddings:
    """``embedder`` with the vectors of its last ``size`` batches kept (read-only arrays)."""

    def __init__(self, embedder: Embedder, size: int = RECENT_BRIEFS) -> None:
        self._embedder = embedder
        self._size = size
        self._recent: OrderedDict[tuple[str, ...], FloatMatrix] = OrderedDict()
        self._lock = threading.Lock()

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
        with self._lock:
            if key in self._recent:
                self._recent.move_to_end(key)
                return self._recent[key]
        vectors = self._embedder.embed(texts, progress)
        vectors.setflags(write=False)
        with self._lock:
            self._recent[key] = vectors
            while len(self._recent) > self._size:
                self._recent.popitem(last=False)
        return vectors

    def embed_query(self, text: str) -> FloatVector:
        vector: FloatVector = self.embed([text])[0]
        return vector

"""What the engine needs of the heavy parts, as Protocols: an embedder and a creator index.

The engine (``retrieval.engine``) is written against these; ``retrieval.store`` implements them
(``LocalMiniLMEmbedder``, ``OpenAIEmbedder``, ``CreatorIndex``) and ``bot/service.py`` plugs one
into the other, so the engine never imports chromadb, onnxruntime or openai.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from retrieval.roster.creator import Creator

FloatMatrix = npt.NDArray[np.float32]
FloatVector = npt.NDArray[np.float32]
Progress = Callable[[int], None]


class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    @property
    def identity(self) -> str:
        """Names the model, recorded with a collection so vectors of two models never mix."""
        ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        """Rows in input order; ``progress(n)`` after each batch of ``n`` texts."""
        ...

    def embed_query(self, text: str) -> FloatVector: ...


class Hit(NamedTuple):
    """A search result: dense scores are cosine similarity, lexical scores positive BM25."""

    key: str
    score: float


class SearchIndex(Protocol):
    """What ranking needs of ``CreatorIndex``."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Creator]: ...

    def vectors(self, keys: Sequence[str]) -> dict[str, FloatVector]: ...

    def dense_search(
        self,
        vector: npt.NDArray[np.floating[Any]],
        n: int,
        where: Mapping[str, Any] | None = None,
    ) -> list[Hit]: ...

    def lexical_search(self, query: str, n: int) -> list[Hit]: ...


class RosterIndex(SearchIndex, Protocol):
    """What the engine needs of ``CreatorIndex`` beyond searching."""

    def count(self) -> int: ...

    @property
    def revision(self) -> str | None: ...

    def iter_creators(self) -> Iterator[Creator]: ...

    def get(self, key: str) -> Creator | None: ...

    def find_handle(self, handle: str) -> list[Creator]: ...

    def suggest_handles(self, handle: str, limit: int = 5) -> list[str]: ...

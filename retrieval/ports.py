"""What the engine needs of the heavy parts, as Protocols: an embedder, a creator index and an
optional grader of candidates.

The engine (``retrieval.engine``) is written against these; ``retrieval.store`` implements the
first two (``LocalMiniLMEmbedder``, ``OpenAIEmbedder``, ``CreatorIndex``), ``retrieval.llm.grade``
the grader, and ``bot/service.py`` plugs one into the other, so the engine never imports
chromadb, onnxruntime or openai.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from retrieval.contract import Side
from retrieval.roster.creator import Creator

FloatMatrix = npt.NDArray[np.float32]
FloatVector = npt.NDArray[np.float32]
Progress = Callable[[int], None]
#: Told each model call's token usage: ``(model, prompt_tokens, completion_tokens)``; how the app
#: counts tokens (its metrics) without the library knowing about them.
UsageListener = Callable[[str, int, int], None]

#: A dense search returns at most this many hits, however many are asked for: Chroma Cloud
#: answers no query with more than 300 results ("Maximum number of results returned", 300, at
#: https://docs.trychroma.com/cloud/quotas-limits), and the same limit holds for every store so
#: that one code path runs embedded, on a ``chroma run`` server and on Chroma Cloud.
MAX_SEARCH_RESULTS = 300


class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    @property
    def identity(self) -> str:
        """Names the model, recorded with a collection so vectors of two models never mix."""
        ...

    @property
    def dimensions(self) -> int: ...

    @property
    def parts(self) -> tuple[int, ...]:
        """The widths of the encoders whose unit vectors a vector joins, in order (one part for
        a single model): the engine calibrates each part's cosine on its own scale."""
        ...

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        """Rows in input order; ``progress(n)`` after each batch of ``n`` texts."""
        ...

    def embed_query(self, text: str) -> FloatVector: ...


@runtime_checkable
class PartEmbedder(Protocol):
    """An embedder whose vectors join several encoders (``Embedder.parts``) and that can embed
    with one of them alone, for texts where the cheaper encoder is enough."""

    @property
    def light_part(self) -> int:
        """The index (in ``parts``) of the encoder that costs least per text."""
        ...

    def embed_part(self, texts: Sequence[str], part: int) -> FloatMatrix:
        """Unit rows of encoder ``part`` alone, in input order."""
        ...


class Hit(NamedTuple):
    """A search result: dense scores are cosine similarity, lexical scores positive BM25."""

    key: str
    score: float


class RosterRow(NamedTuple):
    """What the engine's roster table keeps of one creator (``retrieval.engine.table``)."""

    key: str
    followers: int
    platform: str
    country: str
    language: str
    engagement_rate: float | None
    has_bio: bool

    @classmethod
    def of(cls, creator: Creator) -> RosterRow:
        return cls(
            key=creator.key,
            followers=creator.followers,
            platform=creator.platform,
            country=creator.country or "",
            language=creator.language or "",
            engagement_rate=creator.engagement_rate,
            has_bio=bool(creator.bio.strip()),
        )


class SearchIndex(Protocol):
    """What ranking needs of ``CreatorIndex``."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Creator]: ...

    def vectors(self, keys: Sequence[str]) -> dict[str, FloatVector]: ...

    def dense_search(
        self,
        vector: npt.NDArray[np.floating[Any]],
        n: int,
        where: Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        """The ``n`` nearest creators, at most ``MAX_SEARCH_RESULTS`` of them."""
        ...

    def lexical_search(self, query: str, n: int) -> list[Hit]: ...


class RosterIndex(SearchIndex, Protocol):
    """What the engine needs of ``CreatorIndex`` beyond searching."""

    def count(self) -> int: ...

    @property
    def revision(self) -> str | None: ...

    def roster_rows(self) -> Iterator[RosterRow]:
        """Every creator's row for the roster table, in key order, read without parsing each
        stored record (it runs once per roster revision, i.e. after every batch of an import)."""
        ...

    def write_under_way(self) -> bool:
        """True while the roster is being written (e.g. a batch of an import is under way), so
        that it will change again soon."""
        ...

    def get(self, key: str) -> Creator | None: ...

    def find_handle(self, handle: str) -> list[Creator]: ...

    def suggest_handles(self, handle: str, limit: int = 5) -> list[str]: ...


class GradeCandidate(NamedTuple):
    """One candidate as a grader sees it: who, how big, and the bio to judge."""

    key: str
    handle: str
    platform: str
    tier: str
    followers: int
    bio: str


class Grade(NamedTuple):
    """How well a bio fits the brief (0 off-topic .. 3 clearly the brief's subject), with the
    bio phrase that shows it (the engine keeps the grade only when ``quote`` is in the bio)."""

    grade: int
    quote: str


class CandidateGrader(Protocol):
    """Judges each candidate's bio against the brief (e.g. a language model)."""

    def grade(
        self, brief: str, candidates: Mapping[Side, Sequence[GradeCandidate]]
    ) -> Mapping[str, Grade]:
        """Grades by candidate key; empty (or an exception) when the grader could not judge.
        The engine validates every grade, so an answer can reorder but never change the pool."""
        ...

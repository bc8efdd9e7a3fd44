"""What a brief costs to embed: a brief asked again (a swap, a retry) is not embedded again and
gets the same answer; a brief of several sentences is embedded sentence by sentence only (its
whole text has no weight in the search vector); the calibration sample gives the same baselines
from the unit rows it keeps as from the raw cosines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from retrieval.contract import RecommendRequest
from retrieval.engine import ranking
from retrieval.engine.calibration import (
    NEUTRAL_MEAN,
    PRIOR_BIOS,
    Background,
    part_cosines,
    weighted_query,
)
from retrieval.engine.recommender import Recommender
from retrieval.ports import Embedder, FloatMatrix, FloatVector, Progress
from retrieval.store.index import CreatorIndex
from retrieval.terms import without_frame_words
from retrieval.tiers import DEFAULT_SCHEME

pytest_plugins = ("tests.support.fixtures_recommend",)

BRIEF = "Sourdough bakery launching a rye loaf. We want home bakers who love long fermentation."


class CountingEmbedder:
    """The product's embedder, recording every batch of texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.batches: list[list[str]] = []

    @property
    def identity(self) -> str:
        return self.inner.identity

    @property
    def dimensions(self) -> int:
        return self.inner.dimensions

    @property
    def parts(self) -> tuple[int, ...]:
        return self.inner.parts

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        self.batches.append(list(texts))
        return self.inner.embed(texts, progress)

    def embed_query(self, text: str) -> FloatVector:
        return self.inner.embed_query(text)


def picks(engine: Recommender, brief: str) -> list[tuple[str, float]]:
    answer = engine.recommend(RecommendRequest(brief=brief))
    return [(pick.key, pick.score) for pick in answer.picks]


@pytest.mark.parametrize("recent_briefs", [2, 0])
def test_a_brief_asked_again_is_embedded_once_unless_caching_is_off(
    sample_index: CreatorIndex, embedder: Embedder, recent_briefs: int
) -> None:
    counting = CountingEmbedder(embedder)
    engine = Recommender(sample_index, DEFAULT_SCHEME, counting, recent_briefs=recent_briefs)
    first = picks(engine, BRIEF)
    brief_batch = counting.batches[0]  # the brief's sentences (picks' bio segments may follow)
    assert picks(engine, BRIEF) == first
    assert counting.batches.count(brief_batch) == (1 if recent_briefs else 2)


def test_only_the_last_briefs_are_kept(sample_index: CreatorIndex, embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    engine = Recommender(sample_index, DEFAULT_SCHEME, counting, recent_briefs=1)
    other = "Trail running shoes for mountain ultras."
    picks(engine, BRIEF)
    picks(engine, other)
    before = len(counting.batches)
    picks(engine, BRIEF)  # pushed out by the other brief: embedded again
    assert len(counting.batches) > before


def test_a_brief_of_sentences_is_embedded_sentence_by_sentence(embedder: Embedder) -> None:
    rng = np.random.default_rng(7)
    background = Background.of(
        list(embedder.embed(["Vegan baker", "Trail runner"] * 15)), embedder.parts
    )
    counting = CountingEmbedder(embedder)
    query = ranking.build_query(BRIEF, counting, background)
    parts = ranking.sentences(without_frame_words(BRIEF))
    assert counting.batches == [parts]
    sentences = embedder.embed(parts)
    expected = weighted_query(
        rng.standard_normal(sentences.shape[1]).astype(np.float32),  # weighs nothing
        sentences,
        background,
        sharpness=ranking.SENTENCE_SHARPNESS,
        whole_weight=0.0,
    )
    assert ranking.WHOLE_BRIEF_WEIGHT == 0.0
    np.testing.assert_allclose(query.vector, expected, atol=1e-6)


def test_the_sample_baselines_match_the_raw_cosines(embedder: Embedder) -> None:
    bios = ["Vegan baker", "Trail runner", "Nail art tutorials", "Book reviews 📚", "Dad, gamer"]
    vectors = embedder.embed(bios * 6)
    background = Background.of(list(vectors), embedder.parts)
    query = embedder.embed(["Sourdough bread"])[0]
    raw = part_cosines(vectors, query, embedder.parts)
    baselines = background.baselines(query)
    n, k = float(len(vectors)), float(PRIOR_BIOS)
    mean = (n * raw.mean(axis=0) + k * NEUTRAL_MEAN) / (n + k)
    np.testing.assert_allclose(baselines.mean, mean, atol=1e-5)

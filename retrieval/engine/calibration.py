"""Fit that means the same for every brief, language and bio: cosines against a roster sample.

A raw cosine says little on its own: MiniLM gives an English brief lower cosines with a German
bio than with an English one on the same subject, and some briefs sit closer to every bio than
others. ``Background`` holds a fixed sample of the roster's bio vectors with their languages, and
turns a cosine into a z-score against the sample's cosines *for the same query and language*: how
far a bio stands out from the bios written in its language. The same sample weighs a brief's
sentences by how much each one singles out some bios from the rest (its specificity), so a
sentence about the creators' subject outweighs one about the brand's goals, wherever it stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatVector = npt.NDArray[np.float32]
FloatMatrix = npt.NDArray[np.float32]

#: Bios of one language needed in the sample before it gets a baseline of its own.
MIN_LANGUAGE_SAMPLE = 40
#: How many of the sample's closest bios measure a sentence's specificity.
SPECIFICITY_TOP = 10


@dataclass(frozen=True)
class Background:
    """A sample of the roster's bio vectors (rows of ``matrix``) and each row's language."""

    matrix: FloatMatrix
    languages: tuple[str, ...]

    @classmethod
    def of(cls, vectors: Sequence[FloatVector], languages: Sequence[str]) -> Background:
        matrix = (
            np.stack(list(vectors)).astype(np.float32)
            if vectors
            else np.zeros((0, 0), dtype=np.float32)
        )
        return cls(matrix=matrix, languages=tuple(languages))

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    def specificity(self, vectors: FloatMatrix) -> npt.NDArray[np.float64]:
        """For each row of ``vectors``: how far its closest sample bios stand above the rest,
        in standard deviations of its cosines to the sample."""
        if self.size < 2 * SPECIFICITY_TOP:
            return np.zeros(len(vectors))
        cosines = vectors @ self.matrix.T
        top = np.sort(cosines, axis=1)[:, -SPECIFICITY_TOP:].mean(axis=1)
        spread = cosines.std(axis=1) + 1e-6
        return np.asarray((top - cosines.mean(axis=1)) / spread, dtype=np.float64)

    def baselines(self, query: FloatVector) -> Baselines:
        """The sample's mean and spread of cosines to ``query``, overall and per language."""
        if self.size < 2:
            return Baselines(0.0, 1.0, {})
        cosines = self.matrix @ query
        overall = (float(cosines.mean()), float(cosines.std()) + 1e-6)
        languages = np.array(self.languages)
        per_language = {}
        for language in set(self.languages):
            mine = cosines[languages == language]
            if language and len(mine) >= MIN_LANGUAGE_SAMPLE:
                per_language[language] = (float(mine.mean()), float(mine.std()) + 1e-6)
        return Baselines(overall[0], overall[1], per_language)


@dataclass(frozen=True)
class Baselines:
    mean: float
    spread: float
    by_language: dict[str, tuple[float, float]]

    def z(self, cosine: float, language: str | None, weight: float) -> float:
        """``cosine`` in standard deviations above the sample: against the whole sample, moved
        ``weight`` of the way towards the baseline of the bio's own language."""
        overall = (cosine - self.mean) / self.spread
        own = self.by_language.get(language or "")
        if own is None or weight == 0:
            return overall
        return (1 - weight) * overall + weight * (cosine - own[0]) / own[1]


def weighted_query(
    whole: FloatVector,
    sentences: FloatMatrix,
    background: Background,
    *,
    sharpness: float,
    whole_weight: float,
) -> FloatVector:
    """The brief's search vector: the whole brief's vector plus its sentences' vectors, each
    sentence weighted by a softmax of its specificity (``sharpness`` scales it)."""
    if len(sentences) == 0:
        return whole
    spec = background.specificity(sentences)
    weights = np.exp(sharpness * (spec - spec.max()))
    weights /= weights.sum()
    pooled = whole_weight * whole + (1 - whole_weight) * (weights @ sentences)
    norm = float(np.linalg.norm(pooled))
    return (pooled / norm).astype(np.float32) if norm > 0 else whole

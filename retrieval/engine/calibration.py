"""Fit that means the same for every brief, encoder, language and bio: cosines against a sample.

A raw cosine says little on its own: each encoder has its own scale, and some briefs sit closer
to every bio than others. ``Background`` holds a fixed, even sample of the roster's bio vectors.
Each encoder's cosine (a vector may join several encoders' parts, see ``Embedder.parts``) becomes
a z-score against the sample's cosines *for the same query*, and the parts' z-scores are fused
with fixed weights. (Judging a bio against the bios of its own language as well was measured
and left out: it lost 0.01-0.03 nDCG on the real-bio tuning set beside the multilingual
encoder.) The same sample weighs a brief's sentences by how much each one singles out some
bios from the rest (its specificity), so a sentence about the creators' subject outweighs one
about the brand's goals, wherever it stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from retrieval.ports import FloatMatrix, FloatVector

#: The neutral baseline a small sample is pooled with: the mean and spread of cosines between
#: unrelated texts, as both local encoders give them on the real bios (about 0.05 and 0.06),
#: weighed as PRIOR_BIOS bios. A sample of 2,000 bios all but ignores it.
NEUTRAL_MEAN = 0.05
NEUTRAL_SPREAD = 0.065
PRIOR_BIOS = 30
#: How many of the sample's closest bios measure a sentence's specificity.
SPECIFICITY_TOP = 10
_EPSILON = 1e-6


def part_cosines(
    vectors: npt.NDArray[np.float32], query: FloatVector, parts: Sequence[int]
) -> npt.NDArray[np.float64]:
    """For each row of ``vectors`` (one per bio), the cosine of each encoder's slice of it to
    the same slice of ``query``: shape ``(rows, len(parts))``."""
    columns = []
    start = 0
    for width in parts:
        rows = vectors[:, start : start + width].astype(np.float64)
        wanted = query[start : start + width].astype(np.float64)
        norms = np.linalg.norm(rows, axis=1) * (np.linalg.norm(wanted) + _EPSILON) + _EPSILON
        columns.append(rows @ wanted / norms)
        start += width
    return np.stack(columns, axis=1)


@dataclass(frozen=True)
class Background:
    """A sample of the roster's bio vectors (rows of ``matrix``) and how the vectors split into
    encoders (``parts``, their widths)."""

    matrix: FloatMatrix
    parts: tuple[int, ...]

    @classmethod
    def of(cls, vectors: Sequence[FloatVector], parts: Sequence[int]) -> Background:
        width = sum(parts)
        matrix = (
            np.stack(list(vectors)).astype(np.float32)
            if vectors
            else np.zeros((0, width), dtype=np.float32)
        )
        return cls(matrix=matrix, parts=tuple(parts))

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
        spread = cosines.std(axis=1) + _EPSILON
        return np.asarray((top - cosines.mean(axis=1)) / spread, dtype=np.float64)

    def baselines(self, query: FloatVector) -> Baselines:
        """Per encoder part: the mean and spread of the sample's cosines to ``query``, pooled
        with ``PRIOR_BIOS`` imagined bios at the neutral baseline, so that a roster of a handful
        of creators (too few to be its own background) is judged on a sensible scale."""
        cosines = part_cosines(self.matrix, query, self.parts)
        n, k = float(self.size), float(PRIOR_BIOS)
        sample_mean = cosines.mean(axis=0) if self.size else np.zeros(len(self.parts))
        sample_var = cosines.var(axis=0) if self.size else np.zeros(len(self.parts))
        mean = (n * sample_mean + k * NEUTRAL_MEAN) / (n + k)
        var = (
            n * (sample_var + (sample_mean - mean) ** 2)
            + k * (NEUTRAL_SPREAD**2 + (NEUTRAL_MEAN - mean) ** 2)
        ) / (n + k)
        return Baselines(self.parts, mean, np.sqrt(var) + _EPSILON)


@dataclass(frozen=True)
class Baselines:
    parts: tuple[int, ...]
    mean: npt.NDArray[np.float64]
    spread: npt.NDArray[np.float64]

    def fit(self, cosines: npt.NDArray[np.float64], weights: Sequence[float]) -> float:
        """One bio's fused fit from its per-part ``cosines``: each part's z-score against the
        sample, combined with ``weights`` and scaled back to unit spread."""
        z = (cosines - self.mean) / self.spread
        used = np.asarray(weights[: len(z)], dtype=np.float64)
        return float(used @ z / np.sqrt(used @ used))


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

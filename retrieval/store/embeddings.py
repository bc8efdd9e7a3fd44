"""Sentence embedders: the local MiniLM ONNX model (length-sorted batches) or OpenAI's API.

Every embedder returns float32 rows, L2-normalised, in input order.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import onnxruntime
from filelock import FileLock
from tokenizers import Encoding, Tokenizer

from retrieval.errors import EmbeddingModelError
from retrieval.ports import Embedder, FloatMatrix, FloatVector, Progress

if TYPE_CHECKING:
    import openai

MODEL_DIR_SETTING = "STORYFIT_EMBEDDING_MODEL_DIR"
LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"
LOCAL_DIMENSIONS = 384
# sentence-transformers (and chromadb) cut MiniLM inputs at 256 tokens.
LOCAL_MAX_TOKENS = 256
LOCAL_MODEL_FILES = ("model.onnx", "tokenizer.json")
# Measured on 2 cores (bench/bench_embeddings.py --sweep): 8-32 tie on short bios; on 40-word bios
# 8 and 16 beat 32 by about 1.4x (larger batches spill the CPU caches).
LOCAL_BATCH_SIZE = 16
#: A batch holds at most this many rows x width^2 tokens (16 rows of 64 tokens; longer texts go in
#: smaller batches, a 256-token text alone). Attention takes rows x heads x width^2 floats, and ONNX
#: Runtime's memory arena keeps the largest batch's memory for the session's life: 16 texts of 256
#: tokens grew the process by 324 MB (bench/SCALE.md section 2). Vectors do not depend on the
#: batch's size (texts are padded and masked per batch).
LOCAL_BATCH_ATTENTION = LOCAL_BATCH_SIZE * 64 * 64

OPENAI_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
# OpenAI rejects blank inputs with a 400; blank texts are embedded as this text instead.
OPENAI_BLANK_TEXT = "(empty)"
OPENAI_MAX_BATCH = 2048


def _normalise(rows: npt.NDArray[np.floating[Any]]) -> FloatMatrix:
    """L2-normalise rows the way chromadb does (a zero row stays zero)."""
    norms = np.linalg.norm(rows, axis=1)
    norms[norms == 0] = 1e-12
    normalised: FloatMatrix = (rows / norms[:, np.newaxis]).astype(np.float32)
    return normalised


def _available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@dataclass(frozen=True)
class _LoadedModel:
    tokenizer: Tokenizer
    session: onnxruntime.InferenceSession


class LocalMiniLMEmbedder:
    """all-MiniLM-L6-v2 run with onnxruntime: chromadb's vectors, without padding to 256 tokens.

    Texts are sorted by token length and batched, so each batch is padded only to its longest
    member. The session is built on first use and kept for the instance's lifetime.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        batch_size: int = LOCAL_BATCH_SIZE,
        threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self._model_dir = model_dir
        self._batch_size = batch_size
        self._threads = threads or _available_cores()
        self._lock = threading.Lock()
        self._loaded: _LoadedModel | None = None

    @property
    def identity(self) -> str:
        return f"local:{LOCAL_MODEL_NAME}"

    @property
    def dimensions(self) -> int:
        return LOCAL_DIMENSIONS

    @property
    def parts(self) -> tuple[int, ...]:
        return (LOCAL_DIMENSIONS,)

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        vectors = np.empty((len(texts), LOCAL_DIMENSIONS), dtype=np.float32)
        if not texts:
            return vectors
        model = self._model()
        encodings = model.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(encoding.ids) for encoding in encodings], dtype=np.int64)
        order = np.argsort(lengths, kind="stable")
        sorted_lengths = lengths[order]
        start = 0
        while start < len(order):
            stop = self._batch_end(sorted_lengths, start)
            rows = order[start:stop]
            vectors[rows] = self._embed_batch(model.session, [encodings[i] for i in rows])
            if progress is not None:
                progress(len(rows))
            start = stop
        return vectors

    def _batch_end(self, sorted_lengths: npt.NDArray[np.int64], start: int) -> int:
        """Where the batch from ``start`` ends: at most ``batch_size`` rows, and rows x width^2
        within ``LOCAL_BATCH_ATTENTION`` (at least one row)."""
        stop = min(start + self._batch_size, len(sorted_lengths))
        while stop - start > 1 and (stop - start) * int(sorted_lengths[stop - 1]) ** 2 > (
            LOCAL_BATCH_ATTENTION
        ):
            stop -= 1
        return stop

    def embed_query(self, text: str) -> FloatVector:
        vector: FloatVector = self.embed([text])[0]
        return vector

    @staticmethod
    def _embed_batch(session: onnxruntime.InferenceSession, batch: list[Encoding]) -> FloatMatrix:
        width = max(len(encoding.ids) for encoding in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        attention_mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, encoding in enumerate(batch):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            attention_mask[row, : len(encoding.ids)] = encoding.attention_mask
        (hidden,) = session.run(
            ["last_hidden_state"],
            {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "token_type_ids": np.zeros_like(input_ids),
            },
        )
        # Mean over real tokens, in float64 as chromadb's pooling ends up computing it.
        mask = attention_mask.astype(np.float64)
        summed = np.einsum("btd,bt->bd", hidden.astype(np.float64), mask)
        counts = np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        return _normalise(summed / counts)

    def _model(self) -> _LoadedModel:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> _LoadedModel:
        folder = self._model_dir if self._model_dir is not None else _download_default_model()
        missing = [name for name in LOCAL_MODEL_FILES if not (folder / name).is_file()]
        if missing:
            raise EmbeddingModelError(
                f"The embedding model folder {folder} lacks {', '.join(missing)}; set "
                f"{MODEL_DIR_SETTING} to a folder holding the {LOCAL_MODEL_NAME} ONNX files "
                f"({', '.join(LOCAL_MODEL_FILES)})."
            )
        tokenizer_path = folder / "tokenizer.json"
        model_path = folder / "model.onnx"
        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as error:  # tokenizers raises a bare Exception on unreadable files
            raise _corrupt(tokenizer_path, error) from error
        tokenizer.enable_truncation(max_length=LOCAL_MAX_TOKENS)
        tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: measured 1.3-1.5x faster when the bot, an import
        # and other processes share the two cores, which is how Storyfit runs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            session = onnxruntime.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime's errors derive from bare Exception
            raise _corrupt(model_path, error) from error
        return _LoadedModel(tokenizer=tokenizer, session=session)


def _corrupt(path: Path, error: Exception) -> EmbeddingModelError:
    return EmbeddingModelError(
        f"The embedding model file {path} cannot be loaded ({_first_line(error)}); replace it or "
        f"set {MODEL_DIR_SETTING} to a folder holding intact {LOCAL_MODEL_NAME} ONNX files."
    )


def default_model_dir() -> Path:
    """chromadb's cache folder for the MiniLM ONNX files."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    return Path(ONNXMiniLM_L6_V2.DOWNLOAD_PATH) / ONNXMiniLM_L6_V2.EXTRACTED_FOLDER_NAME


def _download_default_model() -> Path:
    """Fetch the checked model files into chromadb's cache folder (``model_files``)."""
    from retrieval.store.model_files import fetch_minilm

    folder = default_model_dir()
    if all((folder / name).is_file() for name in LOCAL_MODEL_FILES):
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        # Two Storyfit processes starting at once must not fetch over each other.
        with FileLock(f"{folder}.lock"):
            if not all((folder / name).is_file() for name in LOCAL_MODEL_FILES):
                fetch_minilm(folder)
    except (OSError, EmbeddingModelError) as error:
        raise EmbeddingModelError(
            f"The embedding model is not in {folder} and could not be downloaded "
            f"({_first_line(error)}); set {MODEL_DIR_SETTING} to a folder holding the "
            f"{LOCAL_MODEL_NAME} ONNX files ({', '.join(LOCAL_MODEL_FILES)})."
        ) from error
    return folder


class OpenAIEmbedder:
    """OpenAI's embeddings endpoint, in batches of ``batch_size`` texts per request."""

    def __init__(
        self, client: openai.OpenAI, model: str = "text-embedding-3-small", batch_size: int = 256
    ) -> None:
        if not 1 <= batch_size <= OPENAI_MAX_BATCH:
            raise ValueError(f"batch_size must be 1 to {OPENAI_MAX_BATCH}, got {batch_size}")
        self._client = client
        self._model = model
        self._batch_size = batch_size
        self._dimensions = OPENAI_DIMENSIONS.get(model)

    @property
    def identity(self) -> str:
        return f"openai:{self._model}"

    @property
    def dimensions(self) -> int:
        """Known models from a table; any other model is asked once with a one-text request."""
        if self._dimensions is None:
            self.embed([OPENAI_BLANK_TEXT])
        assert self._dimensions is not None
        return self._dimensions

    @property
    def parts(self) -> tuple[int, ...]:
        return (self.dimensions,)

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        if not texts:
            return np.empty((0, self.dimensions), dtype=np.float32)
        batches = []
        for start in range(0, len(texts), self._batch_size):
            batch = [
                text if text.strip() else OPENAI_BLANK_TEXT
                for text in texts[start : start + self._batch_size]
            ]
            batches.append(self._embed_batch(batch))
            if progress is not None:
                progress(len(batch))
        return np.concatenate(batches)

    def embed_query(self, text: str) -> FloatVector:
        vector: FloatVector = self.embed([text])[0]
        return vector

    def _embed_batch(self, batch: list[str]) -> FloatMatrix:
        import openai  # already loaded: this embedder was given a client

        try:
            response = self._client.embeddings.create(model=self._model, input=batch)
        except openai.OpenAIError as error:
            raise EmbeddingModelError(
                f"OpenAI embeddings ({self._model}) failed: {error.__class__.__name__}: "
                f"{str(error)[:200]}. Check OPENAI_API_KEY and OPENAI_BASE_URL, or use "
                "STORYFIT_EMBEDDING=local."
            ) from error
        by_index = {item.index: item.embedding for item in response.data}
        if sorted(by_index) != list(range(len(batch))):
            raise EmbeddingModelError(
                f"OpenAI model {self._model} answered {len(response.data)} embeddings for "
                f"{len(batch)} texts; check OPENAI_BASE_URL points at an OpenAI-compatible API."
            )
        rows = np.array([by_index[i] for i in range(len(batch))], dtype=np.float32)
        if self._dimensions is None:
            self._dimensions = rows.shape[1]
        elif rows.shape[1] != self._dimensions:
            raise EmbeddingModelError(
                f"OpenAI model {self._model} returned {rows.shape[1]}-dimensional vectors where "
                f"{self._dimensions} were expected; check the model name."
            )
        return _normalise(rows)


def build_embedder(
    kind: Literal["local", "openai"],
    model_dir: Path | None,
    openai_client: openai.OpenAI | None,
    openai_model: str,
) -> Embedder:
    """The embedder the settings ask for."""
    if kind == "local":
        # Imported here: the multilingual encoder is only loaded by the stores that use it.
        from retrieval.store.multilingual import FusedEmbedder, MultilingualEmbedder

        return FusedEmbedder(LocalMiniLMEmbedder(model_dir=model_dir), MultilingualEmbedder())
    if openai_client is None:
        raise EmbeddingModelError(
            "OpenAI embeddings were chosen (STORYFIT_EMBEDDING=openai) but no OpenAI client is "
            "configured; set OPENAI_API_KEY or use STORYFIT_EMBEDDING=local."
        )
    return OpenAIEmbedder(openai_client, model=openai_model)

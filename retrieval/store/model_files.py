"""The MiniLM ONNX model files, fetched once from where chromadb publishes them and checked by
SHA-256: the archive against chromadb's own checksum, then every file against ours.

The Docker image runs this at build time (``python -m retrieval.store.model_files DIR``), so a
container never downloads at run time; without ``STORYFIT_EMBEDDING_MODEL_DIR`` a local install
fetches the model into chromadb's cache folder on first use through the same function.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from retrieval.errors import EmbeddingModelError

#: chromadb's public archive of the model (``ONNXMiniLM_L6_V2.MODEL_DOWNLOAD_URL``) and its
#: SHA-256 (``ONNXMiniLM_L6_V2._MODEL_SHA256``, chromadb 1.5).
MINILM_ARCHIVE_URL = "https://chroma-onnx-models.s3.amazonaws.com/all-MiniLM-L6-v2/onnx.tar.gz"
MINILM_ARCHIVE_SHA256 = "913d7300ceae3b2dbc2c50d1de4baacab4be7b9380491c27fab7418616a16ec3"
#: The archive's folder holding the files.
MINILM_ARCHIVE_FOLDER = "onnx"
#: SHA-256 of every model file Storyfit reads or ships, as in the archive.
MINILM_FILE_SHA256 = {
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "model.onnx": "2c367d107dda7923d11ff52aa572a01aa5cfdde9639578bd3841c9122c345732",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
#: Seconds a stalled download may wait for data.
DOWNLOAD_TIMEOUT = 60.0
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_minilm(
    folder: Path,
    *,
    url: str | None = None,
    archive_sha256: str | None = None,
) -> Path:
    """Put the checked model files in ``folder`` (made whole or not at all) and return it;
    ``EmbeddingModelError`` says what failed: the download, the archive's or a file's checksum.
    ``url`` and ``archive_sha256`` default to chromadb's archive."""
    url = url or MINILM_ARCHIVE_URL
    archive_sha256 = archive_sha256 or MINILM_ARCHIVE_SHA256
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".minilm-") as work:
        archive = Path(work) / "onnx.tar.gz"
        try:
            with (
                urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response,
                archive.open("wb") as stream,
            ):
                shutil.copyfileobj(response, stream, _CHUNK)
        except OSError as error:
            raise EmbeddingModelError(
                f"The model archive {url} cannot be downloaded ({error})."
            ) from error
        found = sha256_of(archive)
        if found != archive_sha256:
            raise EmbeddingModelError(
                f"The model archive from {url} has SHA-256 {found}, not {archive_sha256}: "
                "it is not the file expected; nothing was installed."
            )
        unpacked = Path(work) / "files"
        _extract_model_files(archive, unpacked)
        _check_files(unpacked)
        shutil.rmtree(folder, ignore_errors=True)
        unpacked.rename(folder)
    return folder


def _extract_model_files(archive: Path, into: Path) -> None:
    """Only the expected files, each extracted by its own name (no paths from the archive)."""
    into.mkdir()
    try:
        with tarfile.open(archive) as tar:
            members = {member.name.removeprefix("./"): member for member in tar.getmembers()}
            for name in MINILM_FILE_SHA256:
                member = members.get(f"{MINILM_ARCHIVE_FOLDER}/{name}")
                source = tar.extractfile(member) if member is not None else None
                if source is None:
                    raise KeyError(f"{MINILM_ARCHIVE_FOLDER}/{name} is missing")
                with source, (into / name).open("wb") as stream:
                    shutil.copyfileobj(source, stream, _CHUNK)
    except (tarfile.TarError, KeyError, OSError) as error:
        raise EmbeddingModelError(
            f"The model archive cannot be unpacked ({type(error).__name__}: {error})."
        ) from error


def _check_files(folder: Path) -> None:
    wrong = [
        name
        for name, expected in MINILM_FILE_SHA256.items()
        if sha256_of(folder / name) != expected
    ]
    if wrong:
        raise EmbeddingModelError(
            f"The model files {', '.join(wrong)} do not have the expected SHA-256; nothing was "
            "installed."
        )


def main(arguments: list[str]) -> int:
    """``python -m retrieval.store.model_files DIR``: fetch and check the model into ``DIR``."""
    if len(arguments) != 1:
        print("usage: python -m retrieval.store.model_files DIR", file=sys.stderr)
        return 2
    try:
        folder = fetch_minilm(Path(arguments[0]))
    except EmbeddingModelError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"The MiniLM model files are in {folder}, every SHA-256 checked.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

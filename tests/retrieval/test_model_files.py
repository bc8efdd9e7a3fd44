"""The MiniLM files the Docker image bakes in: fetched from an archive like chromadb's, checked by
SHA-256 (archive and every file), installed whole or not at all."""

from __future__ import annotations

import functools
import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from retrieval.errors import EmbeddingModelError
from retrieval.store.model_files import MINILM_FILE_SHA256, fetch_minilm, sha256_of
from tests.conftest import MODEL_DIR, free_port


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def archive(into: Path, *, replace: dict[str, bytes] | None = None) -> str:
    """A tar of the shared model files under ``onnx/`` (with ``replace``'s contents swapped
    in); returns its SHA-256."""
    with tarfile.open(into, "w") as tar:
        for name in MINILM_FILE_SHA256:
            if replace and name in replace:
                info = tarfile.TarInfo(f"onnx/{name}")
                info.size = len(replace[name])
                tar.addfile(info, io.BytesIO(replace[name]))
            else:
                tar.add(MODEL_DIR / name, arcname=f"onnx/{name}")
    return hashlib.sha256(into.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A local server of two archives: the true files, and one with a changed vocab.txt."""
    folder = tmp_path_factory.mktemp("archives")
    sums = {
        "true.tar": archive(folder / "true.tar"),
        "tampered.tar": archive(folder / "tampered.tar", replace={"vocab.txt": b"[PAD]\n"}),
    }
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", sums
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_recorded_checksums_are_the_shared_model_files() -> None:
    assert {name: sha256_of(MODEL_DIR / name) for name in MINILM_FILE_SHA256} == MINILM_FILE_SHA256


def test_the_checked_files_are_installed(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, sums = served
    folder = fetch_minilm(
        tmp_path / "minilm", url=f"{url}/true.tar", archive_sha256=sums["true.tar"]
    )
    assert sorted(path.name for path in folder.iterdir()) == sorted(MINILM_FILE_SHA256)
    assert sha256_of(folder / "model.onnx") == MINILM_FILE_SHA256["model.onnx"]
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".minilm-")]


def test_an_archive_with_another_checksum_installs_nothing(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, _ = served
    with pytest.raises(EmbeddingModelError, match="is not the file expected; nothing was"):
        fetch_minilm(tmp_path / "minilm", url=f"{url}/true.tar", archive_sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_a_changed_file_installs_nothing(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, sums = served
    with pytest.raises(EmbeddingModelError, match=r"model files vocab\.txt do not have"):
        fetch_minilm(
            tmp_path / "minilm", url=f"{url}/tampered.tar", archive_sha256=sums["tampered.tar"]
        )
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_archive_is_explained(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/onnx.tar.gz"
    with pytest.raises(EmbeddingModelError, match=f"The model archive {url} cannot be downloaded"):
        fetch_minilm(tmp_path / "minilm", url=url)

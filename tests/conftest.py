"""Test-wide set-up: the shared ONNX model, never a download."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
MODEL_DIR = Path(
    os.environ.setdefault(
        "STORYFIT_EMBEDDING_MODEL_DIR", str(SHARED / "models" / "all-MiniLM-L6-v2" / "onnx")
    )
)
TIKTOK_CSV = SHARED / "data" / "tiktok_influencers.csv"
SAMPLE_ROSTER = REPO / "bot" / "data" / "sample_roster.csv"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    if not (MODEL_DIR / "model.onnx").is_file():
        pytest.fail(
            f"the embedding model is missing at {MODEL_DIR}; set STORYFIT_EMBEDDING_MODEL_DIR"
        )
    return MODEL_DIR


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

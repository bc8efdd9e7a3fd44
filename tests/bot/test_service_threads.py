"""The service ranks with numpy's BLAS on one thread (``retrieval/store/blas.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info

from bot.service import StoryfitService
from bot.settings import Settings


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: one thread anyway")
def test_the_recommender_runs_blas_on_one_thread(tmp_path: Path, model_dir: Path) -> None:
    with StoryfitService(Settings(data_dir=tmp_path, embedding_model_dir=model_dir)) as service:
        assert service.recommender is not None
    pools = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert pools and all(pool["num_threads"] == 1 for pool in pools)

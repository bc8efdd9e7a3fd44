"""The sample roster in a real embedded Chroma index, built once per test session.

Use from a test module with ``pytest_plugins = ("tests.support.fixtures_recommend",)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.service import StoryfitService
from bot.settings import Settings
from retrieval.engine.recommender import Recommender
from retrieval.ports import Embedder
from retrieval.roster.creator import Creator
from retrieval.roster.load import load_roster
from retrieval.store.embeddings import build_embedder
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME
from tests.conftest import SAMPLE_ROSTER


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> Embedder:
    """The product's local embedder: MiniLM and the multilingual encoder."""
    return build_embedder("local", model_dir, None, "unused")


@pytest.fixture(scope="session")
def sample_index(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[CreatorIndex]:
    index = CreatorIndex.open(tmp_path_factory.mktemp("recommend-index"), embedder, DEFAULT_SCHEME)
    index.upsert(load_roster(SAMPLE_ROSTER).creators)
    yield index
    index.close()


@pytest.fixture(scope="session")
def recommender(sample_index: CreatorIndex, embedder: Embedder) -> Recommender:
    return Recommender(sample_index, DEFAULT_SCHEME, embedder)


@pytest.fixture(scope="session")
def roster() -> dict[str, Creator]:
    """The sample roster by ``platform:handle``."""
    return {creator.key: creator for creator in load_roster(SAMPLE_ROSTER).creators}


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """A data dir holding the imported sample roster, closed again (for CLI runs)."""
    data_dir = tmp_path_factory.mktemp("cli-data")
    settings = Settings(data_dir=data_dir, embedding_model_dir=model_dir)
    with StoryfitService(settings) as service:
        service.import_roster(SAMPLE_ROSTER)
    return data_dir

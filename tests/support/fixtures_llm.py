"""A ``StoryfitService`` with ``OPENAI_API_KEY`` set, against the local OpenAI-compatible server,
over the real engine and the bundled sample roster (plus one creator whose bio injects
instructions the engine's bio checks do not catch), built once per test module.

Use from a test module with ``pytest_plugins = ("tests.support.fixtures_llm",)``; the ``llm``
fixture gives the mock server with its script and recorded requests cleared. The helpers that
read the recorded requests are in ``tests.support.llm_requests``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.service import StoryfitService
from bot.settings import Settings
from tests.conftest import SAMPLE_ROSTER
from tests.support.llm_requests import API_KEY, LEAKY, LEAKY_BIO
from tests.support.openai_mock_server import MockOpenAIServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockOpenAIServer]:
    with MockOpenAIServer() as mock:
        yield mock


@pytest.fixture(scope="module")
def service(
    server: MockOpenAIServer, tmp_path_factory: pytest.TempPathFactory, model_dir: Path
) -> Iterator[StoryfitService]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("llm-data"),
        embedding_model_dir=model_dir,
        openai_api_key=API_KEY,
        openai_base_url=server.base_url,
        openai_model="mock-model",
        openai_deadline_seconds=5.0,
    )
    with StoryfitService(settings) as storyfit:
        storyfit.import_roster(SAMPLE_ROSTER)
        extra = tmp_path_factory.mktemp("extra") / "leaky.json"
        extra.write_text(
            json.dumps(
                [{"handle": LEAKY, "platform": "instagram", "followers": 4200, "bio": LEAKY_BIO}]
            ),
            encoding="utf-8",
        )
        storyfit.import_roster(extra)
        yield storyfit


@pytest.fixture
def llm(server: MockOpenAIServer, service: StoryfitService) -> MockOpenAIServer:
    server.reset()
    return server

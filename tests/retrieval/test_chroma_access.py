"""A Chroma server used with a token, a tenant and a database (STORYFIT_CHROMA_TOKEN, _TENANT,
_DATABASE): the token reaches the server on every request, a wrong or missing one is explained,
a missing database is created and a missing tenant is explained.

``chroma run`` (the Rust server of chromadb 1.x) cannot enforce token auth, so the token is
checked by a token gate in front of it (tests/support/token_proxy.py), as a deployment would."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval.roster.creator import Creator
from retrieval.store.chroma import ChromaUnavailableError, ServerAccess
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME
from tests.support.chroma_server import chroma_server  # noqa: F401 (a pytest fixture)
from tests.support.nginx_gate import nginx_gate
from tests.support.token_proxy import token_gate

pytestmark = pytest.mark.server

TOKEN = "s3cret-t0ken_for.tests"
CREATOR = Creator(handle="brewwithbea", platform="instagram", followers=8400, bio="Coffee rituals")


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> LocalMiniLMEmbedder:
    return LocalMiniLMEmbedder(model_dir=model_dir)


def _collection() -> str:
    return f"access-{uuid.uuid4().hex[:12]}"


OpenIndex = Callable[..., CreatorIndex]


@pytest.fixture
def open_index(tmp_path: Path, embedder: LocalMiniLMEmbedder) -> OpenIndex:
    """``open_index(url, access, folder=..., collection=...)``: the index on the server at
    ``url``, its catalog in its own folder of ``tmp_path``."""

    def opened(
        url: str,
        access: ServerAccess | None = None,
        *,
        folder: str = "data",
        collection: str | None = None,
    ) -> CreatorIndex:
        return CreatorIndex.open(
            tmp_path / folder,
            embedder,
            DEFAULT_SCHEME,
            chroma_url=url,
            collection=collection or _collection(),
            access=access,
        )

    return opened


def test_the_token_reaches_the_server_on_every_request(
    chroma_server: str,  # noqa: F811 (the fixture)
    open_index: OpenIndex,
) -> None:
    with (
        token_gate(chroma_server, TOKEN) as gate,
        open_index(gate.url, ServerAccess(token=TOKEN)) as index,
    ):
        index.upsert([CREATOR])
        vector = index.vectors([CREATOR.key])[CREATOR.key]
        assert [hit.key for hit in index.dense_search(vector, 1)] == [CREATOR.key]
    paths = [request.path for request in gate.seen]
    assert paths[0] == "/api/v2/heartbeat"
    assert any(path.endswith("/upsert") for path in paths)
    assert any(path.endswith("/query") for path in paths)
    assert {request.token for request in gate.seen} == {TOKEN}


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("wrong-token", "refused the token in STORYFIT_CHROMA_TOKEN (HTTP 403)"),
        (None, "wants a token (HTTP 401)"),
    ],
)
def test_a_wrong_or_missing_token_is_explained(
    chroma_server: str,  # noqa: F811
    open_index: OpenIndex,
    token: str | None,
    problem: str,
) -> None:
    with token_gate(chroma_server, TOKEN) as gate, pytest.raises(ChromaUnavailableError) as refused:
        open_index(gate.url, ServerAccess(token=token))
    message = str(refused.value)
    assert f"The Chroma server at {gate.url} {problem}" in message
    assert "Set STORYFIT_CHROMA_TOKEN" in message
    assert "wrong-token" not in message


def test_a_token_refused_after_an_open_heartbeat_is_explained(
    chroma_server: str,  # noqa: F811
    open_index: OpenIndex,
) -> None:
    open_heartbeat = frozenset({"/api/v2/heartbeat"})
    with (
        token_gate(chroma_server, TOKEN, open_paths=open_heartbeat) as gate,
        pytest.raises(ChromaUnavailableError) as refused,
    ):
        open_index(gate.url, ServerAccess(token="wrong"))
    assert str(refused.value).startswith(
        f"The Chroma server at {gate.url} refused the token in STORYFIT_CHROMA_TOKEN (HTTP 403)."
    )


def test_a_missing_database_is_created_and_keeps_its_records_apart(
    chroma_server: str,  # noqa: F811
    open_index: OpenIndex,
    caplog: pytest.LogCaptureFixture,
) -> None:
    team = ServerAccess(database=f"team-{uuid.uuid4().hex[:8]}")
    collection = _collection()
    with (
        caplog.at_level(logging.WARNING, logger="retrieval.store.chroma"),
        open_index(chroma_server, team, folder="team", collection=collection) as index,
    ):
        index.upsert([CREATOR])
    created = f"had no database '{team.database}' in tenant 'default_tenant'; Storyfit created it"
    assert created in caplog.text
    with open_index(chroma_server, folder="default", collection=collection) as default_database:
        assert default_database.count() == 0
    with open_index(chroma_server, team, folder="again", collection=collection) as index:
        assert index.count() == 1


def test_a_missing_tenant_is_explained(
    chroma_server: str,  # noqa: F811
    open_index: OpenIndex,
) -> None:
    with pytest.raises(ChromaUnavailableError) as missing:
        open_index(chroma_server, ServerAccess(tenant="no-such-tenant"))
    message = str(missing.value)
    assert f"The Chroma server at {chroma_server} has no tenant 'no-such-tenant'" in message
    assert "STORYFIT_CHROMA_TENANT" in message


def test_the_compose_token_gate_lets_only_the_token_through(
    chroma_server: str,  # noqa: F811
    tmp_path: Path,
    open_index: OpenIndex,
) -> None:
    """deploy/chroma-gate.conf.template, run by nginx as docker-compose.yml runs it."""
    with nginx_gate(tmp_path / "nginx", chroma_server, TOKEN) as url:
        with open_index(url, ServerAccess(token=TOKEN)) as index:
            index.upsert([CREATOR])
            assert index.count() == 1
        for wrong in ("wrong-token", None):
            with pytest.raises(ChromaUnavailableError, match="STORYFIT_CHROMA_TOKEN"):
                open_index(url, ServerAccess(token=wrong), folder="other")

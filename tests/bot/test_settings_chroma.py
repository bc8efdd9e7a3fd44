"""STORYFIT_CHROMA_TOKEN, STORYFIT_CHROMA_TENANT and STORYFIT_CHROMA_DATABASE: read under their
names, checked at start, and used by the service on a Chroma server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.service import StoryfitService
from bot.settings import SettingsError, load_settings
from tests.support.chroma_server import chroma_server  # noqa: F401 (a pytest fixture)
from tests.support.token_proxy import token_gate

NAMES = ("STORYFIT_CHROMA_TOKEN", "STORYFIT_CHROMA_TENANT", "STORYFIT_CHROMA_DATABASE")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("STORYFIT_CHROMA_URL", *NAMES):
        monkeypatch.delenv(name, raising=False)


def test_unset_by_default() -> None:
    settings = load_settings()
    assert (settings.chroma_token, settings.chroma_tenant, settings.chroma_database) == (
        None,
        None,
        None,
    )


def test_read_under_their_names_and_the_token_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYFIT_CHROMA_TOKEN", "ck-abc123")
    monkeypatch.setenv("STORYFIT_CHROMA_TENANT", "acme-tenant")
    monkeypatch.setenv("STORYFIT_CHROMA_DATABASE", "storyfit")
    settings = load_settings()
    assert settings.chroma_token is not None
    assert settings.chroma_token.get_secret_value() == "ck-abc123"
    assert "ck-abc123" not in repr(settings)
    assert (settings.chroma_tenant, settings.chroma_database) == ("acme-tenant", "storyfit")


@pytest.mark.parametrize("token", ["two words", "jeton-façade"])
def test_a_token_chroma_cannot_send_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("STORYFIT_CHROMA_TOKEN", token)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message == (
        "Invalid setting STORYFIT_CHROMA_TOKEN: must be ASCII letters, digits and punctuation "
        "only (no spaces)"
    )


def test_tenant_and_database_names_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYFIT_CHROMA_DATABASE", "db")
    with pytest.raises(SettingsError, match="'db' is not a Chroma tenant or database name"):
        load_settings()


@pytest.mark.server
def test_the_service_uses_the_token_and_database(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    model_dir: Path,
    chroma_server: str,  # noqa: F811 (the fixture)
) -> None:
    with token_gate(chroma_server, "svc-token") as gate:
        monkeypatch.setenv("STORYFIT_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("STORYFIT_EMBEDDING_MODEL_DIR", str(model_dir))
        monkeypatch.setenv("STORYFIT_CHROMA_URL", gate.url)
        monkeypatch.setenv("STORYFIT_CHROMA_TOKEN", "svc-token")
        monkeypatch.setenv("STORYFIT_CHROMA_DATABASE", "storyfit-service-test")
        with StoryfitService(load_settings()) as service:
            assert service.index.count() == 0
    assert gate.seen
    assert {request.token for request in gate.seen} == {"svc-token"}
    assert any("/databases/storyfit-service-test/" in request.path for request in gate.seen)

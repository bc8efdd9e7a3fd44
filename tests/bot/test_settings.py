"""Settings come from the environment under the design's names, and bad values fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from retrieval.tiers import INDUSTRY_SCHEME


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "STORYFIT_DATA_DIR",
        "STORYFIT_CHROMA_URL",
        "STORYFIT_EMBEDDING",
        "STORYFIT_TIERS",
        "STORYFIT_ADMIN_USERS",
        "STORYFIT_DIGEST_CRON",
        "STORYFIT_TIMEZONE",
        "OPENAI_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_no_accounts_or_keys() -> None:
    settings = load_settings()
    assert settings.embedding == "local"
    assert settings.chroma_url is None
    assert settings.tiers.name == "default"
    assert settings.digest_cron == "0 9 * * MON"
    assert settings.timezone == "UTC"
    assert not settings.llm_enabled
    assert settings.resolved_database_url.startswith("sqlite:///")


def test_names_from_the_design_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STORYFIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STORYFIT_CHROMA_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("STORYFIT_TIERS", "industry")
    monkeypatch.setenv("STORYFIT_ADMIN_USERS", "U123, U456")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("STORYFIT_TIMEZONE", "Europe/Berlin")
    settings = load_settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.chroma_url == "http://127.0.0.1:8000"
    assert settings.tiers is INDUSTRY_SCHEME
    assert settings.admin_users == ["U123", "U456"]
    assert settings.llm_enabled


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("STORYFIT_TIERS=micro:0,macro:50000\n", encoding="utf-8")
    assert load_settings().tiers.classify(50_000).name == "macro"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STORYFIT_EMBEDDING", "bert"),
        ("STORYFIT_TIERS", "enormous"),
        ("STORYFIT_CHROMA_URL", "localhost:8000"),
        ("STORYFIT_DIGEST_CRON", "every monday"),
        ("STORYFIT_TIMEZONE", "Mars/Olympus"),
        ("STORYFIT_CHROMA_TOKEN", "two words"),
        ("STORYFIT_CHROMA_TENANT", "my tenant"),
        ("STORYFIT_CHROMA_DATABASE", "db"),
    ],
)
def test_invalid_values_name_the_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"Invalid setting {variable}:")
    assert "\n" not in message

"""The one place configuration is read: environment variables and an optional ``.env`` file.

Build ``Settings`` once at an entry point and pass it down; no other module reads the environment.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from croniter import croniter
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retrieval.tiers import DEFAULT_SCHEME, TierScheme, parse_tier_scheme

#: STORYFIT_STATE_SECRET signs the OAuth state parameter: shorter secrets are guessable.
MIN_STATE_SECRET_CHARS = 32
#: What Chroma's token auth accepts in a token (chromadb.auth.token_authn).
_TOKEN_CHARACTERS = frozenset(string.ascii_letters + string.digits + string.punctuation)
_CHROMA_NAME = re.compile(r"[A-Za-z0-9._-]{3,128}")


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Every setting Storyfit reads, under the names in the design's settings table."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("storyfit")),
        validation_alias=_env("STORYFIT_DATA_DIR"),
    )
    chroma_url: str | None = Field(default=None, validation_alias=_env("STORYFIT_CHROMA_URL"))
    chroma_token: SecretStr | None = Field(
        default=None, validation_alias=_env("STORYFIT_CHROMA_TOKEN")
    )
    chroma_tenant: str | None = Field(default=None, validation_alias=_env("STORYFIT_CHROMA_TENANT"))
    chroma_database: str | None = Field(
        default=None, validation_alias=_env("STORYFIT_CHROMA_DATABASE")
    )
    embedding: Literal["local", "openai"] = Field(
        default="local", validation_alias=_env("STORYFIT_EMBEDDING")
    )
    embedding_model_dir: Path | None = Field(
        default=None, validation_alias=_env("STORYFIT_EMBEDDING_MODEL_DIR")
    )
    database_url: str | None = Field(default=None, validation_alias=_env("STORYFIT_DATABASE_URL"))
    tiers: Annotated[TierScheme, NoDecode] = Field(
        default=DEFAULT_SCHEME, validation_alias=_env("STORYFIT_TIERS")
    )

    openai_api_key: SecretStr | None = Field(default=None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=_env("OPENAI_BASE_URL"))
    openai_model: str = Field(default="gpt-4o-mini", validation_alias=_env("STORYFIT_OPENAI_MODEL"))
    openai_embedding_model: str = Field(
        default="text-embedding-3-small", validation_alias=_env("STORYFIT_OPENAI_EMBEDDING_MODEL")
    )
    openai_deadline_seconds: float = Field(
        default=20.0, gt=0, le=300, validation_alias=_env("STORYFIT_OPENAI_DEADLINE")
    )

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_APP_TOKEN")
    )
    slack_api_url: str | None = Field(default=None, validation_alias=_env("STORYFIT_SLACK_API_URL"))
    slack_client_id: str | None = Field(default=None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_CLIENT_SECRET")
    )
    state_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("STORYFIT_STATE_SECRET")
    )
    admin_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("STORYFIT_ADMIN_USERS")
    )

    digest_cron: str = Field(default="0 9 * * MON", validation_alias=_env("STORYFIT_DIGEST_CRON"))
    timezone: str = Field(default="UTC", validation_alias=_env("STORYFIT_TIMEZONE"))

    log_format: Literal["text", "json"] = Field(
        default="text", validation_alias=_env("STORYFIT_LOG_FORMAT")
    )

    @field_validator("tiers", mode="before")
    @classmethod
    def _read_tiers(cls, value: object) -> object:
        return parse_tier_scheme(value) if isinstance(value, str) else value

    @field_validator("admin_users", mode="before")
    @classmethod
    def _read_user_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [user.strip() for user in value.replace(";", ",").split(",") if user.strip()]
        return value

    @field_validator("chroma_url", "openai_base_url", "slack_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.strip()

    @field_validator("slack_client_id")
    @classmethod
    def _optional_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return value.strip() or None

    @field_validator("state_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value()) < MIN_STATE_SECRET_CHARS:
            raise ValueError(
                f"must be at least {MIN_STATE_SECRET_CHARS} characters of random text, e.g. "
                'the output of: python -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        return value

    @field_validator("chroma_token")
    @classmethod
    def _chroma_token(cls, value: SecretStr | None) -> SecretStr | None:
        token = value.get_secret_value().strip() if value is not None else ""
        if not token:
            return None
        if not all(character in _TOKEN_CHARACTERS for character in token):
            raise ValueError("must be ASCII letters, digits and punctuation only (no spaces)")
        return SecretStr(token)

    @field_validator("chroma_tenant", "chroma_database")
    @classmethod
    def _chroma_name(cls, value: str | None) -> str | None:
        name = (value or "").strip()
        if not name:
            return None
        if not _CHROMA_NAME.fullmatch(name):
            raise ValueError(
                f"{name!r} is not a Chroma tenant or database name: use 3-128 letters, digits, "
                "'.', '_' or '-'"
            )
        return name

    @field_validator("digest_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression like '0 9 * * MON'")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"{value!r} is not a time zone like 'Europe/Berlin' or 'UTC'"
            ) from error
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'history.sqlite3'}"

    @property
    def llm_enabled(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())


class SettingsError(Exception):
    """A setting has an invalid value; the message is one line naming the variable."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = []
        for detail in error.errors():
            name = str(detail["loc"][0]) if detail["loc"] else "settings"
            field = Settings.model_fields.get(name)
            alias = field.validation_alias if field is not None else None
            variable = alias.choices[0] if isinstance(alias, AliasChoices) else name
            message = str(detail["msg"]).removeprefix("Value error, ")
            lines.append(f"Invalid setting {variable}: {message}")
        raise SettingsError("\n".join(lines)) from error

"""The deployment kit, checked without a Docker engine (there is none here): the image installs
the postgres extra and bakes in the checked model; docker-compose.yml runs storyfit beside a
token-gated Chroma server and PostgreSQL, with volumes, health checks and settings under the
names bot/settings.py reads."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
import pytest
import yaml
from pydantic import AliasChoices

from bot.settings import Settings
from tests.conftest import REPO, free_port
from tests.support.chroma_server import chroma_server  # noqa: F401 (a pytest fixture)

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
ENV_EXAMPLE = (REPO / ".env.example").read_text(encoding="utf-8")
GATE_TEMPLATE = (REPO / "deploy" / "chroma-gate.conf.template").read_text(encoding="utf-8")
#: Variables the compose file itself reads from .env (not Storyfit settings).
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def setting_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices)
        names.update(str(choice) for choice in alias.choices)
    return names


def env_example_names() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, flags=re.MULTILINE))


def interpolated(text: str) -> set[str]:
    """The variables compose fills in from .env: ``${NAME}``, ``${NAME:?message}``..."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))


def filled_in(text: str) -> str:
    """``text`` with compose's ``${NAME...}`` replaced by a sample value, as compose would."""
    return re.sub(r"\$\{([A-Z][A-Z0-9_]*)[^}]*\}", lambda match: f"{match[1].lower()}1", text)


def healthcheck(service: str) -> str:
    check = SERVICES[service]["healthcheck"]
    assert {"test", "interval", "timeout", "retries"} <= set(check)
    return " ".join(check["test"]) if isinstance(check["test"], list) else str(check["test"])


# -- the image ----------------------------------------------------------------------------------


def test_the_image_installs_the_postgres_extra() -> None:
    assert 'RUN pip install --no-cache-dir "./[postgres]"' in DOCKERFILE


def test_the_image_bakes_the_checked_model_outside_the_data_volume() -> None:
    model_dir = re.search(r"STORYFIT_EMBEDDING_MODEL_DIR=(\S+)", DOCKERFILE)
    assert model_dir is not None
    folder = Path(model_dir.group(1))
    assert folder.is_absolute() and not folder.is_relative_to("/data")
    fetch = 'RUN python -m retrieval.store.model_files "${STORYFIT_EMBEDDING_MODEL_DIR}"'
    assert DOCKERFILE.index("COPY retrieval ./retrieval") < DOCKERFILE.index(fetch)
    assert DOCKERFILE.index(fetch) < DOCKERFILE.index("\nUSER ")


def test_nothing_downloads_the_model_through_chromadbs_private_method() -> None:
    sources = [*REPO.joinpath("bot").rglob("*.py"), *REPO.joinpath("retrieval").rglob("*.py")]
    assert not [
        path
        for path in sources
        if "_download_model_if_not_exists" in path.read_text(encoding="utf-8")
    ]


# -- docker-compose.yml -------------------------------------------------------------------------


def test_the_services_their_ports_and_volumes() -> None:
    assert set(SERVICES) == {"storyfit", "chroma", "chroma-gate", "postgres"}
    assert SERVICES["storyfit"]["ports"] == ["3000:3000"]
    assert not {"ports"} & (set(SERVICES["chroma"]) | set(SERVICES["postgres"]))
    assert SERVICES["storyfit"]["volumes"] == ["storyfit-data:/data"]
    assert SERVICES["chroma"]["volumes"] == ["chroma-data:/data"]
    assert SERVICES["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    named = {
        volume.split(":")[0]
        for service in SERVICES.values()
        for volume in service.get("volumes", [])
        if not volume.startswith(".")
    }
    assert named == set(COMPOSE["volumes"])
    assert SERVICES["chroma"]["image"] == f"chromadb/chroma:{chromadb.__version__}"
    assert SERVICES["postgres"]["image"].startswith("postgres:")


def test_every_service_has_a_health_check_on_what_it_serves() -> None:
    assert "http://127.0.0.1:3000/readyz" in healthcheck("storyfit")
    assert "GET /api/v2/heartbeat" in healthcheck("chroma")
    assert "X-Chroma-Token: $$CHROMA_TOKEN" in healthcheck("chroma-gate")
    assert "/api/v2/heartbeat" in healthcheck("chroma-gate")
    assert "pg_isready -U storyfit -d storyfit" in healthcheck("postgres")


def test_storyfit_starts_only_once_its_stores_are_healthy() -> None:
    depends = SERVICES["storyfit"]["depends_on"]
    assert depends == {
        name: {"condition": "service_healthy"} for name in ("chroma", "chroma-gate", "postgres")
    }
    assert SERVICES["chroma-gate"]["depends_on"] == {"chroma": {"condition": "service_healthy"}}


def test_settings_go_by_the_names_bot_settings_reads() -> None:
    storyfit = SERVICES["storyfit"]
    assert storyfit["env_file"] == ".env"
    environment = storyfit["environment"]
    assert {"STORYFIT_CHROMA_URL", "STORYFIT_CHROMA_TOKEN", "STORYFIT_DATABASE_URL"} <= set(
        environment
    )
    assert set(environment) <= setting_names()
    assert env_example_names() - COMPOSE_ONLY <= setting_names()
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= env_example_names()
    compose_text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert interpolated(compose_text) <= env_example_names()


def test_storyfit_reaches_chroma_through_the_gate_and_postgres_by_service_name() -> None:
    environment = SERVICES["storyfit"]["environment"]
    chroma = urlsplit(environment["STORYFIT_CHROMA_URL"])
    assert (chroma.hostname, chroma.port) == ("chroma-gate", 8000)
    assert "listen 8000;" in GATE_TEMPLATE
    assert "proxy_pass http://chroma:8000;" in GATE_TEMPLATE
    gate = SERVICES["chroma-gate"]
    assert gate["environment"]["CHROMA_TOKEN"].startswith("${STORYFIT_CHROMA_TOKEN:?")
    assert environment["STORYFIT_CHROMA_TOKEN"] == gate["environment"]["CHROMA_TOKEN"]
    assert '"${CHROMA_TOKEN}" 1;' in GATE_TEMPLATE and "$http_x_chroma_token" in GATE_TEMPLATE
    database = urlsplit(filled_in(environment["STORYFIT_DATABASE_URL"]))
    postgres = SERVICES["postgres"]["environment"]
    assert database.scheme == "postgresql+psycopg"
    assert (database.hostname, database.port) == ("postgres", 5432)
    assert database.username == postgres["POSTGRES_USER"]
    assert database.path == f"/{postgres['POSTGRES_DB']}"
    assert database.password == filled_in(postgres["POSTGRES_PASSWORD"]) == "postgres_password1"


def test_the_chroma_server_is_reachable_only_through_the_gate() -> None:
    assert SERVICES["chroma"]["networks"] == ["chroma-internal"]
    assert COMPOSE["networks"]["chroma-internal"] == {"internal": True}
    assert "chroma-internal" in SERVICES["chroma-gate"]["networks"]
    assert "networks" not in SERVICES["storyfit"]  # the default network only


@pytest.mark.server
def test_the_chroma_health_check_passes_on_a_live_server_only(
    chroma_server: str,  # noqa: F811 (the fixture)
) -> None:
    """The chroma service's check, run here (bash, as in the image) against `chroma run`."""
    command = SERVICES["chroma"]["healthcheck"]["test"]
    assert command[:2] == ["CMD", "/bin/bash"] and "/dev/tcp/127.0.0.1/8000" in command[-1]

    def check(port: int) -> int:
        probe = [part.replace("/8000", f"/{port}") for part in command[1:]]
        return subprocess.run(probe, capture_output=True, timeout=10).returncode

    assert check(int(chroma_server.rsplit(":", 1)[1])) == 0
    assert check(free_port()) != 0

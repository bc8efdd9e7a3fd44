"""Many-workspace set-up without a server: which settings OAuth needs, the scopes it asks for, and
each workspace's client from the installation store."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs
from slack_bolt.request import BoltRequest
from slack_sdk.oauth.installation_store import Installation

from bot.history.store import History
from bot.settings import Settings, SettingsError, load_settings
from bot.slack.client import SlackSetupError, check_slack_settings, uses_oauth
from bot.slack.install_pages import installed, not_installed
from bot.slack.installations import BOT_SCOPES, Installations, NotInstalledError, digest_clients
from tests.conftest import REPO

pytest_plugins = ("tests.support.postgres_server",)

STATE_SECRET = "x" * 32
OAUTH = {
    "slack_client_id": "1111.2222",
    "slack_client_secret": "client-secret",
    "state_secret": STATE_SECRET,
}


def settings(tmp_path: Path, **values: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": None,
        "slack_bot_token": None,
        "slack_signing_secret": "signing-secret",
        "slack_app_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
        "state_secret": None,
        "slack_api_url": "http://127.0.0.1:9/api/",
    }
    return load_settings(**{**base, **values})


def test_the_three_oauth_variables_replace_the_bot_token(tmp_path: Path) -> None:
    configured = settings(tmp_path, **OAUTH)
    assert uses_oauth(configured) and check_slack_settings(configured) == "http"


def test_one_workspace_with_a_bot_token_is_unchanged(tmp_path: Path) -> None:
    single = settings(tmp_path, slack_bot_token="xoxb-1")
    assert not uses_oauth(single) and check_slack_settings(single) == "http"


@pytest.mark.parametrize("missing", ["slack_client_id", "slack_client_secret", "state_secret"])
def test_a_half_configured_oauth_set_names_the_missing_variable(
    tmp_path: Path, missing: str
) -> None:
    variable = {
        "slack_client_id": "SLACK_CLIENT_ID",
        "slack_client_secret": "SLACK_CLIENT_SECRET",
        "state_secret": "STORYFIT_STATE_SECRET",
    }[missing]
    half = settings(tmp_path, slack_bot_token="xoxb-1", **{**OAUTH, missing: None})
    with pytest.raises(SlackSetupError) as refused:
        check_slack_settings(half)
    message = str(refused.value)
    assert message.startswith(f"{variable} is not set") and "\n" not in message


def test_oauth_needs_http_and_the_signing_secret(tmp_path: Path) -> None:
    with pytest.raises(SlackSetupError, match="unset SLACK_APP_TOKEN"):
        check_slack_settings(settings(tmp_path, slack_app_token="xapp-1", **OAUTH))
    with pytest.raises(SlackSetupError, match="SLACK_SIGNING_SECRET is not set"):
        check_slack_settings(settings(tmp_path, slack_signing_secret=None, **OAUTH))


def test_a_short_state_secret_is_refused_with_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="STORYFIT_STATE_SECRET: must be at least 32"):
        settings(tmp_path, **{**OAUTH, "state_secret": "short"})


def test_an_install_asks_for_the_manifests_bot_scopes() -> None:
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    assert list(BOT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]


def installation(team_id: str, token: str, enterprise_id: str | None = None) -> Installation:
    return Installation(
        app_id="A0STORYFIT",
        enterprise_id=enterprise_id,
        team_id=team_id,
        bot_token=token,
        bot_id="B0STORYBOT",
        bot_user_id="U0STORYBOT",
        user_id="U0INSTALLER",
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """The history database: the SQLite default in the data dir, or PostgreSQL."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


def test_each_workspace_gets_a_client_with_its_own_newest_token(
    tmp_path: Path, database_url: str | None
) -> None:
    configured = settings(tmp_path, database_url=database_url, **OAUTH)
    history = History.open(configured.resolved_database_url)
    installations = Installations(configured, history.engine)
    try:
        installations.store.save(installation("T0ALPHA", "xoxb-alpha-old"))
        installations.store.save(installation("T0ALPHA", "xoxb-alpha-new"))
        installations.store.save(installation("T0GRID", "xoxb-grid", enterprise_id="E0ORG"))
        assert installations.digest_client("T0ALPHA").token == "xoxb-alpha-new"
        assert installations.digest_client("T0GRID").token == "xoxb-grid"
        assert installations.digest_client("T0GRID").base_url == "http://127.0.0.1:9/api/"
        installations.store.delete_all(enterprise_id=None, team_id="T0ALPHA")
        with pytest.raises(NotInstalledError, match="not installed in workspace T0ALPHA"):
            installations.digest_client("T0ALPHA")
    finally:
        history.close()


def test_digests_with_half_the_oauth_settings_name_the_missing_one(tmp_path: Path) -> None:
    half = settings(tmp_path, **{**OAUTH, "state_secret": None})
    history = History.open(half.resolved_database_url)
    try:
        with pytest.raises(SlackSetupError, match=r"^STORYFIT_STATE_SECRET is not set"):
            digest_clients(half, history.engine)
    finally:
        history.close()


def test_an_install_state_is_accepted_once_and_only_as_signed(
    tmp_path: Path, database_url: str | None
) -> None:
    configured = settings(tmp_path, database_url=database_url, **OAUTH)
    history = History.open(configured.resolved_database_url)
    other = settings(tmp_path, database_url=database_url, **{**OAUTH, "state_secret": "y" * 32})
    try:
        states = Installations(configured, history.engine).states
        elsewhere = Installations(other, history.engine).states
        first, second = states.issue(), states.issue()
        assert states.consume(first) and not states.consume(first)
        assert not elsewhere.consume(second) and states.consume(second)
        assert not states.consume(first.rpartition(".")[0]) and not states.consume("")
    finally:
        history.close()


def test_an_unknown_failure_is_shown_escaped_with_a_way_to_start_again(tmp_path: Path) -> None:
    configured = settings(tmp_path, **OAUTH)
    history = History.open(configured.resolved_database_url)
    try:
        oauth = Installations(configured, history.engine).oauth_settings()
        failure = FailureArgs(
            request=BoltRequest(body="", query="error=x"),
            reason="<script>alert(1)</script>",
            suggested_status_code=200,
            settings=oauth,
            default=CallbackOptions(success=installed, failure=not_installed),
        )
        page = not_installed(failure)
    finally:
        history.close()
    assert page.status == 200 and "Storyfit was not installed" in page.body
    assert "&lt;script&gt;" in page.body and "<script>" not in page.body
    assert 'href="/slack/install"' in page.body

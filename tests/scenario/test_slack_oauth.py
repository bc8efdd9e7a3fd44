"""Many workspaces: installing through Slack's OAuth flow against the local Slack API server, then
signed requests from each workspace answered with that workspace's own token, until it uninstalls.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.app import NOT_INSTALLED
from bot.history.tables import SLACK_OAUTH_STATES_TABLE, Base
from bot.observability.routes import Operations
from bot.server import build_asgi, open_app
from bot.settings import Settings
from bot.slack.installations import BOT_SCOPES, NotInstalledError, digest_clients
from bot.workspaces import Workspaces
from tests.support.slack_harness import (
    ADMIN,
    SIGNING_SECRET,
    Reply,
    ServerThread,
    SlackRequests,
    clean_env,
    serving,
    slack_settings_for,
    storyfit_command,
)
from tests.support.slack_mock_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    MockWorkspace,
    RecordedCall,
    SlackMockServer,
)

STATE_SECRET = "storyfit-test-state-secret-of-enough-length"
#: Fits the coffee roster best; Beta's runners must never hear of Alpha's coffee creators.
BRIEF = "Creators who make slow weekend coffee rituals part of their mornings"
ALPHA = MockWorkspace("T0ALPHA", "Alpha Roasters", "xoxb-alpha-token")
BETA = MockWorkspace("T0BETA", "Beta Running Club", "xoxb-beta-token")
COOKIE = "slack-app-oauth-state"


def oauth_settings(data_dir: Path, model_dir: Path, api_url: str) -> Settings:
    """The test app's settings for many workspaces: OAuth credentials, no bot token."""
    return slack_settings_for(data_dir, model_dir, api_url).model_copy(
        update={
            "slack_bot_token": None,
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": SecretStr(CLIENT_SECRET),
            "state_secret": SecretStr(STATE_SECRET),
        }
    )


@pytest.fixture(scope="module")
def oauth_mock() -> Iterator[SlackMockServer]:
    with SlackMockServer() as mock:
        yield mock


ROSTERS = {
    ALPHA.team_id: [
        ("alpha_pourover", 8_200, "Slow weekend pour-over rituals, hand grinders and latte art."),
        ("alpha_beans", 250_000, "Specialty coffee roaster visits and brewing guides."),
        ("alpha_cafe_walks", 4_100, "Neighbourhood cafe walks and the morning brew, every day."),
    ],
    BETA.team_id: [
        ("beta_trailrun", 6_300, "Trail running at dawn, ultra training and recovery."),
        ("beta_marathon", 310_000, "Marathon coach: race plans, tempo runs and running shoes."),
        ("beta_parkrun", 2_900, "Weekly parkrun stories and beginner running tips."),
    ],
}


def roster_file(folder: Path, team_id: str) -> Path:
    path = folder / f"{team_id}.csv"
    rows = [f"{handle},instagram,{followers},{bio}" for handle, followers, bio in ROSTERS[team_id]]
    path.write_text("handle,platform,followers,bio\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def oauth_workspaces(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path, oauth_mock: SlackMockServer
) -> Iterator[Workspaces]:
    """Many workspaces, as ``storyfit serve`` opens them with the OAuth settings, each team
    with its own roster."""
    folder = tmp_path_factory.mktemp("oauth")
    settings = oauth_settings(folder / "data", model_dir, oauth_mock.api_url)
    with Workspaces(settings, per_team=True) as workspaces:
        for team_id in ROSTERS:
            workspaces.service(team_id).import_roster(roster_file(folder, team_id))
        yield workspaces


@pytest.fixture(scope="module")
def oauth_server(
    oauth_workspaces: Workspaces, oauth_mock: SlackMockServer
) -> Iterator[SlackRequests]:
    app = open_app(oauth_workspaces.settings, oauth_workspaces)
    with ServerThread(build_asgi(app, Operations("http"))) as server:
        yield SlackRequests(server.url, oauth_mock)


@pytest.fixture
def slack(oauth_server: SlackRequests, oauth_mock: SlackMockServer) -> SlackRequests:
    oauth_mock.settle(quiet=0.3)
    oauth_mock.reset()
    return oauth_server


def started_install(slack: SlackRequests) -> tuple[Reply, str]:
    """``GET /slack/install``: the page and the state its cookie carries."""
    page = slack.get("/slack/install")
    cookie = SimpleCookie()
    for header in page.header("set-cookie"):
        cookie.load(header)
    return page, cookie[COOKIE].value


def redirect(slack: SlackRequests, state: str, *, cookie: str | None = None, **query: str) -> Reply:
    """Slack sending the installer back to ``/slack/oauth_redirect``, from their browser."""
    headers = {"Cookie": f"{COOKIE}={state if cookie is None else cookie}"}
    return slack.get("/slack/oauth_redirect?" + urlencode({**query, "state": state}), headers)


def install(slack: SlackRequests, workspace: MockWorkspace) -> Reply:
    """The whole flow: the install page, Slack's approval, the redirect back."""
    _, state = started_install(slack)
    code = f"code-{workspace.team_id}-{time.monotonic_ns()}"
    slack.mock.grant(code, workspace)
    return redirect(slack, state, code=code)


def from_team(slack: SlackRequests, workspace: MockWorkspace) -> SlackRequests:
    return dataclasses.replace(slack, team=workspace.team_id)


def token_of(call: RecordedCall) -> str:
    return call.headers.get("authorization", "").removeprefix("Bearer ")


def test_the_install_page_links_to_slack_with_our_scopes_and_a_signed_state(
    slack: SlackRequests,
) -> None:
    page, state = started_install(slack)
    assert page.status == 200 and "Add Storyfit to Slack" in page.body
    [link] = re.findall(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', page.body)
    query = parse_qs(urlparse(link.replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    assert query["state"] == [state]
    value, _, signature = state.rpartition(".")
    assert value and len(signature) == 64


def test_two_workspaces_install_and_each_is_answered_from_its_own_roster_with_its_own_token(
    slack: SlackRequests,
) -> None:
    for workspace in (ALPHA, BETA):
        page = install(slack, workspace)
        assert page.status == 200, page.body
        assert "Storyfit is installed" in page.body and workspace.name in page.body
        [cleared] = page.header("set-cookie")
        assert cleared.startswith(f"{COOKIE}=deleted;") and "expires=Thu, 01 Jan 1970" in cleared
    assert len(slack.mock.calls("oauth.v2.access")) == 2

    for workspace, own, other in ((ALPHA, "alpha_", "beta_"), (BETA, "beta_", "alpha_")):
        slack.mock.settle(quiet=0.3)
        slack.mock.reset()
        reply = from_team(slack, workspace).command("/storyfit", BRIEF)
        assert reply.status == 200
        [answer] = slack.mock.wait_for("chat.update", timeout=60)
        shown = json.dumps(answer.body.get("blocks"))
        assert own in shown and other not in shown
        slack.mock.settle()
        web_api = [call for call in slack.mock.calls() if call.method != "response_url"]
        assert web_api and {token_of(call) for call in web_api} == {workspace.bot_token}


def test_a_used_forged_or_other_browser_state_gets_a_clear_page_and_installs_nothing(
    slack: SlackRequests,
) -> None:
    _, state = started_install(slack)
    slack.mock.grant("code-once", ALPHA)
    assert redirect(slack, state, code="code-once").status == 200
    slack.mock.grant("code-twice", BETA)

    replayed = redirect(slack, state, code="code-twice")
    value, _, _ = state.rpartition(".")
    forged = redirect(slack, f"{value}.{'0' * 64}", code="code-twice")
    _, fresh = started_install(slack)
    elsewhere = redirect(slack, fresh, cookie="another-browser", code="code-twice")

    assert (replayed.status, forged.status, elsewhere.status) == (401, 401, 400)
    for page in (replayed, forged):
        assert "This install link has expired" in page.body and "/slack/install" in page.body
    assert "same browser" in elsewhere.body
    for page in (replayed, forged, elsewhere):
        assert "Traceback" not in page.body and "invalid_" not in page.body
    assert len(slack.mock.calls("oauth.v2.access")) == 1


def test_an_expired_install_link_gets_a_clear_page_and_is_forgotten(
    slack: SlackRequests, oauth_workspaces: Workspaces
) -> None:
    engine = oauth_workspaces.service(None).history.engine
    states = Base.metadata.tables[SLACK_OAUTH_STATES_TABLE]
    _, state = started_install(slack)
    with engine.begin() as connection:
        connection.execute(states.update().values(expire_at=datetime(2000, 1, 1)))
    slack.mock.grant("code-late", ALPHA)

    late = redirect(slack, state, code="code-late")
    started_install(slack)

    assert late.status == 401 and "This install link has expired" in late.body
    assert slack.mock.calls("oauth.v2.access") == []
    with engine.connect() as connection:
        kept = connection.execute(select(states.c.expire_at)).scalars().all()
    assert [when > datetime(2001, 1, 1) for when in kept] == [True]


def test_cancelling_in_slack_says_nothing_changed(slack: SlackRequests) -> None:
    _, state = started_install(slack)
    page = redirect(slack, state, error="access_denied")
    assert page.status == 200 and "Installation cancelled" in page.body
    assert slack.mock.calls("oauth.v2.access") == []


def uninstalled(slack: SlackRequests, workspace: MockWorkspace) -> Reply:
    slack.mock.revoke(workspace.team_id)
    return from_team(slack, workspace).event({"type": "app_uninstalled"})


def test_an_uninstalled_workspace_is_refused_while_the_other_keeps_working(
    slack: SlackRequests, oauth_workspaces: Workspaces
) -> None:
    engine = oauth_workspaces.service(None).history.engine
    digests = digest_clients(oauth_workspaces.settings, engine)
    for workspace in (ALPHA, BETA):
        assert install(slack, workspace).status == 200
    assert digests(ALPHA.team_id).token == ALPHA.bot_token
    assert uninstalled(slack, ALPHA).status == 200
    slack.mock.reset()
    with pytest.raises(NotInstalledError, match="not installed in workspace T0ALPHA"):
        digests(ALPHA.team_id)
    assert digests(BETA.team_id).token == BETA.bot_token

    refused = from_team(slack, ALPHA).command("/storyfit", BRIEF)
    answered = from_team(slack, BETA).command("/storyfit", BRIEF)

    assert refused.status == 200 and answered.status == 200
    [note] = slack.mock.wait_for("response_url", where=lambda c: NOT_INSTALLED in str(c.body))
    posted = slack.mock.wait_for("chat.postMessage")
    slack.mock.settle()
    assert {token_of(call) for call in slack.mock.calls("chat.postMessage")} == {BETA.bot_token}
    assert posted and note


def test_revoked_bot_tokens_are_forgotten(slack: SlackRequests) -> None:
    assert install(slack, BETA).status == 200
    slack.mock.revoke(BETA.team_id)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0STORYBOT"]}}
    assert from_team(slack, BETA).event(revoked).status == 200
    slack.mock.reset()

    from_team(slack, BETA).command("/storyfit", BRIEF)

    slack.mock.wait_for("response_url", where=lambda c: NOT_INSTALLED in str(c.body))
    slack.mock.settle()
    assert slack.mock.calls("chat.postMessage") == []


def test_storyfit_serve_installs_and_answers_a_workspace_and_the_cli_posts_its_digest(
    tmp_path: Path, oauth_mock: SlackMockServer
) -> None:
    oauth_mock.settle(quiet=0.3)
    oauth_mock.reset()
    credentials = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "STORYFIT_STATE_SECRET": STATE_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    with serving(tmp_path, oauth_mock, log_file=None, **credentials) as slack:
        ready = slack.get("/readyz")
        assert ready.status == 200, ready.body
        assert install(slack, ALPHA).status == 200
        assert from_team(slack, ALPHA).command("/storyfit", BRIEF).status == 200
        [answer] = oauth_mock.wait_for("chat.update", timeout=60)
    assert token_of(answer) == ALPHA.bot_token
    assert "The roster is empty" in json.dumps(answer.body.get("blocks"))

    env = clean_env(tmp_path, STORYFIT_SLACK_API_URL=oauth_mock.api_url, **credentials)
    digest = ["digest", "--channel", "C0DIGEST"]
    posted, unnamed = (
        subprocess.run(
            storyfit_command(*digest, *team),
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        for team in (["--team", ALPHA.team_id], [])
    )
    assert posted.returncode == 0, posted.stderr
    [message] = oauth_mock.wait_for("chat.postMessage", where=lambda c: "C0DIGEST" in str(c.body))
    assert token_of(message) == ALPHA.bot_token
    assert unnamed.returncode == 1 and "give --team" in unnamed.stderr


def test_storyfit_serve_with_half_the_oauth_settings_names_the_missing_one(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        storyfit_command("serve", "--port", "0"),
        capture_output=True,
        text=True,
        env=clean_env(tmp_path, SLACK_CLIENT_ID=CLIENT_ID, SLACK_SIGNING_SECRET=SIGNING_SECRET),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    [line] = result.stderr.strip().splitlines()
    assert result.returncode == 1 and "SLACK_CLIENT_SECRET is not set" in line


def test_a_workspace_waiting_on_slack_to_authorise_it_holds_up_no_one_else(
    slack: SlackRequests,
) -> None:
    newcomer = MockWorkspace("T0GAMMA", "Gamma Gardens", "xoxb-gamma-token")
    for workspace in (BETA, newcomer):
        assert install(slack, workspace).status == 200
    from_team(slack, BETA).command("/tier", "1")  # Beta's token is checked (and remembered)
    held = slack.mock.delay_once("auth.test", 3.0)  # Gamma's first request checks its token

    with ThreadPoolExecutor(1) as background:
        waiting = background.submit(from_team(slack, newcomer).command, "/tier", "8500")
        assert held.wait(timeout=30)
        started = time.monotonic()
        health = slack.get("/healthz")
        elsewhere = from_team(slack, BETA).command("/tier", "8500")
        waited = time.monotonic() - started
        assert waiting.result().status == 200

    assert health.status == 200 and elsewhere.status == 200 and "micro" in elsewhere.body
    assert waited < 1.5


def test_a_roster_sent_in_one_workspace_is_fetched_with_that_workspaces_token(
    slack: SlackRequests,
) -> None:
    assert install(slack, ALPHA).status == 200
    slack.mock.reset()
    file_id = slack.mock.share_file("roster.csv", b"handle,followers\nnewbie,1200\n")
    files = [{"id": file_id, "name": "roster.csv"}]

    reply, _ = from_team(slack, ALPHA).direct_message(
        "", user=ADMIN, subtype="file_share", files=files
    )

    assert reply.status == 200
    slack.mock.wait_for("chat.postMessage", timeout=60)
    [download] = slack.mock.calls("download")
    assert download.status == 200 and token_of(download) == ALPHA.bot_token
    assert {token_of(call) for call in slack.mock.calls("files.info")} == {ALPHA.bot_token}

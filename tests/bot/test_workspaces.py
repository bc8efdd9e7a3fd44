"""``Workspaces``: one service per Slack team, one embedder for all, team ids checked before they
name a folder or a collection; digests of every team, each through its own Slack client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.digest.delivery import DigestScheduler
from bot.listeners.runtime import ListenerDeps, NoWorkspaceError
from bot.service import StoryfitService
from bot.settings import Settings, load_settings
from bot.slack.admins import Admins
from bot.workspaces import Workspaces, checked_team_id
from retrieval.errors import StoryfitError
from retrieval.store.chroma import server_client
from tests.conftest import SAMPLE_ROSTER
from tests.support.chroma_server import running_chroma
from tests.support.digest_fixtures import CHANNEL, RUN, SUBSCRIBED, digest_settings, record_week
from tests.support.slack_mock_server import SlackMockServer

TEAM_A = "T0AAAAAAA"
TEAM_B = "T0BBBBBBB"


@pytest.mark.parametrize(
    ("text", "team"), [("T0AAAAAAA", TEAM_A), (" t0aaaaaaa ", TEAM_A), ("E0ORG", "E0ORG")]
)
def test_a_slack_team_id_is_taken_upper_cased(text: str, team: str) -> None:
    assert checked_team_id(text) == team


@pytest.mark.parametrize(
    "text", ["../x", "", "   ", "T", "X123", "T0A/B", "T0A\\B", "T0A.B", "T0Ä", "T" + "0" * 32]
)
def test_anything_but_a_slack_team_id_is_refused_with_what_one_looks_like(text: str) -> None:
    with pytest.raises(StoryfitError, match=r"is not a Slack team id\. A team id looks like T0123"):
        checked_team_id(text)


def test_a_service_refuses_a_malformed_team_before_making_any_folder(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    with pytest.raises(StoryfitError, match=re.escape("“../x” is not a Slack team id")):
        StoryfitService(settings, team_id="../x")
    assert not (tmp_path / "data").exists()


def test_one_workspace_gives_every_team_the_single_service(tmp_path: Path) -> None:
    with Workspaces(load_settings(data_dir=tmp_path), per_team=False) as workspaces:
        single = workspaces.service(None)
        assert workspaces.service(TEAM_A) is single and single.team_id is None
        assert single.data_dir == tmp_path
        assert workspaces.teams() == []


def test_many_workspaces_get_a_service_each_sharing_one_embedder(
    tmp_path: Path, model_dir: Path
) -> None:
    settings = load_settings(data_dir=tmp_path, embedding_model_dir=model_dir, embedding="local")
    with Workspaces(settings, per_team=True) as workspaces:
        team_a = workspaces.service(TEAM_A.lower())
        assert workspaces.service(TEAM_A) is team_a
        assert team_a.team_id == TEAM_A and team_a.data_dir == tmp_path / "teams" / TEAM_A
        team_b, single = workspaces.service(TEAM_B), workspaces.service(None)
        assert len({id(team_a), id(team_b), id(single)}) == 3
        assert team_a.embedder is team_b.embedder is single.embedder
        with pytest.raises(StoryfitError, match="not a Slack team id"):
            workspaces.service("../../etc")

        team_a.import_roster(SAMPLE_ROSTER)
        assert team_a.tier_counts() != dict.fromkeys(team_a.tier_counts(), 0)
        assert sum(team_b.tier_counts().values()) == sum(single.tier_counts().values()) == 0
        assert workspaces.teams() == [TEAM_A, TEAM_B]


@pytest.mark.server
def test_on_a_chroma_server_each_team_has_a_collection_of_its_own(
    tmp_path: Path, model_dir: Path
) -> None:
    with running_chroma(tmp_path / "server") as url:
        settings = load_settings(
            data_dir=tmp_path / "data", chroma_url=url, embedding_model_dir=model_dir
        )
        with Workspaces(settings, per_team=True) as workspaces:
            workspaces.service(TEAM_A).import_roster(SAMPLE_ROSTER)
            assert sum(workspaces.service(TEAM_B).tier_counts().values()) == 0
            assert sum(workspaces.service(None).tier_counts().values()) == 0
        client = server_client(url)
        names = {collection.name for collection in client.list_collections()}
        assert names == {"storyfit-creators", f"storyfit-creators-{TEAM_A}",
                         f"storyfit-creators-{TEAM_B}"}  # fmt: skip
        assert client.get_collection(f"storyfit-creators-{TEAM_A}").count() > 0
        assert list((tmp_path / "data" / "teams" / TEAM_A).glob("catalog-*.sqlite3"))


# -- digests: every team's, each through its own client ---------------------------------------


@pytest.fixture(scope="module")
def mock() -> Iterator[SlackMockServer]:
    with SlackMockServer() as server:
        yield server


@pytest.fixture
def digest_workspaces(tmp_path: Path, mock: SlackMockServer) -> Iterator[Workspaces]:
    mock.reset()
    settings: Settings = digest_settings(tmp_path, None, mock)
    with Workspaces(settings, per_team=True) as workspaces:
        yield workspaces


def test_the_scheduler_sends_each_teams_digest_with_that_teams_client(
    digest_workspaces: Workspaces, mock: SlackMockServer
) -> None:
    """The same channel id in two workspaces: two subscriptions, two digests, each telling only
    its own team's week and posted with its own team's token."""
    team_a, team_b = digest_workspaces.service(TEAM_A), digest_workspaces.service(TEAM_B)
    for service in (team_a, team_b):
        service.history.subscribe(CHANNEL, created_by="U0ADMIN", at=SUBSCRIBED)
    record_week(team_a.history)

    def client_for(team_id: str | None) -> WebClient:
        return WebClient(token=f"xoxb-{team_id or 'single'}", base_url=mock.api_url)

    scheduler = DigestScheduler(
        digest_workspaces, client_for, clock=lambda: RUN + timedelta(minutes=1)
    )
    results = scheduler.run_once()
    assert [result.status for result in results] == ["posted", "posted"]
    by_token = {
        call.headers["authorization"]: str(call.body["blocks"])
        for call in mock.calls("chat.postMessage")
    }
    assert set(by_token) == {f"Bearer xoxb-{TEAM_A}", f"Bearer xoxb-{TEAM_B}"}
    assert "4 briefs from 2 people" in by_token[f"Bearer xoxb-{TEAM_A}"]
    assert "4 briefs" not in by_token[f"Bearer xoxb-{TEAM_B}"]
    assert scheduler.run_once() == []


def test_a_slack_request_naming_no_workspace_is_refused_when_serving_many(
    tmp_path: Path,
) -> None:
    settings = load_settings(data_dir=tmp_path)
    for per_team in (True, False):
        with Workspaces(settings, per_team=per_team) as workspaces:
            deps = ListenerDeps(workspaces, ThreadPoolExecutor(1), Admins([]))
            if per_team:
                for missing in (None, ""):
                    with pytest.raises(NoWorkspaceError, match="did not say which workspace"):
                        deps.service_for(missing)
                assert deps.service_for(TEAM_A).team_id == TEAM_A
            else:
                assert deps.service_for(None) is deps.service_for(TEAM_A)
            deps.work.shutdown()

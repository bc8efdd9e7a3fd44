"""Many workspaces through the real Bolt app and signed requests: a request from team A is answered
from A's roster and history only, one from team B from B's; neither can reach the other's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.blocks import kit
from bot.blocks.roster_import import CONFIRM_IMPORT
from bot.listeners.actions import RESULT_GONE
from bot.server import build_asgi, open_app
from bot.workspaces import Workspaces
from tests.support.slack_harness import (
    ADMIN,
    DM_CHANNEL,
    ServerThread,
    SlackRequests,
    new_ts,
    slack_mock,
    slack_settings_for,
)
from tests.support.slack_mock_server import RecordedCall, SlackMockServer

__all__ = ["slack_mock"]

TEAM_A = "T0AAAAAAA"
TEAM_B = "T0BBBBBBB"
ROSTER_A = (
    "handle,platform,followers,bio\n"
    "slowpourjane,instagram,8400,Slow pour-over coffee rituals on calm weekend mornings.\n"
    "roastmasterkai,instagram,250000,Roasting small-batch coffee and teaching home brewing.\n"
)
ROSTER_B = (
    "handle,platform,followers,bio\n"
    "beanbrewbella,instagram,7300,Careful home brewing: my morning coffee ritual step by step.\n"
    "espressoeli,instagram,310000,Espresso and latte art for weekend coffee mornings.\n"
)
HANDLES_A = {"slowpourjane", "roastmasterkai"}
HANDLES_B = {"beanbrewbella", "espressoeli"}
BRIEF = "We roast small-batch coffee; we want creators who teach calm morning coffee rituals."


@pytest.fixture(scope="module")
def teams(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path, slack_mock: SlackMockServer
) -> Iterator[tuple[SlackRequests, SlackRequests]]:
    """The app serving every workspace (``per_team``), with team A's and team B's rosters; the
    requests of team A and of team B."""
    data = tmp_path_factory.mktemp("teams")
    settings = slack_settings_for(data, model_dir, slack_mock.api_url)
    with Workspaces(settings, per_team=True) as workspaces:
        for team, roster in ((TEAM_A, ROSTER_A), (TEAM_B, ROSTER_B)):
            path = data / f"{team}.csv"
            path.write_text(roster, encoding="utf-8")
            report = workspaces.service(team).import_roster(path)
            assert len(report.upsert.added) == 2 and report.load.rejected_count == 0
        app = open_app(settings, workspaces)
        with ServerThread(build_asgi(app, "http")) as server:
            yield (
                SlackRequests(server.url, slack_mock, team=TEAM_A),
                SlackRequests(server.url, slack_mock, team=TEAM_B),
            )


@pytest.fixture
def team_a(
    teams: tuple[SlackRequests, SlackRequests], slack_mock: SlackMockServer
) -> SlackRequests:
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    return teams[0]


@pytest.fixture
def team_b(teams: tuple[SlackRequests, SlackRequests]) -> SlackRequests:
    return teams[1]


def mentioned_handles(result: RecordedCall) -> set[str]:
    text = json.dumps(result.body.get("blocks"), ensure_ascii=False)
    return {handle for handle in HANDLES_A | HANDLES_B if f"@{handle}" in text}


def answer_to_mention(slack: SlackRequests) -> RecordedCall:
    slack.mock.reset()
    slack.mention(BRIEF)
    [result] = slack.mock.wait_for("chat.update", timeout=60)
    return result


def test_a_mention_is_answered_from_the_roster_of_the_team_that_asked(
    team_a: SlackRequests, team_b: SlackRequests
) -> None:
    from_a = mentioned_handles(answer_to_mention(team_a))
    assert from_a and from_a <= HANDLES_A
    from_b = mentioned_handles(answer_to_mention(team_b))
    assert from_b and from_b <= HANDLES_B


def test_tier_finds_only_the_asking_teams_creators(
    team_a: SlackRequests, team_b: SlackRequests
) -> None:
    in_a = json.dumps(team_a.command("/tier", "@espressoeli").json())
    assert "No creator with the handle @espressoeli" in in_a
    in_b = json.dumps(team_b.command("/tier", "@espressoeli").json())
    assert "310,000" in in_b


def test_another_team_cannot_act_on_a_result(team_a: SlackRequests, team_b: SlackRequests) -> None:
    """Team B clicking Export CSV with team A's request id (the ids are one sequence) gets
    nothing of it: no file, only "I can't find that result"."""
    result = answer_to_mention(team_a)
    [value] = [
        element["value"]
        for block in result.body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == kit.EXPORT_CSV
    ]
    team_b.click(kit.EXPORT_CSV, value, message_ts=result.body["ts"])
    [told] = team_b.mock.wait_for("chat.postEphemeral")
    assert RESULT_GONE in json.dumps(told.body, ensure_ascii=False)
    team_b.mock.settle()
    assert team_b.mock.calls("files.completeUploadExternal") == []
    team_a.click(kit.EXPORT_CSV, value, message_ts=result.body["ts"])
    [upload] = team_a.mock.wait_for("upload")
    assert "slowpourjane" in upload.raw.decode() or "roastmasterkai" in upload.raw.decode()


def test_a_slash_command_brief_uses_the_asking_teams_roster(
    team_a: SlackRequests, team_b: SlackRequests
) -> None:
    team_b.command("/storyfit", BRIEF)
    [result] = team_b.mock.wait_for("chat.update", timeout=60)
    handles = mentioned_handles(result)
    assert handles and handles <= HANDLES_B


def test_a_roster_sent_in_one_workspace_is_imported_into_that_workspace_only(
    team_a: SlackRequests, team_b: SlackRequests
) -> None:
    """Team B confirming team A's previewed file finds nothing to import; team A's confirmation
    imports it into A's roster alone."""
    roster = "handle,platform,followers,bio\nnewbrewnora,instagram,5100,Cold brew at home.\n"
    file_id = team_a.mock.share_file("roster.csv", roster.encode())
    ts = team_a.direct_message(
        "", user=ADMIN, subtype="file_share", files=[{"id": file_id, "name": "roster.csv"}]
    )[1]
    [preview] = team_a.mock.wait_for("chat.postMessage", timeout=60)

    def confirm(slack: SlackRequests) -> None:
        slack.click(
            CONFIRM_IMPORT,
            file_id,
            message_ts=new_ts(),
            thread_ts=ts,
            channel=DM_CHANNEL,
            user=ADMIN,
        )

    assert file_id in json.dumps(preview.body["blocks"])
    confirm(team_b)
    [gone] = team_b.mock.wait_for("chat.postMessage", 2, timeout=60)[1:]
    assert "already imported or is gone" in json.dumps(gone.body, ensure_ascii=False)
    confirm(team_a)
    team_a.mock.wait_for(
        "chat.update", where=lambda call: "Imported:" in call.body.get("text", ""), timeout=120
    )
    in_a = json.dumps(team_a.command("/tier", "@newbrewnora").json())
    in_b = json.dumps(team_b.command("/tier", "@newbrewnora").json())
    assert "5,100" in in_a and "No creator with the handle @newbrewnora" in in_b

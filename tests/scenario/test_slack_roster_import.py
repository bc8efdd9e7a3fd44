"""Roster import through Slack end to end: the real app on uvicorn with signed requests, the
local Slack Web API server (files.info, url_private) and the real service (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.blocks.roster_import import CONFIRM_IMPORT
from bot.observability.routes import Operations
from bot.server import build_asgi, open_app
from bot.service import StoryfitService
from bot.workspaces import Workspaces
from tests.support.slack_harness import (
    ADMIN,
    DM_CHANNEL,
    USER,
    ServerThread,
    SlackRequests,
    new_ts,
    slack_mock,
    slack_settings_for,
)
from tests.support.slack_mock_server import RecordedCall, SlackMockServer

__all__ = ["slack_mock"]

ROSTER = (
    "handle,platform,followers,bio\n"
    "janecooks,instagram,8400,Home cook sharing weeknight family recipes\n"
    "trailbob,tiktok,lots,Trail runner\n"
    "beanbea,tiktok,120k,Coffee roaster and latte art teacher\n"
    f"{'jane' * 40},tiktok,900,Knitting patterns\n"  # an id longer than Chroma Cloud's 128 bytes
)


@pytest.fixture(scope="module")
def importing_app(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path, slack_mock: SlackMockServer
) -> Iterator[tuple[SlackRequests, StoryfitService]]:
    settings = slack_settings_for(tmp_path_factory.mktemp("import"), model_dir, slack_mock.api_url)
    with Workspaces(settings, per_team=False) as workspaces:
        app = open_app(settings, workspaces)
        with ServerThread(build_asgi(app, Operations("http"))) as server:
            yield SlackRequests(server.url, slack_mock), workspaces.service(None)


@pytest.fixture
def slack(
    importing_app: tuple[SlackRequests, StoryfitService], slack_mock: SlackMockServer
) -> SlackRequests:
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    return importing_app[0]


def send_file(slack: SlackRequests, user: str, name: str, content: bytes) -> str:
    file_id = slack.mock.share_file(name, content)
    reply, ts = slack.direct_message(
        "", user=user, subtype="file_share", files=[{"id": file_id, "name": name}]
    )
    assert reply.status == 200
    return ts


def blocks_text(call: RecordedCall) -> str:
    return json.dumps(call.body.get("blocks") or [], ensure_ascii=False)


def test_an_admin_previews_confirms_and_sees_the_import_complete(
    slack: SlackRequests, importing_app: tuple[SlackRequests, StoryfitService]
) -> None:
    ts = send_file(slack, ADMIN, "roster.csv", ROSTER.encode())
    preview = slack.mock.wait_for("chat.postMessage", timeout=60)[0]
    assert preview.body["thread_ts"] == ts
    text = blocks_text(preview)
    assert "4 rows read · 2 creators to import · 2 rejected" in text
    assert "Row 3, followers" in text
    assert "Row 5, handle: handle 'janejane" in text
    assert "more than the index's 128; check that the cell holds only the handle" in text
    download = slack.mock.calls("download")[0]
    assert download.status == 200, "the file is fetched with the bot token"
    assert importing_app[1].index.count() == 0, "nothing is written before the confirmation"

    slack.click(
        CONFIRM_IMPORT,
        preview.body["blocks"][-2]["elements"][0]["value"],
        message_ts=preview.body["ts"] if "ts" in preview.body else new_ts(),
        thread_ts=ts,
        channel=DM_CHANNEL,
        user=ADMIN,
    )
    summary = slack.mock.wait_for(
        "chat.update", where=lambda call: "Imported:" in call.body.get("text", ""), timeout=120
    )[0]
    assert "2 added" in summary.body["text"] and "2 rejected" in summary.body["text"]
    progress = slack.mock.wait_for("chat.postMessage", 2)[1]
    assert "Importing:" in progress.body["text"] and progress.body["thread_ts"] == ts
    assert importing_app[1].find_creator("beanbea").followers == 120_000


def test_someone_who_is_not_an_admin_is_refused_and_nothing_is_downloaded(
    slack: SlackRequests,
) -> None:
    send_file(slack, USER, "roster.csv", ROSTER.encode())
    refusal = slack.mock.wait_for("chat.postMessage", timeout=60)[0]
    assert "Only Storyfit admins can import rosters" in refusal.body["text"]
    assert slack.mock.calls("download") == []


def test_a_file_that_is_not_a_roster_is_explained_in_the_thread(slack: SlackRequests) -> None:
    ts = send_file(slack, ADMIN, "notes.csv", b"\x00\x01\x02binary")
    answer = slack.mock.wait_for("chat.postMessage", timeout=60)[0]
    assert answer.body["thread_ts"] == ts
    assert "is a binary file, not a roster" in blocks_text(answer)
    assert CONFIRM_IMPORT not in blocks_text(answer)


def test_storyfit_import_asks_for_the_file(slack: SlackRequests) -> None:
    reply = slack.command("/storyfit", "import", user=ADMIN)
    assert reply.status == 200
    answer = slack.mock.wait_for("response_url", timeout=30)[0]
    assert "Send me the roster file" in json.dumps(answer.body)

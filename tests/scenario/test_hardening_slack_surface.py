"""Issue 10, the Slack surface: a capped request body, escaped fallback text, a required signing
secret, and who may manage Storyfit (workspace admins and owners by default)."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator

import pytest
import yaml
from pydantic import SecretStr

from bot.app import build_app
from bot.blocks import kit, modal, replies
from bot.listeners.answer import CANNOT_POST
from bot.listeners.subcommands import SubcommandCall, register_subcommand
from bot.server import EVENTS_PATH, MAX_BODY_BYTES, build_asgi, open_app
from bot.service import StoryfitService
from bot.settings import Settings
from bot.slack.admins import Admins
from bot.slack.client import MISSING_SIGNING_SECRET, SlackSetupError
from bot.workspaces import Workspaces
from tests.conftest import REPO
from tests.support.slack_harness import (
    ADMIN,
    CHANNEL,
    USER,
    ServerThread,
    SlackRequests,
    slack,
    slack_mock,
    slack_server,
    slack_service,
    slack_settings,
    slack_workspaces,
)
from tests.support.slack_mock_server import (
    WORKSPACE_ADMIN,
    WORKSPACE_OWNER,
    RecordedCall,
    SlackMockServer,
)

__all__ = [
    "slack",
    "slack_mock",
    "slack_server",
    "slack_service",
    "slack_settings",
    "slack_workspaces",
]

BRIEF = (
    "We roast small-batch coffee and are launching a home brewing kit for slow weekend "
    "mornings; we want creators who teach calm, careful coffee rituals."
)
#: How Slack delivers a literal "<!channel>" typed by a user: escaped, which the bot unescapes.
TYPED_PING = "&lt;!channel&gt;"


# -- 1. the request body is capped while it streams in ---------------------------------------


def _raw_post(base_url: str, headers: list[str], chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request by hand, stopping as soon as the server answers; (answer, bytes sent)."""
    host, port = base_url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            ("\r\n".join([f"POST {EVENTS_PATH} HTTP/1.1", *headers]) + "\r\n\r\n").encode()
        )
        for chunk in chunks:
            if select.select([connection], [], [], 0)[0]:
                break
            try:
                connection.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        connection.settimeout(10)
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = connection.recv(65536)
            if not data:
                break
            answer += data
    return answer, sent


def test_a_body_declared_too_large_is_refused_before_it_is_read(
    slack: SlackRequests,
) -> None:
    declared = 64 * MAX_BODY_BYTES
    started = time.monotonic()
    answer, sent = _raw_post(
        slack.base_url,
        ["Host: storyfit", "Content-Type: application/json", f"Content-Length: {declared}"],
        (b"x" * 65536 for _ in range(declared // 65536)),
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 8 * MAX_BODY_BYTES and time.monotonic() - started < 5
    assert slack.get("/healthz").status == 200


def test_a_streamed_body_is_cut_off_once_it_passes_the_cap(slack: SlackRequests) -> None:
    chunk = b"x" * 65536
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    answer, sent = _raw_post(
        slack.base_url,
        ["Host: storyfit", "Content-Type: application/json", "Transfer-Encoding: chunked"],
        (framed for _ in range(1024)),  # 64 MiB if nobody stopped it
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 8 * MAX_BODY_BYTES
    assert slack.command("/tier", "8500").status == 200


def test_a_body_under_the_cap_still_reaches_the_signature_check(slack: SlackRequests) -> None:
    body = json.dumps({"type": "event_callback", "padding": "x" * (MAX_BODY_BYTES - 1000)})
    assert slack.post(body, "application/json", signature="v0=forged").status == 401


# -- 2. fallback text is escaped like the blocks ---------------------------------------------


def _texts_sent(mock: SlackMockServer) -> list[str]:
    return [str(call.body.get("text") or "") for call in mock.calls() if call.method != "upload"]


def test_a_typed_channel_ping_never_reaches_slack_raw(slack: SlackRequests) -> None:
    slack.mention(f"{TYPED_PING} {BRIEF}")
    [result] = slack.mock.wait_for("chat.update", timeout=60)
    assert "&lt;!channel&gt;" in result.body["text"]
    tier = slack.command("/tier", "@<!channel>").json()
    assert "<!channel>" not in tier["text"] and "&lt;!channel&gt;" in tier["text"]
    assert all("<!" not in text for text in _texts_sent(slack.mock))


def test_every_message_escapes_its_fallback_text_once() -> None:
    message = replies.notice_message("Tom & Jerry <!here> said 1 < 2")
    assert message.text == "Tom &amp; Jerry &lt;!here&gt; said 1 &lt; 2"
    assert kit.SlackMessage(message.text, []).text.count("&amp;amp;") == 1  # escaped twice
    long = replies.error_message("<" * 5000)
    assert len(long.text) <= 4000 and long.text.endswith("…") and "&lt" not in long.text[-4:-1]


# -- 3. no app over HTTP without a signing secret ---------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "   "])
def test_build_app_refuses_http_mode_without_a_signing_secret(
    slack_settings: Settings, slack_workspaces: Workspaces, secret: str | None
) -> None:
    settings = slack_settings.model_copy(
        update={"slack_signing_secret": None if secret is None else SecretStr(secret)}
    )
    with pytest.raises(SlackSetupError) as refused:
        build_app(settings, slack_workspaces)
    assert str(refused.value) == MISSING_SIGNING_SECRET
    assert "SLACK_SIGNING_SECRET is not set" in str(refused.value)


def test_socket_mode_needs_no_signing_secret(
    slack_settings: Settings, slack_workspaces: Workspaces
) -> None:
    settings = slack_settings.model_copy(
        update={"slack_signing_secret": None, "slack_app_token": SecretStr("xapp-1-test")}
    )
    assert build_app(settings, slack_workspaces).name == "storyfit"


# -- 4. who may manage Storyfit, and where it posts ---------------------------------------------


@pytest.fixture(scope="module")
def open_workspace(
    slack_settings: Settings, slack_workspaces: Workspaces, slack_mock: SlackMockServer
) -> Iterator[SlackRequests]:
    """The app with STORYFIT_ADMIN_USERS empty: the workspace's admins and owners manage it."""
    app = open_app(slack_settings.model_copy(update={"admin_users": []}), slack_workspaces)
    with ServerThread(build_asgi(app, "http")) as server:
        yield SlackRequests(server.url, slack_mock)


@pytest.fixture
def workspace(open_workspace: SlackRequests, slack_mock: SlackMockServer) -> SlackRequests:
    slack_mock.settle(quiet=0.3)
    slack_mock.reset()
    return open_workspace


def _told(slack: SlackRequests, text: str, user: str) -> RecordedCall:
    slack.mock.reset()
    assert slack.command("/storyfit", text, user=user).body == ""
    [told] = slack.mock.wait_for("response_url")
    return told


def test_without_admin_users_only_workspace_admins_and_owners_manage_digests(
    workspace: SlackRequests, slack_service: StoryfitService
) -> None:
    slack_service.history.unsubscribe(CHANNEL)
    refused = _told(workspace, "digest subscribe", USER)
    assert "only Storyfit admins" in json.dumps(refused.body)
    assert "a workspace admin or owner" in json.dumps(refused.body)
    assert slack_service.history.active_subscriptions() == []
    for manager in (WORKSPACE_ADMIN, WORKSPACE_OWNER, "U0PRIMARY"):
        told = _told(workspace, "digest subscribe", manager)
        assert "will get the Storyfit digest" in json.dumps(told.body)
        assert _told(workspace, "digest unsubscribe", manager).body["response_type"] == "in_channel"
        assert workspace.mock.calls("users.info") == []  # the role looked up just before


def test_admin_only_subcommands_follow_the_workspace_roles(workspace: SlackRequests) -> None:
    def echo(call: SubcommandCall) -> None:
        call.respond(f"echo {call.args}")

    register_subcommand("guarded-echo", echo, usage="guarded-echo", summary="x", admin_only=True)
    refused = _told(workspace, "guarded-echo hi", USER)
    assert (
        "Only Storyfit admins" in json.dumps(refused.body) and "echo hi" not in refused.body["text"]
    )
    assert _told(workspace, "guarded-echo hi", WORKSPACE_OWNER).body["text"] == "echo hi"


def test_roles_are_cached_per_user_and_a_failed_lookup_refuses(slack_mock: SlackMockServer) -> None:
    from slack_sdk import WebClient

    slack_mock.reset()
    now = [0.0]
    admins = Admins([], ttl_seconds=300, clock=lambda: now[0])
    client = WebClient(token="xoxb-test", base_url=slack_mock.api_url)
    assert admins.allows(client, WORKSPACE_ADMIN) and admins.allows(client, WORKSPACE_ADMIN)
    assert not admins.allows(client, USER)
    assert len(slack_mock.calls("users.info")) == 2
    now[0] = 301.0
    slack_mock.fail_once("users.info", "missing_scope")
    assert not admins.allows(client, WORKSPACE_ADMIN)
    assert admins.allows(client, WORKSPACE_ADMIN)  # the failure was not remembered
    assert Admins([ADMIN]).allows(client, ADMIN) and not Admins([ADMIN]).allows(client, USER)
    assert len(slack_mock.calls("users.info")) == 4


def test_the_manifest_cannot_post_in_channels_it_was_not_invited_to() -> None:
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert "chat:write.public" not in scopes and "users:read" in scopes


def test_a_modal_aimed_at_a_channel_without_the_bot_is_refused_by_dm(slack: SlackRequests) -> None:
    slack.mock.leave("C0NOTINVITED")
    state = {
        modal.STORY_INPUT: {"type": "plain_text_input", "value": BRIEF},
        modal.CHANNEL_INPUT: {
            "type": "conversations_select",
            "selected_conversation": "C0NOTINVITED",
        },
    }
    values = {key: {key: value} for key, value in state.items()}
    assert slack.submit_view(kit.BRIEF_MODAL, values).status == 200
    [told] = slack.mock.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == USER)
    assert CANNOT_POST.split(".")[0] in json.dumps(told.body)
    slack.mock.settle()
    posted = [call.body["channel"] for call in slack.mock.calls("chat.postMessage") if call.ok]
    assert "C0NOTINVITED" not in posted


@pytest.mark.parametrize("query", ["@", "@two words", "@@"])
def test_tier_with_something_that_is_not_a_handle_says_what_works(
    slack: SlackRequests, query: str
) -> None:
    answer = slack.command("/tier", query).json()
    assert "is not a handle" in answer["text"] and "Something went wrong" not in answer["text"]

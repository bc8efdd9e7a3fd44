"""Roster import from Slack: an admin sends a roster file to the bot in a DM (or types
``/storyfit import``, which asks for it), sees a preview and confirms; the import then runs in a
lazy listener, with one progress message in the thread and a summary at the end."""

from __future__ import annotations

import logging
import re
import shutil
import time
import urllib.request
from functools import partial
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.blocks.replies import error_message, refusal_message
from bot.blocks.roster_import import (
    CONFIRM_IMPORT,
    import_preview,
    import_progress,
    import_summary,
)
from bot.listeners.answer import Place, post, update
from bot.listeners.runtime import ListenerDeps, acknowledge, failures_told
from bot.listeners.subcommands import SubcommandCall, register_subcommand
from bot.service import ImportProgress, StoryfitService
from retrieval.errors import StoryfitError

#: Seconds between two updates of an import's progress message (Slack rate-limits chat.update).
PROGRESS_EVERY = 3.0
#: The largest roster file taken from Slack.
MAX_FILE_BYTES = 512 * 1024 * 1024
#: Seconds a file download may stall.
DOWNLOAD_TIMEOUT = 60.0
_FILE_ID = re.compile(r"F[A-Z0-9]{1,40}")
_UNSAFE = re.compile(r"[^\w.-]+")
ASK_FOR_FILE = (
    "Send me the roster file (CSV, JSON or JSON Lines) here in a direct message: I'll show "
    "you what it holds, and import it when you confirm."
)


def is_file_sent_in_dm(event: dict[str, Any]) -> bool:
    """A person's message with files in a DM with the bot."""
    return event.get("channel_type") == "im" and "bot_id" not in event and bool(event.get("files"))


def _refuse(client: WebClient, place: Place, deps: ListenerDeps) -> None:
    post(
        client,
        place,
        refusal_message(
            "Only Storyfit admins can import rosters.",
            f"Only Storyfit admins can import rosters; ask {deps.admins.describe()}.",
        ),
    )


def preview_shared_file(
    deps: ListenerDeps,
    event: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Download the first file of the message and answer in its thread with the preview."""
    place = Place(event["channel"], event.get("thread_ts") or event["ts"])
    with failures_told(
        lambda text: post(client, place, error_message(text)), logger, "reading your roster file"
    ):
        if not deps.admins.allows(client, str(event.get("user"))):
            _refuse(client, place, deps)
            return
        service = deps.service_for(context.team_id)
        file_id = str(event["files"][0]["id"])
        path, name = _download(client, file_id, _imports_dir(service))
        stream = service.read_roster(path, name=name)
        post(client, place, import_preview(name, stream.report, stream.creator_count, file_id))


def _imports_dir(service: StoryfitService) -> Path:
    """Where files sent for import wait for their confirmation: in the workspace's own folder,
    so a confirmation from another workspace finds nothing."""
    folder = service.data_dir / "slack-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _download(client: WebClient, file_id: str, folder: Path) -> tuple[Path, str]:
    """The shared file saved as ``folder/<id>/<its name, made safe>``, and its name."""
    if not _FILE_ID.fullmatch(file_id):
        raise StoryfitError("That message holds no file I can read; send the roster file again.")
    info = client.files_info(file=file_id)["file"]
    name = str(info.get("name") or "roster")
    if int(info.get("size") or 0) > MAX_FILE_BYTES:
        raise StoryfitError(
            f"{name} is larger than {MAX_FILE_BYTES // 2**20} MB; import it from the command "
            "line with `storyfit ingest`."
        )
    (folder / file_id).mkdir(exist_ok=True)
    path = folder / file_id / (_UNSAFE.sub("_", name).strip("._")[:120] or "roster")
    url = str(info.get("url_private_download") or info["url_private"])
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with (
            urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as body,
            path.open("wb") as out,
        ):
            shutil.copyfileobj(body, out)
    except OSError as error:
        path.unlink(missing_ok=True)
        raise StoryfitError(
            f"I could not download {name} from Slack ({error}); send it again in a minute."
        ) from None
    return path, name


class _ProgressMessage:
    """``chat.update`` of one message with an import's progress, at most every few seconds."""

    def __init__(self, client: WebClient, channel: str, ts: str) -> None:
        self._client = client
        self._channel = channel
        self._ts = ts
        self._last = 0.0

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY:
            self._last = now
            update(self._client, self._channel, self._ts, import_progress(progress))


def confirm_import(
    deps: ListenerDeps,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Import the previewed file in this lazy listener, telling progress in the thread."""
    container = body.get("container") or {}
    channel = str(body["channel"]["id"])
    place = Place(channel, container.get("thread_ts") or container.get("message_ts"))
    with failures_told(
        lambda text: post(client, place, error_message(text)), logger, "importing the roster"
    ):
        if not deps.admins.allows(client, str(body["user"]["id"])):
            _refuse(client, place, deps)
            return
        service = deps.service_for(context.team_id)
        file_id = str(body["actions"][0]["value"])
        folder = _imports_dir(service) / file_id
        found = sorted(folder.iterdir()) if _FILE_ID.fullmatch(file_id) and folder.is_dir() else []
        if not found:
            raise StoryfitError("That file was already imported or is gone; send it again.")
        ts = post(client, place, import_progress(ImportProgress.starting()))
        report = service.import_roster(
            found[0], progress=_ProgressMessage(client, channel, ts), name=found[0].name
        )
        shutil.rmtree(folder, ignore_errors=True)
        update(client, channel, ts, import_summary(report))


def ask_for_file(call: SubcommandCall) -> None:
    call.respond(ASK_FOR_FILE)


def register(app: App, deps: ListenerDeps) -> None:
    """Registered before ``events``: its catch-all ``message`` listener would take file shares."""
    app.event("message", matchers=[is_file_sent_in_dm])(
        ack=acknowledge, lazy=[partial(preview_shared_file, deps)]
    )
    app.action(CONFIRM_IMPORT)(ack=acknowledge, lazy=[partial(confirm_import, deps)])
    register_subcommand(
        "import",
        ask_for_file,
        usage="import",
        summary="import a roster file (admins): send it to me in a DM",
        admin_only=True,
    )

"""A week of history to write digests from, and the settings and store delivery tests share."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.history.store import History
from bot.settings import Settings, load_settings
from retrieval.tiers import DEFAULT_SCHEME
from tests.conftest import REPO
from tests.support.history_samples import brief_and_answer, creator, pick
from tests.support.slack_mock_server import SlackMockServer

BOT_TOKEN = "xoxb-storyfit-digest-test"
CHANNEL = "C0DIGEST"
OTHER_CHANNEL = "C0OTHER"
#: The default cron's run that opens the period under test, and the run before it.
RUN = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
WEEK_START = RUN - timedelta(days=7)
SUBSCRIBED = WEEK_START - timedelta(days=3)

VEGAN_BRIEF = "Vegan snacks for busy parents who cook on weeknights"
SECOND_VEGAN_BRIEF = "Our vegan snack bar is launching; we want parents who bake with kids"
RUNNING_BRIEF = "Trail running shoes for beginners who run in the mountains"


@dataclass
class Deps:
    """What ``send_due_digests`` needs, without the retrieval side of the service."""

    settings: Settings
    history: History


def digest_settings(data_dir: Path, database_url: str | None, mock: SlackMockServer) -> Settings:
    return load_settings(
        data_dir=data_dir,
        database_url=database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret="unused",
        slack_app_token=None,
        slack_api_url=mock.api_url,
        openai_api_key=None,
        admin_users=[],
        digest_cron="0 9 * * MON",
        timezone="UTC",
    )


def record_week(history: History, channel: str = CHANNEL) -> list[int]:
    """Four briefs in ``channel`` during the week (three by U1), one elsewhere, one before."""
    briefs = [
        (VEGAN_BRIEF, "U1", 0, [pick("bigchef", 450_000), pick("minnie", 8_400)]),
        (SECOND_VEGAN_BRIEF, "U1", 1, [pick("bigchef", 450_000), pick("bakebeth", 3_100)]),
        (RUNNING_BRIEF, "U2", 1, [pick("trailtom", 1_700), pick("peakpia", 52_000)]),
        ("Cosy vegan winter soups", "U1", 4, [pick("bigchef", 450_000), pick("minnie", 8_400)]),
    ]
    ids = []
    for brief, user, day, picks in briefs:
        request, answer = brief_and_answer(brief, picks)
        ids.append(
            history.record_request(
                user_id=user,
                channel_id=channel,
                source="mention",
                request=request,
                recommendation=answer,
                at=WEEK_START + timedelta(days=day, hours=2),
            )
        )
    for at, where in ((WEEK_START + timedelta(days=2), OTHER_CHANNEL), (WEEK_START, channel)):
        request, answer = brief_and_answer("Not this channel's week", [pick("stray", 500)])
        history.record_request(
            user_id="U9",
            channel_id=where,
            source="command",
            request=request,
            recommendation=answer,
            at=at - (timedelta(seconds=1) if where == channel else timedelta()),
        )
    return ids


def record_roster_weeks(history: History) -> None:
    """Snapshots before the week and in it: a micro creator crosses 10,000, one is new."""
    before = [
        creator("minnie", 9_800),
        creator("bakebeth", 3_000),
        creator("trailtom", 1_700),
        creator("bigchef", 450_000),
        creator("leaver", 700),
    ]
    during = [
        creator("minnie", 10_400),
        creator("bakebeth", 4_500),
        creator("trailtom", 1_750),
        creator("bigchef", 440_000),
        creator("newnina", 2_000, "tiktok"),
    ]
    history.record_roster_snapshot(before, DEFAULT_SCHEME, at=WEEK_START - timedelta(days=1))
    history.record_roster_snapshot(during, DEFAULT_SCHEME, at=WEEK_START + timedelta(days=3))
    after = [*during, creator("toolate", 5_000)]
    history.record_roster_snapshot(after, DEFAULT_SCHEME, at=RUN + timedelta(hours=1))


def storyfit_env(
    tmp_path: Path, database_url: str | None, slack: SlackMockServer
) -> dict[str, str]:
    """The environment of a ``storyfit`` process: ours only, none of the caller's settings."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("STORYFIT_", "SLACK_", "OPENAI_"))
    }
    return {
        **kept,
        "PYTHONPATH": str(REPO),
        "STORYFIT_DATA_DIR": str(tmp_path / "data"),
        **({"STORYFIT_DATABASE_URL": database_url} if database_url else {}),
        "STORYFIT_EMBEDDING_MODEL_DIR": os.environ["STORYFIT_EMBEDDING_MODEL_DIR"],
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "STORYFIT_SLACK_API_URL": slack.api_url,
        "STORYFIT_TIMEZONE": "UTC",
        "STORYFIT_DIGEST_CRON": "0 9 * * MON",
    }


CLI = "import sys; from bot.cli import main; sys.argv[0] = 'storyfit'; main()"


def storyfit(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err

"""Slack team ids as Storyfit keys them, and where each team's data lives.

A team id becomes a folder name (``data_dir/teams/T…``) and part of a Chroma collection's name, so
``checked_team_id`` is the one way in: anything that is not a plain Slack id is refused.
"""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.errors import StoryfitError

#: The folder of the data dir that holds one folder per team.
TEAMS_FOLDER = "teams"
#: Longest team id taken (Slack's are about 10 characters).
MAX_TEAM_ID = 32
_TEAM_ID = re.compile(rf"[TE][A-Z0-9]{{1,{MAX_TEAM_ID - 1}}}")


def checked_team_id(text: str) -> str:
    """``text`` as a Slack team (``T…``) or enterprise (``E…``) id, upper-cased, or
    ``StoryfitError`` saying what a team id looks like."""
    team = text.strip().upper()
    if not _TEAM_ID.fullmatch(team):
        shown = text.strip()[:40] or "an empty value"
        raise StoryfitError(
            f"“{shown}” is not a Slack team id. A team id looks like T0123ABCD: a T (or E for "
            f"an Enterprise Grid organisation), then letters and digits, at most {MAX_TEAM_ID} "
            "characters. Slack shows it in the workspace's URL and in the app's settings."
        )
    return team


def is_team_id(text: str) -> bool:
    """Whether ``text`` is a team id exactly as ``checked_team_id`` returns them."""
    return bool(_TEAM_ID.fullmatch(text))


def team_data_dir(data_dir: Path, team_id: str) -> Path:
    """Where one team's embedded store and catalog live: ``data_dir/teams/<team id>``."""
    return data_dir / TEAMS_FOLDER / checked_team_id(team_id)


def team_collection(default: str, team_id: str) -> str:
    """The Chroma collection of one team on a shared server: ``<default>-<team id>``."""
    return f"{default}-{checked_team_id(team_id)}"

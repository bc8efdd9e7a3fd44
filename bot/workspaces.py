"""Every workspace the bot serves, each with its own roster and history.

One deployment serves either the single workspace of its ``SLACK_BOT_TOKEN`` (``per_team`` false:
every request gets the same service, laid out as before there were teams) or every workspace that
installed it (``per_team`` true: one service per Slack team id, made on first use and kept). All
services share one embedder, so the embedding models load once per process, and one history
database engine.
"""

from __future__ import annotations

import threading

from bot.service import StoryfitService
from bot.settings import Settings
from bot.teams import TEAMS_FOLDER, checked_team_id, is_team_id

__all__ = ["Workspaces", "checked_team_id"]


class Workspaces:
    """The services of the workspaces one process serves; ``close`` closes them all."""

    def __init__(self, settings: Settings, *, per_team: bool) -> None:
        self.settings = settings
        self.per_team = per_team
        self._single = StoryfitService(settings)
        self._teams: dict[str, StoryfitService] = {}
        self._lock = threading.Lock()

    def service(self, team_id: str | None) -> StoryfitService:
        """The service of ``team_id``'s workspace: with ``per_team`` false (or no team id) the
        single workspace's; else that team's own (``StoryfitError`` for a malformed id)."""
        if team_id is None or not self.per_team:
            return self._single
        team = checked_team_id(team_id)
        with self._lock:
            service = self._teams.get(team)
            if service is None:
                service = StoryfitService(
                    self.settings,
                    team_id=team,
                    embedder=self._single.embedder,
                    history=self._single.history.for_team(team),
                )
                self._teams[team] = service
            return service

    def teams(self) -> list[str]:
        """With ``per_team``: every team with a store folder or history rows, sorted; else none
        (every team is the single workspace)."""
        if not self.per_team:
            return []
        folder = self.settings.data_dir / TEAMS_FOLDER
        found = (
            {path.name for path in folder.iterdir() if path.is_dir()} if folder.is_dir() else set()
        )
        found |= set(self._single.history.team_ids())
        with self._lock:
            found |= set(self._teams)
        return sorted(team for team in found if is_team_id(team))

    def close(self) -> None:
        with self._lock:
            services = [*self._teams.values(), self._single]
            self._teams.clear()
        for service in services:
            service.close()

    def __enter__(self) -> Workspaces:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

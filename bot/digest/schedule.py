"""When a channel's digest is due, and which period it covers.

A subscription's schedule is a cron expression in a time zone: its own day and hour when given,
else ``STORYFIT_DIGEST_CRON``; its own zone when given, else ``STORYFIT_TIMEZONE``. Both are
resolved once and stored with the subscription (``cron``, ``timezone``), so senders running with
different settings still agree on its periods. Each run of the cron opens a delivery period that
lasts until the next run; the digest posted in it covers the time since the run before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from bot.settings import Settings
from retrieval.errors import StoryfitError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CRON_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
#: A subscription that names a day but no hour gets its digest at this hour, and vice versa.
DEFAULT_WEEKDAY = 0
DEFAULT_HOUR = 9
_HOUR = re.compile(r"^(?P<hour>\d{1,2})(?::00)?\s*(?P<half>am|pm)?$", re.I)

SCHEDULE_USAGE = (
    "Give a day and an hour, e.g. `subscribe friday 14`, `subscribe mon 9am` or "
    "`subscribe tue 8 Europe/Berlin`."
)


class ScheduleError(StoryfitError):
    """A day, hour or zone the user typed cannot be read; the message shows the forms that work."""


@dataclass(frozen=True)
class Schedule:
    cron: str
    zone: ZoneInfo

    def describe(self) -> str:
        fields = self.cron.split()
        if len(fields) == 5 and fields[2:4] == ["*", "*"] and fields[0] == "0":
            day = fields[4].upper()
            if fields[1].isdigit() and day in _CRON_DAYS:
                name = WEEKDAYS[_CRON_DAYS.index(day)].title()
                return f"every {name} at {int(fields[1]):02d}:00 ({self.zone.key})"
        return f"on the schedule `{self.cron}` ({self.zone.key})"


@dataclass(frozen=True)
class DuePeriod:
    """A delivery period whose digest is due: it opened at ``start``; it covers ``covers_from``."""

    start: datetime
    covers_from: datetime


def parse_weekday(text: str) -> int | None:
    """``mon``, ``Monday``, ``thurs`` -> 0..6 (Monday first); ``None`` when it is not a day."""
    word = text.strip().lower().rstrip(".")
    if len(word) < 2:
        return None
    for number, day in enumerate(WEEKDAYS):
        if day.startswith(word) or (len(word) >= 3 and word.startswith(day[:3])):
            return number
    return None


def parse_hour(text: str) -> int | None:
    """``9``, ``09:00``, ``9am``, ``2pm`` -> 0..23; ``None`` when it is not an hour."""
    match = _HOUR.match(text.strip())
    if match is None:
        return None
    hour = int(match.group("hour"))
    half = (match.group("half") or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    return hour if 0 <= hour <= 23 else None


def parse_zone(text: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


class ScheduleFields(Protocol):
    """A subscription's schedule as asked for; unset fields fall back to the settings."""

    @property
    def weekday(self) -> int | None: ...
    @property
    def hour(self) -> int | None: ...
    @property
    def cron(self) -> str | None: ...
    @property
    def timezone(self) -> str | None: ...


@dataclass(frozen=True)
class ScheduleRequest:
    """What ``/storyfit digest subscribe [day] [hour] [zone]`` asked for."""

    weekday: int | None = None
    hour: int | None = None
    timezone: str | None = None
    cron: str | None = None


def parse_schedule_words(words: list[str]) -> ScheduleRequest:
    """Read ``[day] [hour] [zone]`` in any order; ``ScheduleError`` names a word not understood."""
    weekday: int | None = None
    hour: int | None = None
    zone: str | None = None
    for word in words:
        if weekday is None and (day := parse_weekday(word)) is not None:
            weekday = day
        elif hour is None and (number := parse_hour(word)) is not None:
            hour = number
        elif zone is None and ("/" in word or word.upper() == "UTC") and parse_zone(word):
            zone = word
        else:
            raise ScheduleError(
                f"I couldn't read “{word}” as a day, an hour or a time zone. " + SCHEDULE_USAGE
            )
    return ScheduleRequest(weekday, hour, zone)


def schedule_for(subscription: ScheduleFields, settings: Settings) -> Schedule:
    zone = ZoneInfo(subscription.timezone or settings.timezone)
    if subscription.cron:
        return Schedule(subscription.cron, zone)
    if subscription.weekday is None and subscription.hour is None:
        return Schedule(settings.digest_cron, zone)
    weekday = DEFAULT_WEEKDAY if subscription.weekday is None else subscription.weekday
    hour = DEFAULT_HOUR if subscription.hour is None else subscription.hour
    return Schedule(f"0 {hour} * * {_CRON_DAYS[weekday]}", zone)


def due_period(schedule: Schedule, now: datetime, since: datetime) -> DuePeriod | None:
    """The period whose run is the latest at or before ``now``, unless that run precedes ``since``.

    ``since`` is when the channel subscribed: a new subscriber gets its first digest at the next
    run, not at once for a run it was not subscribed for.
    """
    local_now = now.astimezone(schedule.zone)
    runs = croniter(schedule.cron, local_now + timedelta(seconds=1))
    latest: datetime = runs.get_prev(datetime)
    if latest < since:
        return None
    before: datetime = runs.get_prev(datetime)
    return DuePeriod(start=latest.astimezone(UTC), covers_from=before.astimezone(UTC))

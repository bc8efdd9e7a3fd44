"""Erasing one creator from the history: an erasure request ("take me off your lists").

Every trace of the creator goes: picks in stored recommendations (and their pick rows), feedback
on them, roster snapshot entries, ``@handle`` mentions in stored briefs and explanations, and the
handle in stored ``exclude`` lists. The briefs themselves stay: they are the marketers' own.
Only the history's own workspace is touched: another team's creator of the same handle stays.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.history.store import History, picks_of
from bot.history.tables import FeedbackRow, PickRow, RequestRow, RosterEntryRow, RosterSnapshotRow
from retrieval.contract import Pick, Recommendation, RecommendRequest

#: What a stored text says instead of an erased creator's ``@handle``.
ERASED_MENTION = "a removed creator"

Scrub = Callable[[str], str]


class HistoryErasure(BaseModel):
    """What erasing one creator changed in the history."""

    picks: int = 0
    recommendations: int = 0
    mentions: int = 0
    feedback: int = 0
    snapshot_entries: int = 0


def keys_with_handle(history: History, handle: str) -> set[str]:
    """Creator keys (``platform:handle``) in the history with this (canonical) handle."""
    suffix = f":{handle}"
    keys: set[str] = set()
    with history.transaction() as session:
        for table in (PickRow, RosterEntryRow, FeedbackRow):
            keys |= {
                key
                for key in session.scalars(
                    select(table.creator_key).where(
                        history.mine(table), _ends(table.creator_key, suffix)
                    )
                )
                if key is not None
            }
    return keys


def _ends(column: Any, suffix: str) -> Any:
    return column.endswith(suffix, autoescape=True)


def erase_creator(history: History, key: str, handle: str) -> HistoryErasure:
    """Remove the creator ``key`` (whose handle is ``handle``) from every stored record."""
    erased = HistoryErasure()
    with history.transaction() as session:
        _erase_from_requests(history, session, key, handle, erased)
        feedback = session.execute(
            delete(FeedbackRow).where(history.mine(FeedbackRow), FeedbackRow.creator_key == key)
        )
        erased.feedback = _rowcount(feedback)
        per_snapshot = session.execute(
            select(RosterEntryRow.snapshot_id, func.count())
            .where(history.mine(RosterEntryRow), RosterEntryRow.creator_key == key)
            .group_by(RosterEntryRow.snapshot_id)
        ).all()
        for snapshot_id, count in per_snapshot:
            session.execute(
                update(RosterSnapshotRow)
                .where(history.mine(RosterSnapshotRow), RosterSnapshotRow.id == snapshot_id)
                .values(creator_count=RosterSnapshotRow.creator_count - count)
            )
        entries = session.execute(
            delete(RosterEntryRow).where(
                history.mine(RosterEntryRow), RosterEntryRow.creator_key == key
            )
        )
        erased.snapshot_entries = _rowcount(entries)
    return erased


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _erase_from_requests(
    history: History, session: Session, key: str, handle: str, erased: HistoryErasure
) -> None:
    """Rewrite every stored request of the team that picked, excluded or named the creator."""
    picked = select(PickRow.request_id).where(history.mine(PickRow), PickRow.creator_key == key)
    # Stored JSON may spell a non-ASCII handle with \u escapes ("caf\u00e9"): look for both.
    spellings = {handle, json.dumps(handle)[1:-1]}
    named = [
        func.lower(cast(column, Text)).contains(spelling, autoescape=True)
        for column in (RequestRow.request, RequestRow.recommendation)
        for spelling in spellings
    ]
    mention = re.compile(rf"@{re.escape(handle)}(?![\w-]|\.\w)", re.IGNORECASE)
    mentioning = or_(RequestRow.id.in_(picked), *named)
    for row in session.scalars(select(RequestRow).where(history.mine(RequestRow), mentioning)):
        recommendation = Recommendation.model_validate(row.recommendation)
        request = RecommendRequest.model_validate(row.request)
        kept = [pick for pick in recommendation.picks if pick.key != key]
        removed = len(recommendation.picks) - len(kept)
        # While another platform's creator of the same handle stays, "@handle" may name them.
        if any(pick.handle == handle for pick in kept):
            scrub: Scrub = str
        else:
            scrub = functools.partial(mention.sub, ERASED_MENTION)
        new_recommendation = _scrubbed(recommendation, kept, scrub)
        new_request = request.model_copy(
            update={
                "brief": scrub(request.brief),
                "exclude": [entry for entry in request.exclude if not _names(entry, key, handle)],
            }
        )
        if new_recommendation == recommendation and new_request == request:
            continue
        erased.picks += removed
        erased.recommendations += bool(removed)
        erased.mentions += not removed
        row.recommendation = new_recommendation.model_dump(mode="json")
        row.request = new_request.model_dump(mode="json")
        row.brief = new_request.brief
        if removed:
            row.picks = picks_of(new_recommendation, history.team_id)


def _names(entry: str, key: str, handle: str) -> bool:
    """Whether an ``exclude`` entry (``@jane``, ``jane`` or ``instagram:jane``) is the creator."""
    folded = entry.strip().lstrip("@").casefold()
    return folded in (key, handle)


def _scrubbed(recommendation: Recommendation, kept: list[Pick], scrub: Scrub) -> Recommendation:
    """``recommendation`` with only the ``kept`` picks and every text passed through ``scrub``."""
    return recommendation.model_copy(
        update={
            "brief": scrub(recommendation.brief),
            "picks": [pick.model_copy(update={"why": scrub(pick.why)}) for pick in kept],
            "shortfall": [
                short.model_copy(update={"reason": scrub(short.reason)})
                for short in recommendation.shortfall
            ],
            "explanation": scrub(recommendation.explanation),
            "notices": [scrub(notice) for notice in recommendation.notices],
        }
    )

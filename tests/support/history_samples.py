"""Small builders of requests and recommendations for history and digest tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alembic import command
from sqlalchemy import JSON, column, insert, table
from sqlalchemy.types import TypeEngine

from bot.history.engine import alembic_config, build_engine, normalise_url
from bot.history.tables import UTCDateTime
from retrieval.contract import Filters, Pick, Recommendation, RecommendRequest
from retrieval.roster.creator import Creator
from retrieval.tiers import DEFAULT_SCHEME


def pick(handle: str, followers: int, platform: str = "instagram", score: float = 0.5) -> Pick:
    tier = DEFAULT_SCHEME.classify(followers)
    return Pick(
        handle=handle,
        platform=platform,
        name=handle.title(),
        followers=followers,
        tier=tier.name,
        role=tier.role,
        score=score,
        why=f"{handle} fits the story.",
        evidence=[],
    )


def recommendation(brief: str, picks: list[Pick]) -> Recommendation:
    ordered = sorted(picks, key=lambda p: (p.role != "awareness", -p.score))
    return Recommendation(
        brief=brief,
        objective="balanced",
        filters=Filters(country=["US"]),
        picks=ordered,
        shortfall=[],
        explanation="A mix.",
        explained_by="rules",
    )


def brief_and_answer(brief: str, picks: list[Pick]) -> tuple[RecommendRequest, Recommendation]:
    return RecommendRequest(brief=brief, country=["US"]), recommendation(brief, picks)


def creator(handle: str, followers: int, platform: str = "instagram") -> Creator:
    return Creator(handle=handle, platform=platform, followers=followers, bio=f"I am {handle}.")


def migrate_to(url: str, revision: str) -> None:
    """Create or upgrade the history database at ``url`` to an older ``revision``."""
    engine = build_engine(normalise_url(url))
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()
    engine.dispose()


def write_rows(url: str, table_name: str, rows: list[dict[str, Any]]) -> list[int]:
    """``rows`` inserted as they are, as a Storyfit of an older schema wrote them (the current
    ``History`` writes columns an old schema lacks); returns their ids."""

    def typed(name: str, value: object) -> Any:
        kind: TypeEngine[Any] | None = None
        if isinstance(value, datetime):
            kind = UTCDateTime()
        elif isinstance(value, dict):
            kind = JSON()
        return column(name, kind)

    engine = build_engine(normalise_url(url))
    try:
        with engine.begin() as connection:
            columns = [typed(name, value) for name, value in rows[0].items()]
            written = table(table_name, column("id"), *columns)
            ids = connection.execute(insert(written).returning(written.c.id), rows).scalars()
            return list(ids)
    finally:
        engine.dispose()

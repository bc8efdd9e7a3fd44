"""The history store: briefs, picks, feedback, roster snapshots, digest subscriptions, deliveries.

Any SQLAlchemy URL works: SQLite in the data dir by default, PostgreSQL (psycopg 3) by URL. Opening
the store runs the Alembic migrations to head, so the schema is created and upgraded on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from filelock import FileLock
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.history_models import FeedbackRow, PickRow, RequestRow, RosterEntryRow, RosterSnapshotRow
from retrieval.errors import StoryfitError
from retrieval.recommendation import Recommendation, RecommendRequest
from retrieval.roster import Creator
from retrieval.tiers import TierScheme

FeedbackKind = Literal["thumbs_up", "thumbs_down", "swap", "export", "lookalikes"]
RequestSource = Literal["mention", "dm", "command", "modal", "cli"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: How long a second process waits for another one's migration before giving up.
MIGRATION_LOCK_SECONDS = 120
#: How long SQLite waits for another writer before reporting "database is locked".
SQLITE_BUSY_SECONDS = 30
#: Any fixed number: the PostgreSQL advisory lock that serialises migrations.
POSTGRES_MIGRATION_LOCK = 0x5F0_717


class HistoryError(StoryfitError):
    """The history database cannot be opened or used; the message says what to check."""


class StoredRequest(BaseModel):
    """A recorded brief with the recommendation that was shown for it."""

    id: int
    user_id: str | None
    channel_id: str | None
    source: str
    created_at: datetime
    request: RecommendRequest
    recommendation: Recommendation


def utc_now() -> datetime:
    return datetime.now(UTC)


def normalise_url(url: str) -> URL:
    """Parse a database URL, sending plain ``postgresql://`` URLs to the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except Exception as error:
        raise HistoryError(
            f"STORYFIT_DATABASE_URL {url!r} is not a database URL; use e.g. "
            "sqlite:////path/history.sqlite3 or postgresql+psycopg://user:pass@host/db"
        ) from error
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _build_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """The Alembic configuration for our migrations (``url`` is for ``alembic revision`` use)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection on which only one process at a time runs migrations."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with engine.connect() as connection:
            lock = {"key": POSTGRES_MIGRATION_LOCK}
            connection.execute(text("SELECT pg_advisory_lock(:key)"), lock)
            connection.commit()
            try:
                yield connection
            finally:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
                connection.commit()
    elif url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        lock_file = FileLock(f"{url.database}.migrate.lock", timeout=MIGRATION_LOCK_SECONDS)
        with lock_file, engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            yield connection
    else:
        with engine.connect() as connection:
            yield connection


def _picks_of(recommendation: Recommendation) -> list[PickRow]:
    return [
        PickRow(
            creator_key=f"{pick.platform}:{pick.handle}",
            tier=pick.tier,
            role=pick.role,
            rank=rank,
            score=pick.score,
        )
        for rank, pick in enumerate(recommendation.picks)
    ]


def _stored(row: RequestRow) -> StoredRequest:
    return StoredRequest(
        id=row.id,
        user_id=row.user_id,
        channel_id=row.channel_id,
        source=row.source,
        created_at=row.created_at,
        request=RecommendRequest.model_validate(row.request),
        recommendation=Recommendation.model_validate(row.recommendation),
    )


class History:
    """One open history database; thread-safe (each call uses its own session)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> History:
        """Open the database at ``url`` and migrate it to the newest schema."""
        engine = _build_engine(normalise_url(url))
        try:
            with _migration_lock(engine) as connection:
                command.upgrade(alembic_config(connection), "head")
                connection.commit()
        except HistoryError:
            engine.dispose()
            raise
        except Exception as error:
            engine.dispose()
            where = engine.url.render_as_string(hide_password=True)
            raise HistoryError(
                f"Cannot open the history database {where}: {error.__class__.__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}. Check STORYFIT_DATABASE_URL "
                "and that the database is reachable."
            ) from error
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def record_request(
        self,
        *,
        user_id: str | None,
        channel_id: str | None,
        source: str,
        request: RecommendRequest,
        recommendation: Recommendation,
        at: datetime | None = None,
    ) -> int:
        """Store a brief and what was recommended for it; returns the request id."""
        row = RequestRow(
            user_id=user_id,
            channel_id=channel_id,
            source=source,
            created_at=at or utc_now(),
            brief=request.brief,
            objective=recommendation.objective,
            filters=recommendation.filters.model_dump(mode="json"),
            request=request.model_dump(mode="json"),
            recommendation=recommendation.model_dump(mode="json"),
            picks=_picks_of(recommendation),
        )
        with self.transaction() as session:
            session.add(row)
            session.flush()
            return row.id

    def get_request(self, request_id: int) -> StoredRequest | None:
        with self.transaction() as session:
            row = session.get(RequestRow, request_id)
            return _stored(row) if row is not None else None

    def update_recommendation(self, request_id: int, recommendation: Recommendation) -> None:
        """Replace what was shown for a request (after a swap), picks included."""
        with self.transaction() as session:
            row = session.get(RequestRow, request_id)
            if row is None:
                raise HistoryError(f"No recorded request with id {request_id}.")
            row.recommendation = recommendation.model_dump(mode="json")
            row.objective = recommendation.objective
            row.filters = recommendation.filters.model_dump(mode="json")
            row.picks = _picks_of(recommendation)

    def record_feedback(
        self,
        *,
        request_id: int,
        user_id: str | None,
        kind: FeedbackKind,
        creator_key: str | None = None,
        at: datetime | None = None,
    ) -> None:
        with self.transaction() as session:
            if session.get(RequestRow, request_id) is None:
                raise HistoryError(f"No recorded request with id {request_id}.")
            session.add(
                FeedbackRow(
                    request_id=request_id,
                    user_id=user_id,
                    kind=kind,
                    creator_key=creator_key,
                    created_at=at or utc_now(),
                )
            )

    def recent_requests(self, user_id: str, limit: int = 5) -> list[StoredRequest]:
        """A user's latest briefs, newest first."""
        with self.transaction() as session:
            rows = session.scalars(
                select(RequestRow)
                .where(RequestRow.user_id == user_id)
                .order_by(RequestRow.created_at.desc(), RequestRow.id.desc())
                .limit(limit)
            )
            return [_stored(row) for row in rows]

    def record_roster_snapshot(
        self, creators: Iterable[Creator], tiers: TierScheme, at: datetime | None = None
    ) -> int:
        """Store the whole roster as it stands now; returns the snapshot id."""
        entries = []
        for creator in creators:
            tier = tiers.classify(creator.followers)
            entries.append(
                {
                    "creator_key": creator.key,
                    "followers": creator.followers,
                    "tier": tier.name,
                    "role": tier.role,
                }
            )
        with self.transaction() as session:
            snapshot = RosterSnapshotRow(
                taken_at=at or utc_now(), tier_scheme=tiers.name, creator_count=len(entries)
            )
            session.add(snapshot)
            session.flush()
            if entries:
                session.execute(
                    insert(RosterEntryRow), [{"snapshot_id": snapshot.id, **e} for e in entries]
                )
            return snapshot.id

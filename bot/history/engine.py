"""The history database's engine: URLs, SQLite/PostgreSQL set-up, and migrations run on opening.

Opening runs the Alembic migrations (``migrations/``) to head under a lock, so the schema is created
and upgraded on its own and two processes never migrate at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import URL, make_url

from retrieval.errors import StoryfitError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: How long a second process waits for another one's migration before giving up.
MIGRATION_LOCK_SECONDS = 120
#: How long SQLite waits for another writer before reporting "database is locked".
SQLITE_BUSY_SECONDS = 30
#: Any fixed number: the PostgreSQL advisory lock that serialises migrations.
POSTGRES_MIGRATION_LOCK = 0x5F0_717


class HistoryError(StoryfitError):
    """The history database cannot be opened or used; the message says what to check."""


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


def build_engine(url: URL) -> Engine:
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
    from alembic.config import Config  # Alembic is only needed while opening: keep it off start-up

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
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


def open_engine(url: str) -> Engine:
    """An engine for the database at ``url``, migrated to the newest schema."""
    from alembic import command

    engine = build_engine(normalise_url(url))
    try:
        with migration_lock(engine) as connection:
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
    return engine

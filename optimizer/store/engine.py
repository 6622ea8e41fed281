"""Where the store is and how it is opened: the URL, the engine, the schema brought up to date.

``--store URL`` or ``$COOP_OPTIMIZER_STORE`` name any SQLAlchemy URL (``postgresql://...``
uses psycopg 3); without either the store is SQLite in the user's data folder
(``$XDG_DATA_HOME`` or ``~/.local/share``, then ``coop-optimizer/runs.sqlite``) in WAL mode,
so that readers never wait for a writer. SQLite writers take the write lock when their
transaction begins (``BEGIN IMMEDIATE``) and wait for each other up to a minute, so that
concurrent writers queue instead of failing. A store made by an older version is migrated
by Alembic when opened (one opener at a time: under the write lock on SQLite, an advisory
lock on PostgreSQL); one made by a newer version is refused with a clear message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Engine, make_url

from optimizer.errors import InputError, Problem
from optimizer.store.schema import HEAD

__all__ = [
    "MIGRATIONS",
    "STORE_ENV",
    "connect",
    "current_revision",
    "default_data_dir",
    "default_url",
    "migrate",
    "resolve_url",
    "roads_dir",
    "store_error",
]

STORE_ENV = "COOP_OPTIMIZER_STORE"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_BUSY_MS = 60_000
_LOCK_KEY = 730_470_131  # PostgreSQL advisory lock held while the schema is migrated
_EXPECTED = "a SQLAlchemy URL such as sqlite:////path/runs.sqlite or postgresql://user@host/db"


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/coop-optimizer``, else ``~/.local/share/coop-optimizer``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "coop-optimizer"


def default_url() -> str:
    """``$COOP_OPTIMIZER_STORE`` if set, else SQLite in :func:`default_data_dir`."""
    return os.environ.get(STORE_ENV) or f"sqlite:///{default_data_dir() / 'runs.sqlite'}"


def store_error(url: str, expected: str, detail: object = None) -> InputError:
    """The one-line error about a store (its URL shown without a password)."""
    return InputError(Problem(f"store {url}", expected, value=detail))


def resolve_url(url: str | None) -> URL:
    """The URL to open: ``url``, else :func:`default_url`; ``postgresql://`` means psycopg 3.

    Raises
    ------
    InputError
        For text that is no SQLAlchemy URL.
    """
    text = url or default_url()
    try:
        parsed = make_url(text)
    except (exc.ArgumentError, ValueError):
        raise store_error(_shown_text(text), _EXPECTED) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _shown_text(text: str) -> str:
    head, at, tail = text.rpartition("@")
    return f"{head.split(':', 2)[0]}:***@{tail}" if at and "://" in head else text


def connect(url: URL) -> tuple[Engine, Engine]:
    """Two engines on the store: one for reading, one whose transactions may write.

    Raises
    ------
    InputError
        When the driver is missing or the SQLite file's folder cannot be made.
    """
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        return _sqlite(url, shown)
    try:
        # a server that does not answer is an error within seconds, not a hang
        arguments = {"connect_timeout": 10} if url.get_backend_name() == "postgresql" else {}
        engine = sa.create_engine(url, pool_pre_ping=True, connect_args=arguments)
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as error:
        raise store_error(shown, _EXPECTED, f"{error.__class__.__name__}: {error}") from None
    return engine, engine


def _sqlite(url: URL, shown: str) -> tuple[Engine, Engine]:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        if path.is_dir():
            raise store_error(shown, "a database file, not a folder")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise store_error(shown, "a folder the store can be made in", str(error)) from None
        url = url.set(database=str(path))
    engines = []
    for immediate in (False, True):
        engine = sa.create_engine(url)
        _sqlite_events(engine, immediate=immediate)
        engines.append(engine)
    return engines[0], engines[1]


def _sqlite_events(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: Any, _record: Any) -> None:
        # the driver's own transaction handling off: BEGIN is sent below, when SQLAlchemy
        # begins, so that a writer holds the write lock from its first statement
        dbapi.isolation_level = None
        cursor = dbapi.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def current_revision(engine: Engine) -> str | None:
    """The schema revision the store is at (None for a store without tables yet)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def migrate(writer: Engine, shown: str) -> None:
    """Bring the store's schema to :data:`~optimizer.store.schema.HEAD` (one opener at a time).

    Raises
    ------
    InputError
        For a store made by a newer coop-optimizer (a revision this one does not know).
    """
    if current_revision(writer) == HEAD:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    with writer.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        revision = None
        if sa.inspect(connection).has_table("alembic_version"):
            revision = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            revision = revision.scalar()
        if revision is not None and revision not in known:
            raise store_error(
                shown,
                f"a store of schema revision {HEAD} or older (it is at {revision}: made by a "
                "newer coop-optimizer; upgrade coop-optimizer to open it)",
            )
        if revision != HEAD:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


def roads_dir() -> Path:
    """Where stored road files are written back when their original file is gone: the road
    cache's folder (``$COOP_OPTIMIZER_CACHE``, else ``$XDG_CACHE_HOME/coop-optimizer``, else
    ``~/.cache/coop-optimizer``: :func:`optimizer.geo.load.default_cache_dir`, not imported
    because importing the roads' package costs seconds)."""
    explicit = os.environ.get("COOP_OPTIMIZER_CACHE")
    if explicit:
        return Path(explicit).expanduser() / "stored-roads"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "coop-optimizer" / "stored-roads"

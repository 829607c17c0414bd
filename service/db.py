"""Database engine and the session of each request.

SQLite is the embedded default for one process; PostgreSQL is for production
and scale-out. On SQLite a transaction that may write begins ``IMMEDIATE``, so
the write lock is taken before anything is read: two requests can never both
read "one place left" and both book it (the SQLite equivalent of the row locks
taken on PostgreSQL, see ``service.booking.locks``). Requests that only read
(GET, HEAD, OPTIONS) begin ``DEFERRED`` and, with WAL, never block a writer.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

EXTENSION = "diskret.db"
READER = "diskret.db.reader"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Execution option read by the SQLite "begin" listener: "IMMEDIATE" or "DEFERRED".
BEGIN_MODE = "diskret_sqlite_begin"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the settings each database needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": 10, "check_same_thread": False}
        )
        _make_sqlite_serial(engine)
        return engine
    if parsed.drivername == "postgresql":
        # psycopg 3 is the driver; a bare postgresql:// URL would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _make_sqlite_serial(engine: Engine) -> None:
    # pysqlite's own transaction handling is switched off so that BEGIN
    # IMMEDIATE can be emitted; this is SQLAlchemy's documented recipe
    # ("Serializable isolation / Savepoints / Transactional DDL").
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(BEGIN_MODE, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")


def for_reading(engine: Engine) -> Engine:
    """Return the engine as seen by sessions that only read: no SQLite write lock at BEGIN."""
    return engine.execution_options(**{BEGIN_MODE: "DEFERRED"})


def init_app(app: Flask) -> None:
    """Bind an engine and a session factory to the app and close sessions after each request."""
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
    app.extensions[EXTENSION] = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions[READER] = sessionmaker(bind=for_reading(engine), expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine_of(app: Flask) -> Engine:
    """Return the app's engine."""
    factory: sessionmaker[Session] = app.extensions[EXTENSION]
    bind = factory.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def session() -> Session:
    """Return this request's session, opening it on first use (read-only for safe methods)."""
    if "db_session" not in g:
        reads_only = has_request_context() and request.method in SAFE_METHODS
        factory: sessionmaker[Session] = current_app.extensions[READER if reads_only else EXTENSION]
        g.db_session = factory()
    current: Session = g.db_session
    return current


def reader() -> Session:
    """Return a new session that only reads, for a command; the caller closes it."""
    factory: sessionmaker[Session] = current_app.extensions[READER]
    return factory()


def _close_session(_exc: BaseException | None) -> None:
    current: Session | None = g.pop("db_session", None)
    if current is not None:
        current.close()

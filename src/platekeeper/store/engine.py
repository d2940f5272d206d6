"""Database engines for the embedded (SQLite) and scale-out (PostgreSQL) stores.

SQLite runs in WAL mode with one writer at a time: every write goes through
``Database.write()``, which holds a process-wide lock and opens the transaction
with ``BEGIN IMMEDIATE`` so that a writer never deadlocks on a lock upgrade
(the pattern of Datasette's ``execute_write_fn``). Reads use their own
connections and never wait for the writer. PostgreSQL needs neither.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for a ``sqlite:///…`` or ``postgresql+psycopg://…`` URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private_file(Path(parsed.database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    raise ValueError(f"unsupported database backend {parsed.get_backend_name()!r}")


def _create_private_file(path: Path) -> None:
    """Create the database file owner-only before SQLite does (its WAL and
    shared-memory files take the same mode)."""
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin, so
        # that BEGIN IMMEDIATE below is the first statement of a write.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("sqlite_begin_immediate"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


class Database:
    """An engine plus the session discipline of the store.

    ``read()`` gives a session for queries; ``write()`` gives a session whose
    transaction commits at the end of the block, or rolls back on error.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        writer = engine.execution_options(sqlite_begin_immediate=True) if self.is_sqlite else engine
        self._writer_sessions = sessionmaker(writer, expire_on_commit=False)
        self._write_lock = threading.Lock()
        self._writer = threading.local()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(make_engine(url, **kwargs))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        # A write inside a write would wait for itself forever on SQLite (and
        # be two unrelated transactions on PostgreSQL): refuse it on both.
        if getattr(self._writer, "active", False):
            raise RuntimeError("nested Database.write(): this thread already holds a write")
        self._writer.active = True
        try:
            if not self.is_sqlite:
                with self._sessions.begin() as session:
                    yield session
                return
            with self._write_lock, self._writer_sessions.begin() as session:
                yield session
        finally:
            self._writer.active = False

    def dispose(self) -> None:
        self.engine.dispose()

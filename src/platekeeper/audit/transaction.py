"""One transaction for a change and its audit entry, wherever the log lives.

The audit log sits in the store's database (``store.database_url``), which
serve and the commands open apart from the store's own handle; a caller may
also hand the log a database of its own. A change and its entry must commit
together, or at least never the change without the entry. Two separate
writers on one SQLite file would wait on each other forever (``BEGIN
IMMEDIATE`` twice), so when both are the same database the entry goes into
the change's own session and they commit as one; otherwise the entry's
transaction is nested inside the change's and commits first, so a failing
audit write rolls the change back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from platekeeper.store.engine import Database


def _identity(db: Database) -> str:
    url = make_url(str(db.engine.url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return "sqlite:" + str(Path(url.database or "").resolve())
    return url.render_as_string(hide_password=True)


def same_database(a: Database, b: Database) -> bool:
    return a is b or _identity(a) == _identity(b)


@contextmanager
def audited_write(db: Database, audit_db: Database) -> Iterator[tuple[Session, Session]]:
    """``(change session, audit session)``: both commit at the end of the block,
    the audit entry no later than the change; an exception rolls back both."""
    if same_database(db, audit_db):
        with db.write() as session:
            yield session, session
        return
    with db.write() as session, audit_db.write() as audit_session:
        yield session, audit_session

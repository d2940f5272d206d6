"""Opening the database and keys for the web, users and audit commands.

The identity tables (users, sessions, recovery codes, approvals) and the
audit log live in the store's database (``store.database_url``): the SQLite
file ``platekeeper.db`` in the data directory by default, PostgreSQL in a
scale-out deployment, where every ``serve`` then shares one set of sessions,
lockouts and TOTP steps and appends to one hash chain. The schema is the
store's, made by its Alembic migrations. Two key files live under ``keys/``:
the AES key that seals TOTP seeds and the key of plate indexes in audit
entries; with the Ed25519 key that signs audit checkpoints, every server of
one deployment must hold the same copies.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from platekeeper.audit import models as _audit_models  # noqa: F401 (registers the tables)
from platekeeper.audit.log import AuditLog
from platekeeper.audit.signing import CheckpointSigner, load_or_create_signing_key, public_path
from platekeeper.auth import models as _auth_models  # noqa: F401 (registers the tables)
from platekeeper.auth.models import User
from platekeeper.commands.context import fail
from platekeeper.config import Settings
from platekeeper.store.base import Base
from platekeeper.store.engine import Database
from platekeeper.web.services import Services, build_services

if TYPE_CHECKING:
    from platekeeper.alerts.bus import AlertBus
    from platekeeper.ingest.service import IngestGateway
    from platekeeper.store.facade import Store

SEALING_KEY_FILE = "auth-sealing.key"
# Keys the index of searched plates in audit entries: kept as long as the log.
AUDIT_INDEX_KEY_FILE = "audit-plate-index.key"


def database_path(settings: Settings) -> Path:
    """Where the embedded default keeps its database (and earlier versions
    kept the identity tables whatever the store's database)."""
    return settings.data_dir / "platekeeper.db"


def open_database(
    settings: Settings, *, create: bool = True, check_left_behind: bool = True
) -> Database:
    """The identity and audit database: the store's, its schema at head.

    An empty database is migrated as ``init`` would (``create``); one at an
    older revision is refused until ``platekeeper migrate``, as the store
    refuses it, since new tables made here would make that migration fail.
    ``check_left_behind=False`` only for the command that copies accounts
    left in the data directory by an earlier version.
    """
    from platekeeper.store.facade import StoreConfig

    url = StoreConfig.from_settings(settings).database_url
    shown = make_url(url).render_as_string(hide_password=True)
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None and not create and not sqlite_file.exists():
        fail(f"no database at {sqlite_file}; create the installation first")
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = Database.from_url(url)
    try:
        problem = _prepare_schema(db, create=create)
        if problem is None and check_left_behind and not is_embedded_file(settings, url):
            problem = _left_behind(settings, db)
    except SQLAlchemyError as exc:
        problem = f"cannot use it ({type(exc).__name__})"
    if problem is not None:
        db.dispose()
        fail(f"database {shown}: {problem}")
    return db


def _prepare_schema(db: Database, *, create: bool) -> str | None:
    """Bring an empty database to head; None when the schema is usable, else why not."""
    from platekeeper.commands.migrate import quiet_alembic
    from platekeeper.store.migrate import current_revision, head_revision, upgrade

    current, head = current_revision(db.engine), head_revision()
    if current == head:
        return None
    if current is not None:
        return f"the schema is at {current}, this version needs {head}: run `platekeeper migrate`"
    tables = set(inspect(db.engine).get_table_names())
    if not tables:
        if not create:
            return "no tables yet; create the installation first (platekeeper init)"
        quiet_alembic()
        upgrade(db.engine)
        return None
    if db.is_sqlite and "users" in tables:
        # A file an earlier version made before `init` (tables from the
        # models, no revision): it keeps serving as it did.
        Base.metadata.create_all(db.engine)
        return None
    return "it holds tables but no schema revision; give an empty or a platekeeper database"


def _left_behind(settings: Settings, db: Database) -> str | None:
    """Earlier versions kept accounts and the audit log in the data directory's
    SQLite file whatever the store's database; starting on the store's empty
    tables would leave them behind unnoticed, so say so and stop."""
    path = database_path(settings)
    if not path.exists():
        return None
    # closing(): a sqlite3 connection's own "with" ends a transaction, not the connection.
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            (kept,) = conn.execute("SELECT count(*) FROM users").fetchone()
        except sqlite3.Error:
            return None  # no users table: it never held accounts
    if not kept:
        return None
    with db.read() as s:
        if s.scalar(select(func.count()).select_from(User)):
            return None  # accounts here already: the file is a leftover
    return (
        f"it has no accounts, but {path} holds {kept} with the audit log: accounts and "
        "the audit log now live in the store's database; copy them there with "
        "`platekeeper users copy-from-data-dir`, or move the file away to start afresh"
    )


def is_embedded_file(settings: Settings, url: str) -> bool:
    """``url`` is the data directory's own SQLite file."""
    sqlite_file = _sqlite_file(url)
    return sqlite_file is not None and sqlite_file.resolve() == database_path(settings).resolve()


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def load_or_create_key_file(path: Path, size: int = 32) -> bytes:
    """Random key bytes from ``path``, made (mode 0600) when absent."""
    if path.exists():
        data = path.read_bytes()
        if len(data) != size:
            fail(f"{path} does not hold a {size}-byte key")
        return data
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = os.urandom(size)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def open_services(
    settings: Settings,
    db: Database,
    *,
    ingest: IngestGateway | None = None,
    store: Store | None = None,
    alerts: AlertBus | None = None,
    on_hotlist_change: Callable[[], None] | None = None,
) -> Services:
    keys = settings.data_dir / "keys"
    return build_services(
        settings,
        db,
        sealing_key=load_or_create_key_file(keys / SEALING_KEY_FILE),
        signing_key=load_or_create_signing_key(settings.audit.signing_key_path(settings.data_dir)),
        ingest=ingest,
        store=store,
        alerts=alerts,
        audit_index_key=load_or_create_key_file(keys / AUDIT_INDEX_KEY_FILE),
        on_hotlist_change=on_hotlist_change,
    )


def open_audit_log(settings: Settings) -> AuditLog:
    """The audit log with the installation's checkpoint signing key, for commands."""
    key = load_or_create_signing_key(settings.audit.signing_key_path(settings.data_dir))
    return AuditLog(CheckpointSigner(key), checkpoint_every=settings.audit.checkpoint_every)


def cli_actor() -> str:
    """Who ran a command, for its audit entries: the operating-system account."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid (some containers)
        name = f"uid {os.getuid()}"
    return f"cli:{name}"[:64]  # the audit log's actor column


def is_initialised(settings: Settings) -> bool:
    """``init`` has made the master key, or one is given in the environment."""
    from platekeeper.store.facade import StoreConfig

    key_file = StoreConfig.from_settings(settings).master_key_file
    return settings.master_key is not None or key_file.exists()


def open_store_if_initialised(settings: Settings) -> Store | None:
    """The store once the installation is initialised; ``None`` before that."""
    from platekeeper.crypto import CryptoError
    from platekeeper.store.errors import StoreError
    from platekeeper.store.facade import StoreConfig, open_store

    if not is_initialised(settings):
        return None
    try:
        return open_store(StoreConfig.from_settings(settings))
    except (StoreError, CryptoError, OSError) as exc:
        fail(f"cannot open the store: {exc}")
        raise AssertionError from exc  # fail() exits


def checkpoint_public_keys(settings: Settings, extra: list[Path]) -> list[Path]:
    """The public keys ``audit verify`` uses: the installation's own plus any given."""
    own = public_path(settings.audit.signing_key_path(settings.data_dir))
    return ([own] if own.exists() else []) + extra

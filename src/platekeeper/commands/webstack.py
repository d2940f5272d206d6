"""Opening the database and keys for the web, users and audit commands.

Until ``platekeeper init`` (the store's command) creates the database with its
migrations and the master key, these helpers keep the identity and audit
tables in ``platekeeper.db`` in the data directory (created with
``create_all``) and keep two key files under ``keys/``: the AES key that seals
TOTP seeds and the Ed25519 key that signs audit checkpoints.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from platekeeper.audit import models as _audit_models  # noqa: F401 (registers the tables)
from platekeeper.audit.log import AuditLog
from platekeeper.audit.signing import CheckpointSigner, load_or_create_signing_key, public_path
from platekeeper.auth import models as _auth_models  # noqa: F401 (registers the tables)
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
    return settings.data_dir / "platekeeper.db"


def open_database(settings: Settings, *, create: bool = True) -> Database:
    path = database_path(settings)
    if not create and not path.exists():
        fail(f"no database at {path}; create the installation first")
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = Database.from_url(f"sqlite:///{path}")
    Base.metadata.create_all(db.engine)
    return db


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
    return f"cli:{name}"


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

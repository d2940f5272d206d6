"""The key vault: wrapped key material, kept apart from the main database.

The main database only catalogues keys (which agency, which period, which
state) and refers to their vault *handle*. The material lives here, wrapped
by the master key. That split is what makes crypto-shredding hold against
backups: a backup of the main database contains no key, so once the vault
destroys a period's key, the reads of that period in any old backup stay
ciphertext for good.

The default vault is a small SQLite file in ``<data_dir>/keys`` with
``secure_delete`` on (a destroyed key's page is zeroed, not just unlinked);
a scale-out deployment points ``keys.vault_url`` at its own PostgreSQL
database. Either way it is backed up apart from the data, on a shorter
schedule than the shortest retention period (see docs/keys-and-search.md).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from platekeeper.crypto import KeyUnavailable
from platekeeper.crypto.aead import new_key_material
from platekeeper.crypto.master import Keyring, MasterKey

logger = logging.getLogger(__name__)

HANDLE_BYTES = 16

vault_metadata = MetaData()

vault_keys = Table(
    "vault_keys",
    vault_metadata,
    Column("handle", LargeBinary(HANDLE_BYTES), primary_key=True),
    # Named keys are the system keys (blob addressing, signing); data keys
    # are anonymous and known to the main database by handle only.
    Column("name", String(64), unique=True, nullable=True),
    Column("master_id", LargeBinary(8), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", Integer, nullable=False),
)


def _context(handle: bytes) -> bytes:
    return b"vault|" + handle


class KeyVault:
    """Stores, unwraps and destroys key material by handle."""

    def __init__(self, engine: Engine, keyring: Keyring) -> None:
        self.engine = engine
        self.keyring = keyring

    @classmethod
    def open(cls, url: str, keyring: Keyring) -> KeyVault:
        """Connect to the vault at ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``),
        creating its table on first use."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database:
                _create_private_file(Path(parsed.database))
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        elif parsed.get_backend_name() == "postgresql":
            engine = create_engine(url, pool_pre_ping=True)
        else:
            raise ValueError(f"unsupported key vault backend {parsed.get_backend_name()!r}")
        vault_metadata.create_all(engine)
        return cls(engine, keyring)

    # -- material by handle -------------------------------------------------

    def new_key(self) -> tuple[bytes, bytes]:
        """Create and store a fresh 256-bit key; returns ``(handle, material)``."""
        handle = secrets.token_bytes(HANDLE_BYTES)
        material = new_key_material()
        self._insert(handle, None, material)
        return handle, material

    def get(self, handle: bytes) -> bytes:
        found = self.get_many([handle])
        if handle not in found:
            raise KeyUnavailable("the key is not in the vault (destroyed or never created)")
        return found[handle]

    def get_many(self, handles: Iterable[bytes]) -> dict[bytes, bytes]:
        wanted = list(dict.fromkeys(handles))
        out: dict[bytes, bytes] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = conn.execute(
                    select(vault_keys.c.handle, vault_keys.c.master_id, vault_keys.c.wrapped).where(
                        vault_keys.c.handle.in_(chunk)
                    )
                )
                for handle, master_id, wrapped in rows:
                    master = self.keyring.by_fingerprint(master_id)
                    out[handle] = master.unwrap(wrapped, _context(handle))
        return out

    def destroy(self, handles: Iterable[bytes]) -> int:
        """Delete key material for good. Returns how many keys were destroyed."""
        wanted = list(dict.fromkeys(handles))
        count = 0
        with self.engine.begin() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                result = conn.execute(delete(vault_keys).where(vault_keys.c.handle.in_(chunk)))
                count += result.rowcount or 0
        logger.info("destroyed %d key(s) in the vault", count)
        return count

    def handles(self, created_before: float | None = None) -> set[bytes]:
        """Handles of anonymous (data) keys, optionally only those created
        before ``created_before`` (epoch seconds): for sweeping orphans."""
        query = select(vault_keys.c.handle).where(vault_keys.c.name.is_(None))
        if created_before is not None:
            query = query.where(vault_keys.c.created_at < created_before)
        with self.engine.connect() as conn:
            return {row[0] for row in conn.execute(query)}

    # -- named system keys --------------------------------------------------

    def system_key(self, name: str, factory: Callable[[], bytes] = new_key_material) -> bytes:
        """The named key, created with ``factory`` on first use (race-safe)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(vault_keys.c.handle, vault_keys.c.master_id, vault_keys.c.wrapped).where(
                    vault_keys.c.name == name
                )
            ).first()
        if row is not None:
            handle, master_id, wrapped = row
            return self.keyring.by_fingerprint(master_id).unwrap(wrapped, _context(handle))
        material = factory()
        try:
            self._insert(secrets.token_bytes(HANDLE_BYTES), name, material)
        except IntegrityError:
            # Another process created it first: use theirs.
            return self.system_key(name, factory)
        logger.info("created system key %r in the vault", name)
        return material

    # -- rotation -------------------------------------------------------------

    def master_ids(self) -> set[bytes]:
        with self.engine.connect() as conn:
            return {row[0] for row in conn.execute(select(vault_keys.c.master_id).distinct())}

    def rewrap(self, new_master: MasterKey) -> int:
        """Re-wrap every key under ``new_master`` in one transaction. The key
        material and everything encrypted with it stay as they are."""
        count = 0
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(vault_keys.c.handle, vault_keys.c.master_id, vault_keys.c.wrapped)
            ).all()
            for handle, master_id, wrapped in rows:
                if master_id == new_master.fingerprint:
                    continue
                material = self.keyring.by_fingerprint(master_id).unwrap(wrapped, _context(handle))
                conn.execute(
                    update(vault_keys)
                    .where(vault_keys.c.handle == handle)
                    .values(
                        master_id=new_master.fingerprint,
                        wrapped=new_master.wrap(material, _context(handle)),
                    )
                )
                count += 1
        return count

    def dispose(self) -> None:
        self.engine.dispose()

    def _insert(self, handle: bytes, name: str | None, material: bytes) -> None:
        master = self.keyring.current
        with self.engine.begin() as conn:
            conn.execute(
                insert(vault_keys).values(
                    handle=handle,
                    name=name,
                    master_id=master.fingerprint,
                    wrapped=master.wrap(material, _context(handle)),
                    created_at=int(time.time()),
                )
            )


def _create_private_file(path: Path) -> None:
    """Create the SQLite vault file owner-only before SQLite touches it (SQLite
    gives its journal the same mode)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
    os.close(fd)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Overwrite deleted content with zeros: a destroyed key leaves no copy
    # in the file's free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()

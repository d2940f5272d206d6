"""Copying the accounts and audit log an earlier version left in the data
directory into the store's database.

Earlier versions kept the identity tables and the audit log in
``data/platekeeper.db`` even when the store was PostgreSQL. This copies
them, rows and ids unchanged, into a store's database that holds no account
and no audit entry yet: the hash chain and the signed checkpoints stay
valid (they cover contents, not where they live), and sealed TOTP seeds and
approval queries stay bound to the same ids. Sessions are not copied:
everyone signs in again. The source file is read, never changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Table, func, select, text

from platekeeper.audit import models as _audit_models  # noqa: F401 (registers the tables)
from platekeeper.audit.log import AuditLog
from platekeeper.auth import models as _auth_models  # noqa: F401 (registers the tables)
from platekeeper.store.base import Base
from platekeeper.store.engine import Database

logger = logging.getLogger(__name__)

# In an order that satisfies their foreign keys (users first, by id: an
# account's creator is an earlier account).
COPIED_TABLES = (
    "users",
    "auth_recovery_codes",
    "search_approvals",
    "audit_log",
    "audit_head",
    "audit_checkpoints",
)
# Tables whose ids PostgreSQL numbers from a sequence, moved past the copies.
SEQUENCED = ("users", "auth_recovery_codes", "search_approvals")


class CopyRefused(Exception):
    """The target already holds accounts or audit entries of its own."""


@dataclass(frozen=True)
class CopyReport:
    counts: dict[str, int]


def _count(db: Database, table: Table) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def copy_identity(
    source: Database, target: Database, audit_log: AuditLog, *, actor: str
) -> CopyReport:
    """Copy every row of ``COPIED_TABLES`` in one transaction, then record the
    copy in the audit log it continues."""
    tables = [Base.metadata.tables[name] for name in COPIED_TABLES]
    for table in (tables[0], tables[3]):
        if _count(target, table):
            raise CopyRefused(f"the store's database already holds {table.name} rows")
    counts: dict[str, int] = {}
    with source.read() as src, target.write() as dst:
        for table in tables:
            rows = src.execute(select(table).order_by(*table.primary_key)).mappings().all()
            if rows:
                dst.execute(table.insert(), [dict(r) for r in rows])
            counts[table.name] = len(rows)
        if dst.get_bind().dialect.name == "postgresql":
            for name in SEQUENCED:
                # The table names are this module's own constants.
                statement = (
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) "  # noqa: S608
                    f"FROM {name} HAVING max(id) IS NOT NULL"
                )
                dst.execute(text(statement))
        audit_log.record(
            dst,
            "users.copy_from_data_dir",
            actor=actor,
            details={f"{name}_rows": n for name, n in counts.items()},
        )
    logger.info("copied %d accounts and %d audit entries", counts["users"], counts["audit_log"])
    return CopyReport(counts)

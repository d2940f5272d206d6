"""Tables of the audit log.

``audit_log`` holds the entries, each with the hash of its predecessor and
its own hash; ``audit_head`` the last sequence number and hash (one row,
locked by every writer so that entries are numbered without gaps even on
PostgreSQL with many servers); ``audit_checkpoints`` signed statements
"the log up to entry N hashes to H".

The tables refuse UPDATE and DELETE by trigger where the database allows
it (both SQLite and PostgreSQL do); the hash chain and the signatures make
any change that gets past the triggers detectable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, Integer, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from platekeeper.auth.columns import UtcDateTime
from platekeeper.store.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    client_address: Mapped[str | None] = mapped_column(String(64))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    case_number: Mapped[str | None] = mapped_column(String(64))
    # A plate appears only as a keyed blind index, never as text.
    plate_index: Mapped[bytes | None] = mapped_column(LargeBinary(64))
    result_count: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


def append_only_sql(table: str, dialect: str) -> list[str]:
    """Statements that make ``table`` refuse UPDATE and DELETE (for migrations too)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{op} BEFORE {op.upper()} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            for op in ("update", "delete")
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION platekeeper_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION platekeeper_append_only()",
        ]
    return []


for _name in (AuditEntry.__tablename__, AuditCheckpoint.__tablename__):
    for _dialect in ("sqlite", "postgresql"):
        for _statement in append_only_sql(_name, _dialect):
            event.listen(
                Base.metadata.tables[_name],
                "after_create",
                DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect),  # type: ignore[no-untyped-call]
            )

"""The key catalogue, legal holds, and id allocation.

``data_keys`` says which key serves which agency, data type and period and
whether it still exists; the key material is in the key vault, found by
``vault_handle``. A row is never deleted: a destroyed key stays catalogued
(state ``destroyed``) so that what it encrypted is known to be gone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from platekeeper.store.base import Base
from platekeeper.store.types import UtcDateTime


class LegalHold(Base):
    """A case whose records are exempt from retention until released."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DataKey(Base):
    """One data or blind-index key: its scope, period and state."""

    __tablename__ = "data_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # purpose|class|agency|period start|hold — unique, so two processes that
    # need the same key at once end up with one.
    scope: Mapped[str] = mapped_column(String(200), unique=True)
    purpose: Mapped[str] = mapped_column(String(8))
    data_class: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(64))
    period_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("legal_holds.id"), index=True)
    vault_handle: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    destroyed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class IdBlock(Base):
    """The next free id of a table whose ids are chosen before insert.

    Reads are encrypted with their id bound as associated data, so the id
    must be known before the row exists; processes reserve blocks of ids
    here in one short transaction and hand them out from memory.
    """

    __tablename__ = "id_blocks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_id: Mapped[int] = mapped_column(BigInteger)

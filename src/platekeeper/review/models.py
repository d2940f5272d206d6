"""The violations table: one row per offence per pass (unique on the finding's key).

The plate is sealed (AES-256-GCM under the hits data key of the capture's
period and agency, bound to the row's key); everything else is plate-free
and may be listed. Review steps are columns here and entries in the audit log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from platekeeper.store.base import Base
from platekeeper.store.types import UtcDateTime


class Violation(Base):
    __tablename__ = "violations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    offence: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(64))
    rule_type: Mapped[str] = mapped_column(String(32))
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), index=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    read_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    related_read_ids: Mapped[str] = mapped_column(String(500), default="")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    data_key_id: Mapped[int] = mapped_column(ForeignKey("data_keys.id"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    details: Mapped[str] = mapped_column(Text, default="{}")
    evidence: Mapped[str] = mapped_column(Text, default="[]")
    # pending → (claimed) → awaiting_second → confirmed, or → rejected.
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    first_reviewer_id: Mapped[int | None] = mapped_column(Integer, default=None)
    first_decision: Mapped[str | None] = mapped_column(String(16), default=None)
    first_reason: Mapped[str] = mapped_column(String(500), default="")
    first_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    second_reviewer_id: Mapped[int | None] = mapped_column(Integer, default=None)
    second_decision: Mapped[str | None] = mapped_column(String(16), default=None)
    second_reason: Mapped[str] = mapped_column(String(500), default="")
    second_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

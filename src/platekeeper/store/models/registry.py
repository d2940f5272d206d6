"""The vehicle registry and hotlists, plates encrypted like reads.

Registry and hotlist keys have no period: these lists are kept until an
operator or a registry sync removes an entry, not by the read policies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from platekeeper.store.base import Base
from platekeeper.store.types import UtcDateTime


class Vehicle(Base):
    """A registry entry: what the licensing authority says about a plate."""

    __tablename__ = "vehicles"
    __table_args__ = (
        UniqueConstraint("plate_exact", "country", name="uq_vehicles_plate_exact_country"),
        CheckConstraint(
            "status IN ('registered', 'expired', 'unregistered', 'stolen')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    country: Mapped[str] = mapped_column(String(3))
    plate_exact: Mapped[int] = mapped_column(BigInteger)
    plate_fuzzy: Mapped[int] = mapped_column(BigInteger, index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    data_key_id: Mapped[int] = mapped_column(ForeignKey("data_keys.id"))
    status: Mapped[str] = mapped_column(String(16))
    vehicle_class: Mapped[str | None] = mapped_column(String(32))
    # Non-identifying conditions, e.g. {"banned_hours": [[7, 10]], "zones": ["centre"]}.
    restrictions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Hotlist(Base):
    """A named list of wanted plates (stolen, wanted, expired insurance …)."""

    __tablename__ = "hotlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    agency: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HotlistEntry(Base):
    """One plate or wildcard pattern on a hotlist.

    Exact entries carry a blind index for matching; wildcard entries
    (``01A*``, ``?``) are few and are matched after decryption in memory.
    """

    __tablename__ = "hotlist_entries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hotlist_id: Mapped[int] = mapped_column(
        ForeignKey("hotlists.id", ondelete="CASCADE"), index=True
    )
    data_key_id: Mapped[int] = mapped_column(ForeignKey("data_keys.id"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    plate_exact: Mapped[int | None] = mapped_column(BigInteger, index=True)
    wildcard: Mapped[bool] = mapped_column(Boolean)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

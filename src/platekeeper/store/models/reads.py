"""Plate reads, evidence blobs, and the links between them.

A read row holds no plate in the clear: ``sealed`` is the AES-256-GCM
ciphertext of the plate, its OCR candidates and the read's GPS (bound to the
read's id), and ``plate_exact`` / ``plate_fuzzy`` are keyed blind indexes.

On PostgreSQL ``reads`` is range-partitioned by capture time (one partition
a month, made on demand by ``store.partitions``). Every unique key includes
``id``, so the table can also be distributed by ``id`` with Citus
(``read_evidence`` co-located on ``read_id``). On SQLite it is a
``WITHOUT ROWID`` table clustered on ``(id, captured_at)``: no hidden rowid
and no second copy of the key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from platekeeper.store.base import Base
from platekeeper.store.types import UtcDateTime


class Read(Base):
    """One plate read by one camera at one moment."""

    __tablename__ = "reads"
    __table_args__ = (
        Index("ix_reads_plate_exact_captured_at", "plate_exact", "captured_at"),
        Index("ix_reads_plate_fuzzy_captured_at", "plate_fuzzy", "captured_at"),
        Index("ix_reads_camera_id_captured_at", "camera_id", "captured_at"),
        Index("ix_reads_data_key_id", "data_key_id"),
        {
            "postgresql_partition_by": "RANGE (captured_at)",
            "sqlite_with_rowid": False,
        },
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    data_key_id: Mapped[int] = mapped_column(ForeignKey("data_keys.id"))
    plate_exact: Mapped[int] = mapped_column(BigInteger)
    plate_fuzzy: Mapped[int] = mapped_column(BigInteger)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    confidence: Mapped[float] = mapped_column(Float)
    country: Mapped[str | None] = mapped_column(String(3))
    # A hotlist hit or violation: kept under the (longer) hits policy.
    hit: Mapped[bool] = mapped_column(Boolean, default=False)


class EvidenceBlob(Base):
    """An encrypted image or clip in the evidence store.

    ``address`` is the keyed hash of the plaintext (the object's name);
    ``wrapped_key`` is the blob's own key, wrapped by a data key, so that
    re-keying a blob (a hit, a legal hold) rewrites 61 bytes here and never
    the write-once object.
    """

    __tablename__ = "evidence_blobs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    address: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data_key_id: Mapped[int] = mapped_column(ForeignKey("data_keys.id"), index=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReadEvidence(Base):
    """Which blobs belong to which read (a frame may serve several reads)."""

    __tablename__ = "read_evidence"
    __table_args__ = (
        ForeignKeyConstraint(
            ["read_id", "captured_at"],
            ["reads.id", "reads.captured_at"],
            ondelete="CASCADE",
            name="fk_read_evidence_read_id_reads",
        ),
        {"sqlite_with_rowid": False},
    )

    read_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    blob_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_blobs.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime)

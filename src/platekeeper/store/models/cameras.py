"""Cameras and the road graph between them.

Camera positions are not personal data and stay in the clear: the journey
view and the section-speed rule need them without a key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from platekeeper.store.base import Base
from platekeeper.store.types import UtcDateTime


class Camera(Base):
    """One camera (one lens) of a camera bank."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    bank: Mapped[str] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[str | None] = mapped_column(String(32))
    # [{"name": "lane 1", "polygon": [[x, y], ...]}] in image-relative
    # coordinates (0..1), so they survive a resolution change.
    lanes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    road_segment: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CameraNeighbour(Base):
    """A directed road link: the next camera downstream and how far it is."""

    __tablename__ = "camera_neighbours"

    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    neighbour_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    distance_m: Mapped[float] = mapped_column(Float)


class CameraKey(Base):
    """A camera's request-signing key. The secret is kept sealed (AES-256-GCM
    under the vault's ``camera-keys`` key, bound to the key id): HMAC
    verification needs the secret itself, so a hash would not do, and the
    database alone never reveals it."""

    __tablename__ = "camera_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class IngestNonce(Base):
    """Nonces seen in signed requests inside the accepted time window; a
    second request with the same key and nonce is a replay."""

    __tablename__ = "ingest_nonces"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class IngestReceipt(Base):
    """That a camera's read with this idempotency key is stored, and as which
    read. Written in the read's own transaction, so a retry after a lost
    answer finds it and stores nothing twice. The key is kept as its SHA-256:
    a camera may build it from anything, its plate included."""

    __tablename__ = "ingest_receipts"

    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    key_digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    read_id: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

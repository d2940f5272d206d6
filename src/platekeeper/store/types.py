"""Column types and enumerations shared by the store's models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp.

    PostgreSQL: ``timestamp with time zone`` (what range partitions and
    operators expect). SQLite: integer microseconds since the epoch — 8 bytes
    instead of a 26-character string, which matters on a table of billions of
    rows and keeps index comparisons integer comparisons. Naive datetimes are
    refused: a capture time without a zone is a bug upstream.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: timestamps must carry a time zone")
        if dialect.name == "sqlite":
            return (value - EPOCH) // _MICROSECOND
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return EPOCH + timedelta(microseconds=int(value))
        assert isinstance(value, datetime)
        return value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class DataClass(StrEnum):
    """Types of data with their own retention policy and keys."""

    READS = "reads"
    HITS = "hits"
    CROPS = "crops"
    FRAMES = "frames"
    CLIPS = "clips"
    HOLD = "hold"
    REGISTRY = "registry"
    HOTLISTS = "hotlists"


class KeyPurpose(StrEnum):
    DATA = "data"
    INDEX = "index"


class KeyState(StrEnum):
    ACTIVE = "active"
    DESTROYED = "destroyed"


class EvidenceKind(StrEnum):
    CROP = "crop"
    FRAME = "frame"
    CLIP = "clip"


class VehicleStatus(StrEnum):
    REGISTERED = "registered"
    EXPIRED = "expired"
    UNREGISTERED = "unregistered"
    STOLEN = "stolen"


# Where the evidence of a non-hit read is kept, by kind.
EVIDENCE_CLASS = {
    EvidenceKind.CROP: DataClass.CROPS,
    EvidenceKind.FRAME: DataClass.FRAMES,
    EvidenceKind.CLIP: DataClass.CLIPS,
}

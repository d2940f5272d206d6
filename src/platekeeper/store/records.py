"""Plain value objects going into and out of the store (never ORM rows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from platekeeper.store.types import EvidenceKind


@dataclass(frozen=True)
class NewEvidence:
    """An image or clip that comes with a read."""

    kind: EvidenceKind
    data: bytes = field(repr=False)


NO_PLATE = ""
"""The stored plate of a pass with no readable plate. No search can ask for
it: plate searches need at least one character, wildcards two."""


@dataclass(frozen=True)
class NewRead:
    """A read to store. ``camera`` is the camera's code."""

    camera: str
    captured_at: datetime
    # None: a vehicle passed and no plate could be read (stored as NO_PLATE).
    plate: str | None = field(repr=False)
    confidence: float
    country: str | None = None
    candidates: Sequence[tuple[str, float]] = field(default=(), repr=False)
    gps: tuple[float, float] | None = field(default=None, repr=False)
    evidence: Sequence[NewEvidence] = ()
    # Where the vehicle was relative to the stop line: (UTC seconds, metres,
    # negative before the line) — what a red-light camera measures.
    track: Sequence[tuple[float, float]] = ()
    # The JPEG frame showing each track point, aligned with ``track`` (None
    # where a point has none; empty when no point has one). Stored as frame
    # evidence of the read: the red-light rule's before, at and past frames.
    track_frames: Sequence[bytes | None] = field(default=(), repr=False)
    # The plate's box (x, y, w, h) in the read's frame, when the edge knows it.
    plate_box: tuple[int, int, int, int] | None = None
    # The lane (1 = kerb lane) and vehicle class the camera saw, when it says.
    lane: int | None = None
    vehicle_class: str | None = None


@dataclass(frozen=True)
class CameraSpec:
    """What an operator says about a camera when adding it."""

    code: str
    name: str
    bank: str
    agency: str
    region: str
    latitude: float
    longitude: float
    heading: float | None = None
    direction: str | None = None
    lanes: Sequence[dict[str, Any]] = ()
    road_segment: str | None = None


@dataclass(frozen=True)
class CameraInfo:
    id: int
    code: str
    name: str
    bank: str
    agency: str
    region: str
    latitude: float
    longitude: float
    heading: float | None
    direction: str | None
    road_segment: str | None
    lanes: tuple[dict[str, Any], ...]
    active: bool


@dataclass(frozen=True)
class EvidenceRef:
    blob_id: int
    kind: EvidenceKind
    media_type: str
    size: int
    # The blob's content address; how a track point names its frame.
    address: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class StoredRead:
    """A decrypted read: one sighting, with where the camera stands."""

    id: int
    captured_at: datetime
    camera: CameraInfo
    plate: str = field(repr=False)  # NO_PLATE ("") for a pass with no readable plate
    confidence: float
    country: str | None
    candidates: tuple[tuple[str, float], ...] = field(repr=False)
    gps: tuple[float, float] | None = field(repr=False)
    hit: bool
    evidence: tuple[EvidenceRef, ...]
    track: tuple[tuple[float, float], ...] = ()
    # The evidence blob id of each track point's frame, aligned with
    # ``track`` (None where it has none, or its frame is past retention).
    track_frames: tuple[int | None, ...] = ()
    plate_box: tuple[int, int, int, int] | None = None
    lane: int | None = None
    vehicle_class: str | None = None

    @property
    def track_frame_ids(self) -> frozenset[int]:
        return frozenset(b for b in self.track_frames if b is not None)


@dataclass(frozen=True)
class BoundingBox:
    """An area on the map (WGS 84 degrees)."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon

"""What a camera sends to ``POST /api/v1/ingest/reads``: a JSON batch.

Images travel base64-encoded inside the JSON, so that the one body the
camera signs holds everything. Every field is checked here for form; the
store then checks what needs its data (the camera, retention, the images).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

# The store's own limits, checked here first so the door's schema states them:
# track points of one read that may carry a frame (the rule needs three,
# before, at and past the line; a few more let the edge send neighbours),
# the largest frame side a plate box may point into, and the lanes and
# vehicle classes the read's sealed payload holds.
from platekeeper.store.reads import MAX_LANE, MAX_SIDE, MAX_TRACK_FRAMES, VEHICLE_CLASS

MAX_READS = 100
MAX_TRACK_FRAME_B64 = 4 * 1024 * 1024
"""Longest base64 text of one track frame (about 3 MiB of JPEG); the body
limit and the store's frame limit apply as well."""
MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest request body accepted (413 above): a batch of reads with crops, or
a few reads with full frames."""


def describe(exc: ValidationError, limit: int = 5) -> str:
    """A 422's reason: each problem with where it is. A problem inside one
    read or frame names it as ``read N:`` / ``frame N:``, as the store's own
    refusals do, so a sender can set that one aside."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:limit]:
        loc = list(error["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] in ("reads", "frames") and isinstance(loc[1], int):
            where = f"{str(loc[0])[:-1]} {loc[1]}: "
            loc = loc[2:]
        field = ".".join(str(p) for p in loc)
        parts.append(f"{where}{field}: {error['msg']}" if field else f"{where}{error['msg']}")
    return "; ".join(parts)


class CandidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1, max_length=16)
    confidence: float = Field(ge=0.0, le=1.0)


class TrackPointIn(BaseModel):
    """Where the vehicle was relative to the stop line at an instant (red-light cameras)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime = Field(description="Instant, with its UTC offset.")
    offset_m: float = Field(
        ge=-1000.0, le=1000.0, description="Metres along the travel, negative before the line."
    )
    frame_jpeg: str | None = Field(
        default=None,
        max_length=MAX_TRACK_FRAME_B64,
        description=(
            "The frame that shows the vehicle here, base64 JPEG: the red-light evidence "
            "before, at and past the line. At most MAX_TRACK_FRAMES points of a read carry one."
        ),
    )

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("the instant must carry a UTC offset")
        return value

    @field_validator("frame_jpeg")
    @classmethod
    def _jpeg(cls, value: str | None) -> str | None:
        data = _image(value)
        if data is not None and data[:3] != b"\xff\xd8\xff":
            raise ValueError("not a JPEG")
        return value

    def frame(self) -> bytes | None:
        return _image(self.frame_jpeg)


class PlateBoxIn(BaseModel):
    """Where the plate is in the read's frame, in pixels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: int = Field(ge=0, le=MAX_SIDE)
    y: int = Field(ge=0, le=MAX_SIDE)
    w: int = Field(ge=1, le=MAX_SIDE)
    h: int = Field(ge=1, le=MAX_SIDE)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.w, self.h


def _image(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not valid base64") from exc


class ReadIn(BaseModel):
    """One read made at the edge."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idempotency_key: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Unique per read of this camera; a repeated key is stored once.",
    )
    captured_at: datetime = Field(description="Capture time with its UTC offset.")
    plate: str | None = Field(
        min_length=1,
        max_length=16,
        description="Plate as read; null for a vehicle that passed with no readable plate.",
    )
    confidence: float = Field(ge=0.0, le=1.0)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    candidates: list[CandidateIn] = Field(default_factory=list, max_length=10)
    crop_jpeg: str | None = Field(default=None, description="Plate crop, base64 JPEG.")
    frame_jpeg: str | None = Field(default=None, description="Full frame, base64 JPEG.")
    clip_mp4: str | None = Field(default=None, description="Clip of the pass, base64 MP4.")
    plate_box: PlateBoxIn | None = Field(
        default=None,
        description="The plate's box in frame_jpeg (which must come with it): where the "
        "windscreen classifier finds the windscreen.",
    )
    track: list[TrackPointIn] = Field(
        default_factory=list,
        max_length=64,
        description="The vehicle's positions relative to the stop line (red-light cameras).",
    )
    lane: int | None = Field(
        default=None,
        ge=1,
        le=MAX_LANE,
        strict=True,
        description="The lane the vehicle was in, numbered from 1, the kerb lane: what "
        "the rules' lane lists (no-plate, red-light, section entry and exit lanes) match.",
    )
    vehicle_class: str | None = Field(
        default=None,
        max_length=32,
        pattern=VEHICLE_CLASS.pattern,
        description="The vehicle class the camera saw, a lower-case word as the rules and "
        "the registry name them (car, taxi, bus, truck, motorcycle ...).",
    )

    @field_validator("captured_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("the capture time must carry a UTC offset")
        return value

    @model_validator(mode="after")
    def _box_in_a_frame(self) -> ReadIn:
        if self.plate_box is not None and self.frame_jpeg is None:
            raise ValueError("a plate box is a place in the frame: send frame_jpeg with it")
        return self

    @field_validator("track")
    @classmethod
    def _few_frames(cls, value: list[TrackPointIn]) -> list[TrackPointIn]:
        if sum(p.frame_jpeg is not None for p in value) > MAX_TRACK_FRAMES:
            raise ValueError(f"at most {MAX_TRACK_FRAMES} track points carry a frame")
        return value

    @field_validator("crop_jpeg", "frame_jpeg", "clip_mp4")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        _image(value)
        return value

    def crop(self) -> bytes | None:
        return _image(self.crop_jpeg)

    def frame(self) -> bytes | None:
        return _image(self.frame_jpeg)

    def clip(self) -> bytes | None:
        return _image(self.clip_mp4)


class ReadBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reads: list[ReadIn] = Field(min_length=1, max_length=MAX_READS)


class IngestResult(BaseModel):
    """The answer: how many reads were stored now and how many were already."""

    model_config = ConfigDict(frozen=True)

    stored: int
    duplicates: int


MAX_FRAMES = 20


class FrameIn(BaseModel):
    """A still from a camera that does not read plates itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    captured_at: datetime
    jpeg: str = Field(description="The frame, base64 JPEG.")

    @field_validator("captured_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return ReadIn._aware(value)

    @field_validator("jpeg")
    @classmethod
    def _is_jpeg(cls, value: str) -> str:
        data = _image(value)
        if not data or data[:3] != b"\xff\xd8\xff":
            raise ValueError("not a JPEG")
        return value

    def image(self) -> bytes:
        return _image(self.jpeg) or b""


class FrameBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    frames: list[FrameIn] = Field(min_length=1, max_length=MAX_FRAMES)


class QueuedResult(BaseModel):
    """How many frames were queued now and how many were queued already."""

    model_config = ConfigDict(frozen=True)

    queued: int
    duplicates: int

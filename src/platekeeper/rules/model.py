"""The values the rules work on: a read going in, findings coming out.

A :class:`ReadEvent` is one sighting of one vehicle pass as the rules need
it: the camera, the instant, the plate (or none), the lane and direction,
the plate's track relative to a stop line, and references to the evidence
(crop, frames, clip) that the store keeps. A :class:`Finding` is what a
rule makes of it: one offence or alert for one pass, with a deduplication
key that names no plate, so that the same pass never gives the same offence
twice, whichever rule or redelivery produced it.

Times are UTC seconds since the Unix epoch (``ts``), which is what the hot
path compares; ``captured_at`` gives the aware datetime.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

JsonValue = Any
"""A value that ``json.dumps`` accepts (kept loose: mypy cannot express JSON)."""


class Offence(StrEnum):
    """Offences and alerts of the built-in rules. A third-party rule may use
    its own offence names; these are the ones the platform knows."""

    RED_LIGHT = "red_light"
    SECTION_SPEED = "section_speed"
    TIME_WINDOW = "time_window"
    UNREGISTERED = "unregistered"
    EXPIRED = "expired"
    STOLEN = "stolen"
    HOTLIST = "hotlist"
    NO_PLATE = "no_plate"
    SEATBELT = "seatbelt"
    PHONE = "phone"


class FindingKind(StrEnum):
    """A violation goes to the review queue; an alert goes out at once (and,
    where the offence is also punishable, to the queue as well)."""

    VIOLATION = "violation"
    ALERT = "alert"


class Source(StrEnum):
    RULE = "rule"
    CLASSIFIER = "classifier"
    MANUAL = "manual"


EvidenceKind = Literal["crop", "frame", "clip", "image"]


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """A reference to a piece of evidence held elsewhere (the store's blob id,
    or a frame index inside a clip). ``role`` says what it shows in a finding:
    ``before``, ``at`` or ``past`` the stop line, ``entry`` or ``exit`` of a
    section, ``plate`` for a crop."""

    kind: EvidenceKind
    ref: str
    ts: float | None = None
    role: str = ""

    def as_role(self, role: str) -> EvidenceRef:
        return EvidenceRef(self.kind, self.ref, self.ts, role)

    def to_dict(self) -> dict[str, JsonValue]:
        return {"kind": self.kind, "ref": self.ref, "ts": self.ts, "role": self.role}


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """Where a vehicle was at ``ts`` relative to the stop line of its camera:
    ``offset`` is the signed distance along its travel, negative before the
    line (metres from a radar or the simulator, pixels from the image, see
    :func:`platekeeper.rules.red_light.offsets_from_image`). ``frame`` is the
    frame that shows it, when there is one."""

    ts: float
    offset: float
    frame: EvidenceRef | None = None


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box in frame pixels."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class ReadEvent:
    """One read of one vehicle pass, as the rules see it.

    ``pass_id`` names the pass (the tracker's id for the vehicle at this
    camera); several reads of one pass — two frames, a redelivery — share it
    and so share their findings' keys. It defaults to the read id.
    ``plate`` is canonical (A-Z, 0-9) or None when no plate could be read.
    """

    read_id: str
    camera: str
    ts: float
    plate: str | None = field(repr=False)
    confidence: float = 1.0
    country: str | None = None
    candidates: tuple[tuple[str, float], ...] = field(default=(), repr=False)
    pass_id: str = ""
    lane: int | None = None
    direction: str | None = None
    vehicle_class: str | None = None
    track: tuple[TrackPoint, ...] = ()
    evidence: tuple[EvidenceRef, ...] = ()
    vehicle_box: Box | None = None
    plate_box: Box | None = None

    @property
    def pass_key(self) -> str:
        return self.pass_id or self.read_id

    @property
    def captured_at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)

    def evidence_of(self, kind: EvidenceKind) -> tuple[EvidenceRef, ...]:
        return tuple(e for e in self.evidence if e.kind == kind)


def dedup_key(offence: str, *parts: str) -> str:
    """The key of one offence by one pass (or pair of passes): a short hash of
    the offence and the pass ids, never of a plate. Stored with a violation,
    it is the unique key that makes writing a finding idempotent."""
    text = "\x1f".join((offence, *parts))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Finding:
    """One offence or alert raised for one pass.

    ``read_id`` is the read that completes the offence (for a section, the
    exit read); ``related_reads`` the others it rests on (the entry read).
    ``details`` is plain JSON data about the offence and never holds the
    plate: it may be shown in lists, logged and sent out. The plate is kept
    apart (``plate``, not in ``repr``) for the encrypted violation record.
    """

    offence: str
    kind: FindingKind
    key: str
    rule: str
    rule_type: str
    read_id: str
    pass_id: str
    camera: str
    region: str
    ts: float
    plate: str | None = field(repr=False)
    country: str | None = None
    priority: int = 0
    related_reads: tuple[str, ...] = ()
    evidence: tuple[EvidenceRef, ...] = ()
    details: Mapping[str, JsonValue] = field(default_factory=dict)
    source: Source = Source.RULE
    needs_review: bool = True

    @property
    def captured_at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)

    def to_record(self) -> dict[str, JsonValue]:
        """Everything but the plate, as JSON data (the shape a violation row
        stores in the clear beside its encrypted plate)."""
        return {
            "key": self.key,
            "offence": self.offence,
            "kind": self.kind.value,
            "rule": self.rule,
            "rule_type": self.rule_type,
            "read_id": self.read_id,
            "pass_id": self.pass_id,
            "camera": self.camera,
            "region": self.region,
            "captured_at": self.captured_at.isoformat(timespec="milliseconds"),
            "priority": self.priority,
            "related_reads": list(self.related_reads),
            "evidence": [e.to_dict() for e in self.evidence],
            "details": dict(self.details),
            "source": self.source.value,
            "needs_review": self.needs_review,
            "has_plate": self.plate is not None,
        }

"""Capture events: one vehicle passing one camera bank, with the ground truth
of what the rules should make of it.

A capture is what a perfect camera and a perfect reader would report, plus
what the simulation knows: the vehicle, its trip, the signal phase, where it
was relative to the stop line, the section it has just driven and the
offences this pass should raise. Tests use the truth to measure the share of
violations the real pipeline raises; the renderer uses the rest to draw the
scene. Times are UTC seconds since the Unix epoch (``ts``) with
``captured_at`` as an aware datetime.

The records are slotted dataclasses but not frozen: a frozen dataclass costs
ten times as much to build, and the simulator builds tens of thousands a
second. Treat them as values all the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from platekeeper.sim.population import PlateState
from platekeeper.sim.signals import Phase, SignalProgramme
from platekeeper.sim.vehicles import VehicleClass

TRACK_STEP_S = 0.6


class Violation(StrEnum):
    """Offences and alerts a capture should give rise to (issue 6's rules)."""

    RED_LIGHT = "red_light"
    SECTION_SPEED = "section_speed"
    TIME_WINDOW = "time_window"
    UNREGISTERED = "unregistered"
    EXPIRED = "expired"
    STOLEN = "stolen"
    HOTLIST = "hotlist"
    NO_PLATE = "no_plate"


@dataclass(slots=True)
class StopLinePoint:
    """Where the vehicle was relative to the stop line at ``ts``: metres along
    its travel, negative before the line; and the signal then."""

    ts: float
    offset_m: float
    phase: Phase


@dataclass(slots=True)
class SectionPass:
    """The section a vehicle has just completed at this capture (its exit)."""

    section_id: str
    entry_capture_id: int
    entry_ts: float
    distance_m: float
    average_kmh: float
    limit_kmh: int


@dataclass(slots=True)
class Capture:
    """One vehicle passing one bank."""

    id: int
    ts: float
    bank_id: str
    camera_id: str
    lane: int
    vehicle_id: int
    trip_id: int
    plate: str | None = field(repr=False)
    """The text a perfect reader returns; None when the plate is missing or
    unreadable (the vehicle's registered plate, to draw a dirty one, is
    ``population[vehicle_id].plate``)."""
    plate_state: PlateState
    vehicle_class: VehicleClass
    speed_kmh: float
    direction: str
    heading_deg: float
    phase: Phase | None
    """Signal phase as the vehicle crossed the stop line (junction banks only)."""
    signal: SignalProgramme | None = field(repr=False)
    """The programme of the junction's signal (junction banks only)."""
    section: SectionPass | None
    violations: tuple[Violation, ...]

    @property
    def captured_at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)

    @property
    def stop_line(self) -> tuple[StopLinePoint, ...]:
        """Before, at and past the stop line, ``TRACK_STEP_S`` apart, at junction
        banks (the capture instant is the crossing); empty elsewhere. The
        positions follow from the speed; a queue that waited for green moves
        off slowly, so the steps are never shorter than 1.5 m."""
        signal = self.signal
        if signal is None:
            return ()
        d = max(self.speed_kmh / 3.6 * TRACK_STEP_S, 1.5)
        return tuple(
            StopLinePoint(
                self.ts + k * TRACK_STEP_S, k * d, signal.phase_at(self.ts + k * TRACK_STEP_S)
            )
            for k in (-1, 0, 1)
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (one line of ``platekeeper sim`` output)."""
        return {
            "id": self.id,
            "captured_at": self.captured_at.isoformat(timespec="milliseconds"),
            "bank": self.bank_id,
            "camera": self.camera_id,
            "lane": self.lane,
            "vehicle": self.vehicle_id,
            "trip": self.trip_id,
            "plate": self.plate,
            "plate_state": self.plate_state.value,
            "vehicle_class": self.vehicle_class.value,
            "speed_kmh": round(self.speed_kmh, 1),
            "direction": self.direction,
            "heading_deg": self.heading_deg,
            "phase": self.phase.value if self.phase else None,
            "stop_line": [
                {
                    "at": datetime.fromtimestamp(p.ts, UTC).isoformat(timespec="milliseconds"),
                    "offset_m": round(p.offset_m, 2),
                    "phase": p.phase.value,
                }
                for p in self.stop_line
            ],
            "section": None
            if self.section is None
            else {
                "id": self.section.section_id,
                "entry_capture": self.section.entry_capture_id,
                "distance_m": self.section.distance_m,
                "average_kmh": round(self.section.average_kmh, 1),
                "limit_kmh": self.section.limit_kmh,
            },
            "violations": [v.value for v in self.violations],
        }

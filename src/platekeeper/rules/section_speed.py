"""Average-speed (section control) rule: the same plate seen at a section's
entry camera and then at its exit camera; the road distance over the time
between gives the average speed.

Configured per section: the two cameras, the road distance, the limit
(optionally per vehicle class), the tolerance, which lanes count at each
end, and the direction of travel. The camera clocks are trusted only to
within ``max_clock_skew_s``: the speed that decides is computed over the
transit time plus that skew, so the doubt goes to the driver. A transit
faster than ``max_plausible_kmh`` is a misread pairing, never a violation.

State is the recent sightings at section cameras, in one insertion-ordered
map bounded twice: a sighting is dropped once the stream's watermark has
passed it by the longest transit allowed at its camera (plus the lateness
allowed for reads delivered late), and the oldest go first beyond
``max_sightings``. Reads may arrive out of order: a late entry read still
pairs with an exit read already seen, and the pair's key (section, entry
pass, exit pass) is the same either way, so it is never raised twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from platekeeper.rules.context import RuleContext
from platekeeper.rules.model import Finding, Offence, ReadEvent
from platekeeper.rules.plugin import Rule, RuleConfig

MAX_PER_PLATE = 4


class SectionConfig(BaseModel):
    """One measured section: entry camera, exit camera, road distance, limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, title="Section id")
    entry: str = Field(min_length=1, title="Entry camera", description="Camera code.")
    exit: str = Field(min_length=1, title="Exit camera", description="Camera code.")
    distance_m: float = Field(gt=0, le=200_000, title="Road distance", description="Metres.")
    limit_kmh: float = Field(gt=0, le=200, title="Limit", description="km/h for all vehicles.")
    class_limits: dict[str, float] = Field(
        default_factory=dict,
        title="Limits per class",
        description="Lower limits for some classes (truck: 70).",
    )
    tolerance_kmh: float | None = Field(
        default=None, ge=0, title="Tolerance", description="Overrides the rule's tolerance."
    )
    direction: str | None = Field(
        default=None,
        title="Direction",
        description="Direction label of the traffic measured; reads going another way are ignored.",
    )
    entry_lanes: list[int] | None = Field(default=None, title="Entry lanes")
    exit_lanes: list[int] | None = Field(default=None, title="Exit lanes")
    max_transit_s: float | None = Field(
        default=None,
        gt=0,
        title="Maximum transit",
        description="Longer transits are not paired (default: distance at the minimum average).",
    )

    @model_validator(mode="after")
    def _two_cameras(self) -> SectionConfig:
        if self.entry == self.exit:
            raise ValueError("a section needs two different cameras")
        return self


class SectionSpeedConfig(RuleConfig):
    type: Literal["section_speed"] = "section_speed"
    sections: list[SectionConfig] = Field(min_length=1, title="Sections")
    tolerance_kmh: float = Field(
        default=5.0, ge=0, le=50, title="Tolerance", description="km/h above the limit allowed."
    )
    tolerance_pct: float = Field(
        default=0.0,
        ge=0,
        le=50,
        title="Tolerance (percent)",
        description="Percent of the limit allowed; the larger of the two tolerances applies.",
    )
    max_clock_skew_s: float = Field(
        default=1.0, ge=0, le=60, title="Clock skew", description="Worst skew between cameras."
    )
    min_average_kmh: float = Field(
        default=10.0,
        gt=0,
        title="Minimum average",
        description="Sets the default maximum transit of a section.",
    )
    max_plausible_kmh: float = Field(
        default=300.0, gt=0, title="Plausible maximum", description="Faster pairs are misreads."
    )
    late_allowance_s: float = Field(
        default=300.0,
        ge=0,
        le=32 * 86400,
        title="Lateness allowed",
        description=(
            "How far behind the newest read (stream time) a read may arrive and still be "
            "paired; sightings are held that much longer."
        ),
    )
    max_sightings: int = Field(
        default=1_000_000, ge=1000, title="Memory bound", description="Sightings held at most."
    )

    @model_validator(mode="after")
    def _unique(self) -> SectionSpeedConfig:
        ids = [s.id for s in self.sections]
        if len(ids) != len(set(ids)):
            raise ValueError("section ids must be unique")
        return self


@dataclass(frozen=True, slots=True)
class _Section:
    config: SectionConfig
    max_transit: float
    tolerance: float


class SectionSpeedRule(Rule[SectionSpeedConfig]):
    type = "section_speed"
    config_model = SectionSpeedConfig
    offences = (Offence.SECTION_SPEED.value,)

    def __init__(self, name: str, config: SectionSpeedConfig, context: RuleContext) -> None:
        super().__init__(name, config, context)
        self._by_exit: dict[str, list[_Section]] = {}
        self._by_entry: dict[str, list[_Section]] = {}
        self._horizon: dict[str, float] = {}
        for s in config.sections:
            transit = s.max_transit_s or s.distance_m / (config.min_average_kmh / 3.6)
            tolerance = s.tolerance_kmh if s.tolerance_kmh is not None else config.tolerance_kmh
            section = _Section(s, transit, tolerance)
            self._by_exit.setdefault(s.exit, []).append(section)
            self._by_entry.setdefault(s.entry, []).append(section)
            for camera in (s.entry, s.exit):
                self._horizon[camera] = max(self._horizon.get(camera, 0.0), transit)
        self._cameras = frozenset(self._horizon)
        self._sightings: OrderedDict[tuple[str, str], list[ReadEvent]] = OrderedDict()
        self._watermark = float("-inf")
        self._counts = dict.fromkeys(
            ("pairs", "late_entries", "implausible", "skewed", "expired", "evicted"), 0
        )

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        plate = read.plate
        if plate is None:
            return ()
        if read.ts > self._watermark:
            self._watermark = read.ts
            self._expire()
        out: list[Finding] = []
        for section in self._by_exit.get(read.camera, ()):
            if self._fits(section.config, read, exit_end=True):
                self._as_exit(section, read, plate, out)
        for section in self._by_entry.get(read.camera, ()):
            if self._fits(section.config, read, exit_end=False):
                self._as_entry(section, read, plate, out)
        self._remember(read, plate)
        return out

    def _as_exit(self, section: _Section, read: ReadEvent, plate: str, out: list[Finding]) -> None:
        entries = self._sightings.get((section.config.entry, plate))
        if entries:
            entry = self._latest_before(entries, read.ts)
            if entry is not None and read.ts - entry.ts <= section.max_transit:
                out.extend(self._pair(section, entry, read))

    def _as_entry(self, section: _Section, read: ReadEvent, plate: str, out: list[Finding]) -> None:
        # A late entry read: its exit may have been seen already, and pairs
        # with it unless another entry sighting lies between the two.
        exits = self._sightings.get((section.config.exit, plate))
        if not exits:
            return
        later = self._earliest_after(exits, read.ts)
        if later is None or later.ts - read.ts > section.max_transit:
            return
        entries = self._sightings.get((read.camera, plate), [])
        if not any(read.ts < e.ts < later.ts for e in entries):
            self._counts["late_entries"] += 1
            out.extend(self._pair(section, read, later))

    def _remember(self, read: ReadEvent, plate: str) -> None:
        sightings = self._sightings
        key = (read.camera, plate)
        found = sightings.get(key)
        if found is None:
            sightings[key] = [read]
            if len(sightings) > self.config.max_sightings:
                sightings.popitem(last=False)
                self._counts["evicted"] += 1
        else:
            found.append(read)
            if len(found) > MAX_PER_PLATE:
                del found[0]
            sightings.move_to_end(key)

    def stats(self) -> dict[str, int]:
        return {**self._counts, "sightings": len(self._sightings)}

    # ------------------------------------------------------------- internal
    def _expire(self) -> None:
        sightings, horizon = self._sightings, self._horizon
        cutoff = self._watermark - self.config.late_allowance_s
        while sightings:
            (camera, _), reads = next(iter(sightings.items()))
            if reads[-1].ts >= cutoff - horizon[camera]:
                return
            sightings.popitem(last=False)
            self._counts["expired"] += 1

    @staticmethod
    def _fits(section: SectionConfig, read: ReadEvent, *, exit_end: bool) -> bool:
        lanes = section.exit_lanes if exit_end else section.entry_lanes
        if lanes is not None and read.lane not in lanes:
            return False
        return not (
            section.direction is not None
            and read.direction is not None
            and read.direction != section.direction
        )

    @staticmethod
    def _latest_before(reads: list[ReadEvent], ts: float) -> ReadEvent | None:
        best = None
        for r in reads:
            if r.ts < ts and (best is None or r.ts > best.ts):
                best = r
        return best

    @staticmethod
    def _earliest_after(reads: list[ReadEvent], ts: float) -> ReadEvent | None:
        best = None
        for r in reads:
            if r.ts > ts and (best is None or r.ts < best.ts):
                best = r
        return best

    def _limit(self, section: SectionConfig, read: ReadEvent) -> float:
        if not section.class_limits:
            return section.limit_kmh
        vclass = read.vehicle_class
        if read.plate is not None:
            record = self.context.registry.lookup(read.plate, read.country)
            if record is not None and record.vehicle_class:
                vclass = record.vehicle_class
        if vclass is None:
            return section.limit_kmh
        return min(section.limit_kmh, section.class_limits.get(vclass, section.limit_kmh))

    def _pair(self, section: _Section, entry: ReadEvent, exit_: ReadEvent) -> Sequence[Finding]:
        config = section.config
        transit = exit_.ts - entry.ts
        if transit <= 0:
            self._counts["skewed"] += 1
            return ()
        self._counts["pairs"] += 1
        measured = config.distance_m / transit * 3.6
        if measured > self.config.max_plausible_kmh:
            self._counts["implausible"] += 1
            return ()
        skew = self.config.max_clock_skew_s
        deciding = config.distance_m / (transit + skew) * 3.6
        limit = self._limit(config, exit_)
        tolerance = max(section.tolerance, limit * self.config.tolerance_pct / 100)
        if deciding <= limit + tolerance:
            return ()
        evidence = [e.as_role("entry") for e in entry.evidence] + [
            e.as_role("exit") for e in exit_.evidence
        ]
        return (
            self.finding(
                exit_,
                Offence.SECTION_SPEED,
                key_parts=(config.id, entry.pass_key, exit_.pass_key),
                related=(entry.read_id,),
                evidence=evidence,
                details={
                    "section": config.id,
                    "entry_camera": entry.camera,
                    "exit_camera": exit_.camera,
                    "entry_read": entry.read_id,
                    "entry_ts": round(entry.ts, 3),
                    "distance_m": config.distance_m,
                    "transit_s": round(transit, 3),
                    "average_kmh": round(measured, 1),
                    "deciding_kmh": round(deciding, 1),
                    "limit_kmh": limit,
                    "tolerance_kmh": round(tolerance, 1),
                    "clock_skew_s": skew,
                },
            ),
        )

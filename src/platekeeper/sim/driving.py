"""Driving one route: speeds, congestion, signals, and the captures (with their
ground truth) at every bank on the way. This is the simulator's hot path, so
it is written for speed: plain loops, positional constructors, few lookups.

Speeds. A driver wants a share of the limit (84-97 %, trucks and buses at
most 80 km/h); a speeder wants the limit plus their own excess (20-45 km/h).
Traffic caps both at a multiple of the limit that depends on the hour and on
whether the road is urban: in the rush hours city traffic moves at about half
the limit, at night nothing holds anyone back. So ordinary drivers never
average above a limit and speeders exceed it wherever traffic lets them.

Signals. A vehicle reaching a junction bank on red waits for green and
crosses after the queue ahead of it (1-8 s). A red-light runner arriving
between ``red_grace_s`` and 8 s into red goes through three times in five.
Everyone crosses on amber. So a red-light truth is never within the grace
time, whatever grace the rule allows up to that value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from platekeeper.sim.captures import Capture, SectionPass, Violation
from platekeeper.sim.network import Section
from platekeeper.sim.population import PlateState, Vehicle
from platekeeper.sim.registry import RegistrationStatus
from platekeeper.sim.routing import Route, Router
from platekeeper.sim.signals import Phase, SignalProgramme

# Top speed traffic allows, as a multiple of the limit, by local hour.
URBAN_CAP = (
    (1.6,) * 6
    + (1.0, 0.55, 0.5, 0.7, 0.9, 0.9, 0.85, 0.85, 0.9, 0.9, 0.8, 0.55, 0.5, 0.65)
    + (0.9, 1.1, 1.3, 1.5)
)
OPEN_CAP = (1.6,) * 6 + (1.4,) * 16 + (1.6,) * 2
HEAVY_MAX_KMH = 80.0
RUN_WINDOW_S = 8.0
RUN_PROBABILITY = 0.6

GREEN, AMBER, RED = Phase.GREEN, Phase.AMBER, Phase.RED
CLEAN = PlateState.CLEAN
RED_LIGHT, HOTLIST = Violation.RED_LIGHT, Violation.HOTLIST
SECTION_SPEED, TIME_WINDOW = Violation.SECTION_SPEED, Violation.TIME_WINDOW

_STATUS_TRUTH = {
    RegistrationStatus.EXPIRED: Violation.EXPIRED,
    RegistrationStatus.UNREGISTERED: Violation.UNREGISTERED,
    RegistrationStatus.STOLEN: Violation.STOLEN,
}


@dataclass(frozen=True, slots=True)
class VehicleTruth:
    """What does not change from one capture of a vehicle to the next."""

    static: tuple[Violation, ...]
    hot_until: float | None
    """Captures before this instant are hotlist hits (inf: no expiry)."""


def static_truth(vehicle: Vehicle, hot_until: float | None) -> VehicleTruth:
    if vehicle.plate_state is not PlateState.CLEAN:
        return VehicleTruth((Violation.NO_PLATE,), None)
    status = _STATUS_TRUTH.get(vehicle.status)
    return VehicleTruth((status,) if status else (), hot_until)


# A route step compiled for the hot loop: road length x 3.6, limit, whether
# urban, and the bank (None, or its id, camera, lane count, signal timings,
# direction label, bearing and city) with the sections ending there.
_BankInfo = tuple[
    str, str, int, SignalProgramme | None, float, float, float, float, str, float, str | None
]
_Step = tuple[
    float, float, tuple[float, ...], _BankInfo | None, tuple[tuple[Section, int], ...], bool
]


def _compile(route: Route) -> tuple[_Step, ...]:
    entries = {j for step in route.steps for _, j in step.sections}
    steps: list[_Step] = []
    for k, step in enumerate(route.steps):
        bank = step.bank
        info: _BankInfo | None = None
        if bank is not None:
            sig = bank.signal
            info = (
                bank.id,
                bank.camera_id,
                len(bank.lanes),
                sig,
                sig.cycle_s if sig else 0.0,
                sig.green_s if sig else 0.0,
                sig.green_s + sig.amber_s if sig else 0.0,
                sig.offset_s if sig else 0.0,
                bank.direction_label,
                bank.travel_bearing_deg,
                bank.city,
            )
        steps.append(
            (
                step.length_m * 3.6,
                float(step.limit_kmh),
                URBAN_CAP if step.urban else OPEN_CAP,
                info,
                step.sections,
                k in entries,
            )
        )
    return tuple(steps)


class Driver:
    """Drives vehicles along routes and records their captures."""

    def __init__(
        self,
        router: Router,
        utc_offset_s: int,
        truth_tolerance_kmh: float = 5.0,
        red_grace_s: float = 1.0,
    ) -> None:
        self.router = router
        self.utc_offset_s = utc_offset_s
        self.tolerance = truth_tolerance_kmh
        self.grace = red_grace_s
        self._compiled: dict[tuple[str, str], tuple[_Step, ...]] = {}

    def steps(self, origin: str, destination: str) -> tuple[_Step, ...]:
        """The quickest route from ``origin`` to ``destination``, compiled (cached)."""
        key = (origin, destination)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = _compile(self.router.route(origin, destination))
        return found

    def drive(  # noqa: PLR0912, PLR0915, PLR0917
        self,
        vehicle: Vehicle,
        truth: VehicleTruth,
        steps: tuple[_Step, ...],
        t: float,
        rng: random.Random,
        trip_id: int,
        next_id: int,
        out: list[Capture],
    ) -> tuple[float, int]:
        """Drive the compiled route ``steps`` leaving at ``t``; append captures to ``out``.

        Returns the arrival time and the next free capture id.
        """
        offset = self.utc_offset_s
        grace, tolerance = self.grace, self.tolerance
        rand = rng.random
        speeder, excess, heavy, runner = (
            vehicle.speeder,
            vehicle.speed_excess_kmh,
            vehicle.heavy,
            vehicle.red_light_runner,
        )
        state, vclass, vid = vehicle.plate_state, vehicle.vehicle_class, vehicle.id
        plate = vehicle.plate if state is CLEAN else None
        static, hot_until = truth.static, truth.hot_until
        bans = vehicle.restrictions if plate is not None else ()
        factor = 0.84 + 0.13 * rand()
        seen: dict[int, tuple[int, float]] = {}
        append = out.append
        k = -1
        for length36, limit, caps, info, sections, entry in steps:
            k += 1
            cap = limit * caps[int((t + offset) % 86400.0 // 3600.0)]
            if speeder:
                want = limit + excess
            elif heavy:
                want = (limit if limit < HEAVY_MAX_KMH else HEAVY_MAX_KMH) * factor
            else:
                want = limit * factor
            kmh = want if want < cap else cap
            t += length36 / kmh
            if info is None:
                continue
            bank_id, camera, lanes, signal, cycle, green, go, sig_offset, label, bearing, city = (
                info
            )
            spot = kmh * (0.98 + 0.04 * rand())
            phase = None
            violations = static
            if signal is not None:
                pos = (t - sig_offset) % cycle
                if pos >= go:
                    into_red = pos - go
                    if runner and grace <= into_red <= RUN_WINDOW_S and rand() < RUN_PROBABILITY:
                        violations = (*violations, RED_LIGHT)
                    else:
                        t += cycle - pos + 1.0 + 7.0 * rand()
                        spot = 10.0 + 15.0 * rand()
                        pos = (t - sig_offset) % cycle
                phase = GREEN if pos < green else AMBER if pos < go else RED
            if heavy:
                lane = 1 if lanes == 1 or rand() < 0.7 else 2
            elif speeder and rand() < 0.7:
                lane = lanes
            else:
                lane = 1 + int(rand() * lanes)
            section = None
            if plate is not None:
                if hot_until is not None and t < hot_until:
                    violations = (*violations, HOTLIST)
                for sec, j in sections:
                    entry_id, entry_ts = seen[j]
                    avg = sec.distance_m * 3.6 / (t - entry_ts)
                    section = SectionPass(
                        sec.id, entry_id, entry_ts, sec.distance_m, avg, sec.limit_kmh
                    )
                    if avg > sec.limit_kmh + tolerance:
                        violations = (*violations, SECTION_SPEED)
                if bans and city is not None:
                    sod = (t + offset) % 86400.0
                    for ban in bans:
                        if city in ban.zones and ban.covers(sod):
                            violations = (*violations, TIME_WINDOW)
                            break
            if entry:
                seen[k] = (next_id, t)
            append(
                Capture(
                    next_id,
                    t,
                    bank_id,
                    camera,
                    lane,
                    vid,
                    trip_id,
                    plate,
                    state,
                    vclass,
                    spot,
                    label,
                    bearing,
                    phase,
                    signal,
                    section,
                    violations,
                )
            )
            next_id += 1
        return t, next_id

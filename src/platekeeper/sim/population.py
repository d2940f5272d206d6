"""The synthetic fleet: vehicles with Uzbek plates, a home and a way of
driving, the registry they are on and the hotlist that wants some of them.

Deterministic by seed: the same network, size and seed give the same fleet.
Shares of each kind of vehicle and offence are in :class:`FleetMix`; the rare
offences get at least one vehicle each as soon as the fleet has a few hundred
vehicles, so a small test fleet still exercises every rule.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from platekeeper.sim.geo import haversine_m
from platekeeper.sim.network import Network
from platekeeper.sim.plates import UZ_REGION_CODES, PlateFormat, display, make_plate
from platekeeper.sim.registry import (
    HotlistEntry,
    RegistrationStatus,
    RegistryRow,
    TimeWindowBan,
)
from platekeeper.sim.vehicles import VehicleClass, colour_for, make_for

DEFAULT_REFERENCE = date(2026, 1, 1)
NIGHT_BAN = (time(22, 0), time(6, 0))


class Behaviour(StrEnum):
    """How a vehicle uses the roads; the trip simulator plans its days from it."""

    COMMUTER = "commuter"
    ERRANDS = "errands"
    TAXI = "taxi"
    CITY_BUS = "city_bus"
    COACH = "coach"
    TRUCK = "truck"
    INTERCITY = "intercity"


class PlateState(StrEnum):
    CLEAN = "clean"
    OBSCURED = "obscured"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One simulated vehicle. ``plate`` is its registered number (canonical);
    whether a camera can read it is ``plate_state``."""

    id: int
    plate: str = field(repr=False)
    plate_format: PlateFormat
    plate_state: PlateState
    region: str
    vehicle_class: VehicleClass
    heavy: bool
    make: str
    colour: str
    home_city: str
    home_node: str
    work_node: str | None
    behaviour: Behaviour
    status: RegistrationStatus
    registered_until: date | None
    restrictions: tuple[TimeWindowBan, ...]
    speeder: bool
    speed_excess_kmh: float
    red_light_runner: bool
    ignores_bans: bool

    @property
    def display_plate(self) -> str:
        return display(self.plate)

    @property
    def readable_plate(self) -> str | None:
        """What a perfect reader returns: the plate, or None when missing or obscured."""
        return self.plate if self.plate_state is PlateState.CLEAN else None


@dataclass(frozen=True)
class FleetMix:
    """Shares of the fleet. Behaviours are drawn in this order and normalised."""

    behaviours: tuple[tuple[Behaviour, VehicleClass, float], ...] = (
        (Behaviour.COMMUTER, VehicleClass.CAR, 0.34),
        (Behaviour.ERRANDS, VehicleClass.CAR, 0.25),
        (Behaviour.ERRANDS, VehicleClass.MOTORCYCLE, 0.05),
        (Behaviour.TAXI, VehicleClass.TAXI, 0.10),
        (Behaviour.INTERCITY, VehicleClass.CAR, 0.09),
        (Behaviour.TRUCK, VehicleClass.TRUCK, 0.12),
        (Behaviour.CITY_BUS, VehicleClass.BUS, 0.03),
        (Behaviour.COACH, VehicleClass.BUS, 0.02),
    )
    company_share: dict[VehicleClass, float] = field(
        default_factory=lambda: {
            VehicleClass.CAR: 0.08,
            VehicleClass.TAXI: 0.6,
            VehicleClass.BUS: 1.0,
            VehicleClass.TRUCK: 0.75,
            VehicleClass.MOTORCYCLE: 0.0,
        }
    )
    out_of_region_share: float = 0.08
    expired: float = 0.03
    unregistered: float = 0.015
    stolen: float = 0.005
    missing_plate: float = 0.005
    obscured_plate: float = 0.01
    speeders: float = 0.08
    red_light_runners: float = 0.05
    heavy_truck_share: float = 0.6
    night_banned_share: float = 0.5
    ban_ignorers: float = 0.4
    wanted: float = 0.002
    ban_zones: tuple[str, ...] = ("tashkent",)


@dataclass
class _Draft:
    id: int
    plate: str
    plate_format: PlateFormat
    region: str
    vehicle_class: VehicleClass
    heavy: bool
    make: str
    colour: str
    home_city: str
    home_node: str
    work_node: str | None
    behaviour: Behaviour
    valid_days: int
    excess: float
    banned: bool
    ignores: bool


def _count(share: float, n: int) -> int:
    """At least one of a rare kind once the fleet is large enough to notice it."""
    return max(1, round(share * n)) if n >= 200 and share > 0 else round(share * n)


@dataclass(frozen=True)
class Population:
    """The fleet, its hotlist, and the date that counts as "today" for both."""

    vehicles: tuple[Vehicle, ...]
    hotlist: tuple[HotlistEntry, ...]
    reference: date
    _by_plate: dict[str, Vehicle] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.vehicles)

    def __iter__(self) -> Iterator[Vehicle]:
        return iter(self.vehicles)

    def __getitem__(self, vehicle_id: int) -> Vehicle:
        return self.vehicles[vehicle_id]

    def find(self, plate: str) -> Vehicle | None:
        """The vehicle registered under a canonical plate, if any."""
        if self._by_plate is None:
            object.__setattr__(self, "_by_plate", {v.plate: v for v in self.vehicles})
        assert self._by_plate is not None
        return self._by_plate.get(plate)

    def registry_rows(self) -> list[RegistryRow]:
        """The registry as the simulation knows it: one row per vehicle."""
        return [
            RegistryRow(
                plate=v.plate,
                country="UZ",
                status=v.status,
                vehicle_class=v.vehicle_class.value,
                registered_until=v.registered_until,
                make=v.make,
                colour=v.colour,
                restrictions=v.restrictions,
            )
            for v in self.vehicles
        ]

    @classmethod
    def generate(
        cls,
        network: Network,
        n: int,
        seed: int = 0,
        *,
        reference: date = DEFAULT_REFERENCE,
        mix: FleetMix | None = None,
    ) -> Population:
        """``n`` vehicles homed in the network's cities; ``reference`` is "today"
        for registration dates and hotlist expiry."""
        if n < 0:
            raise ValueError("the number of vehicles cannot be negative")
        return _Builder(network, n, random.Random(f"fleet:{seed}"), reference, mix or FleetMix())()


class _Builder:
    def __init__(
        self, network: Network, n: int, rng: random.Random, reference: date, mix: FleetMix
    ) -> None:
        self.network, self.n, self.rng, self.reference, self.mix = network, n, rng, reference, mix
        self.cities = [c for c in network.cities.values() if network.city_nodes(c.id)]
        if not self.cities:
            raise ValueError("the network has no city with a reachable node")
        total = sum(c.population_share for c in self.cities) or float(len(self.cities))
        shares = [(c.population_share or 1.0) / total for c in self.cities]
        self.city_cum = list(itertools.accumulate(shares))
        self.plates: set[str] = set()
        self._targets: dict[str, list[str]] = {}
        # Night bans apply in the named city zones this network has, or else
        # in its biggest city.
        biggest = max(self.cities, key=lambda c: c.population_share).id
        self.ban_zones = tuple(z for z in mix.ban_zones if z in network.cities) or (biggest,)

    def __call__(self) -> Population:
        rng, mix, n = self.rng, self.mix, self.n
        kinds = [(b, c) for b, c, _ in mix.behaviours]
        kind_cum = list(itertools.accumulate(w for _, _, w in mix.behaviours))
        drafts = []
        for vid in range(n):
            behaviour, vclass = kinds[
                min(bisect.bisect(kind_cum, rng.random() * kind_cum[-1]), len(kinds) - 1)
            ]
            drafts.append(self._draft(vid, behaviour, vclass))
        ids = list(range(n))
        picks = {
            name: set(rng.sample(ids, min(n, _count(share, n))))
            for name, share in (
                ("expired", mix.expired),
                ("unregistered", mix.unregistered),
                ("stolen", mix.stolen),
                ("missing", mix.missing_plate),
                ("obscured", mix.obscured_plate),
            )
        }
        light = [i for i in ids if drafts[i].vehicle_class in _DRIVEN_HARD]
        picks["speeder"] = set(rng.sample(light, min(len(light), _count(mix.speeders, len(light)))))
        picks["runner"] = set(
            rng.sample(light, min(len(light), _count(mix.red_light_runners, len(light))))
        )
        vehicles = tuple(self._finish(drafts[i], picks) for i in ids)
        return Population(vehicles, self._hotlist(vehicles), self.reference)

    def _draft(self, vid: int, behaviour: Behaviour, vclass: VehicleClass) -> _Draft:
        rng, mix, network = self.rng, self.mix, self.network
        city = self.cities[min(bisect.bisect(self.city_cum, rng.random()), len(self.cities) - 1)]
        home = rng.choice(network.city_nodes(city.id))
        work = None
        if behaviour in (Behaviour.COMMUTER, Behaviour.CITY_BUS):
            targets = self.commute_targets(home)
            if targets:
                work = rng.choice(targets)
            else:
                behaviour = Behaviour.INTERCITY if vclass is VehicleClass.CAR else Behaviour.COACH
        if behaviour is Behaviour.COACH:
            far = [c for c in self.cities if c.id != city.id]
            work = rng.choice(network.city_nodes(rng.choice(far).id)) if far else None
        region = city.region
        if rng.random() < mix.out_of_region_share:
            region = rng.choice([r for r in UZ_REGION_CODES if r in network.regions] or [region])
        fmt = (
            PlateFormat.COMPANY
            if rng.random() < mix.company_share.get(vclass, 0.0)
            else PlateFormat.PRIVATE
        )
        plate = make_plate(rng, region, fmt)
        while plate in self.plates:
            plate = make_plate(rng, region, fmt)
        self.plates.add(plate)
        heavy = vclass is VehicleClass.BUS or (
            vclass is VehicleClass.TRUCK and rng.random() < mix.heavy_truck_share
        )
        return _Draft(
            id=vid,
            plate=plate,
            plate_format=fmt,
            region=region,
            vehicle_class=vclass,
            heavy=heavy,
            make=make_for(rng, vclass, heavy),
            colour=colour_for(rng, vclass),
            home_city=city.id,
            home_node=home,
            work_node=work,
            behaviour=behaviour,
            valid_days=rng.randint(30, 3 * 365),
            excess=round(rng.uniform(20.0, 45.0), 1),
            banned=vclass is VehicleClass.TRUCK and heavy and rng.random() < mix.night_banned_share,
            ignores=rng.random() < mix.ban_ignorers,
        )

    def commute_targets(self, home: str) -> list[str]:
        """Where someone living at ``home`` may work: other nodes of a city within 45 km."""
        cached = self._targets.get(home)
        if cached is not None:
            return cached
        network = self.network
        h = network.nodes[home]
        out = []
        for city in self.cities:
            for node_id in network.city_nodes(city.id):
                node = network.nodes[node_id]
                if node_id != home and haversine_m(h.lat, h.lon, node.lat, node.lon) <= 45_000:
                    out.append(node_id)
        self._targets[home] = out
        return out

    def _finish(self, d: _Draft, picks: dict[str, set[int]]) -> Vehicle:
        vid = d.id
        status = RegistrationStatus.REGISTERED
        for name, value in (
            ("expired", RegistrationStatus.EXPIRED),
            ("unregistered", RegistrationStatus.UNREGISTERED),
            ("stolen", RegistrationStatus.STOLEN),
        ):
            if vid in picks[name]:
                status = value
        until: date | None = self.reference + timedelta(days=d.valid_days)
        if status is RegistrationStatus.EXPIRED:
            until = self.reference - timedelta(days=d.valid_days % 400 + 1)
        elif status is RegistrationStatus.UNREGISTERED:
            until = None
        state = PlateState.CLEAN
        if vid in picks["obscured"]:
            state = PlateState.OBSCURED
        if vid in picks["missing"]:
            state = PlateState.MISSING
        restrictions: tuple[TimeWindowBan, ...] = ()
        if d.banned:
            restrictions = (
                TimeWindowBan(*NIGHT_BAN, self.ban_zones, "heavy goods vehicle, night ban"),
            )
        speeder = vid in picks["speeder"]
        return Vehicle(
            id=vid,
            plate=d.plate,
            plate_format=d.plate_format,
            plate_state=state,
            region=d.region,
            vehicle_class=d.vehicle_class,
            heavy=d.heavy,
            make=d.make,
            colour=d.colour,
            home_city=d.home_city,
            home_node=d.home_node,
            work_node=d.work_node,
            behaviour=d.behaviour,
            status=status,
            registered_until=until,
            restrictions=restrictions,
            speeder=speeder,
            speed_excess_kmh=d.excess if speeder else 0.0,
            red_light_runner=vid in picks["runner"],
            ignores_bans=bool(restrictions) and d.ignores,
        )

    def _hotlist(self, vehicles: Sequence[Vehicle]) -> tuple[HotlistEntry, ...]:
        rng, n = self.rng, len(vehicles)
        start = datetime.combine(self.reference, time(), UTC)
        entries = [
            HotlistEntry(v.plate, "stolen", "reported stolen", None, v.id)
            for v in vehicles
            if v.status is RegistrationStatus.STOLEN
        ]
        clean = [v for v in vehicles if v.status is RegistrationStatus.REGISTERED]
        for v in rng.sample(clean, min(len(clean), _count(self.mix.wanted, n))):
            entries.append(HotlistEntry(v.plate, "wanted", "wanted for questioning", None, v.id))
        if len(clean) >= 10:
            a, b, c = rng.sample(clean, 3)
            # A witness's partial plate: the last two letters unseen.
            entries.append(
                HotlistEntry(
                    a.plate[:-2] + "??", "wanted", "hit and run, partial plate", None, a.id
                )
            )
            # A prefix search for a vehicle seen leaving a scene.
            entries.append(
                HotlistEntry(b.plate[:5] + "*", "bolo", "seen leaving a robbery", None, b.id)
            )
            # An alert that has lapsed: it must no longer raise anything.
            entries.append(
                HotlistEntry(c.plate, "wanted", "lapsed alert", start - timedelta(days=1), c.id)
            )
        return tuple(entries)


_DRIVEN_HARD = (VehicleClass.CAR, VehicleClass.TAXI, VehicleClass.MOTORCYCLE)

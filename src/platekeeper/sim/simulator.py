"""The trip simulator: a time-ordered stream of captures for a fleet on a
network, deterministic by seed.

Each local day, every vehicle's planner (:mod:`platekeeper.sim.schedules`)
drives its trips (:mod:`platekeeper.sim.driving`); the day's captures are
sorted and merged with those of trips still running from the day before.
A capture is emitted once no later-planned trip can come before it: every
trip planned for a day leaves after that day's local midnight, so everything
earlier than the next midnight is final. Memory is therefore about one day of
captures (roughly 200 bytes each), plus the recent days kept for the next
window (:data:`CACHE_CAPTURES`).

The same seed gives the same captures, whatever window is asked for: a
vehicle's day depends only on the seed, the vehicle and the date.
"""

from __future__ import annotations

import bisect
import gc
import logging
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from operator import attrgetter

from platekeeper.sim.captures import Capture
from platekeeper.sim.driving import Driver, VehicleTruth, static_truth
from platekeeper.sim.geo import haversine_m
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population, Vehicle
from platekeeper.sim.schedules import Day, Places, Profile, make_profile, plan

logger = logging.getLogger(__name__)

DAY = 86400.0
MAX_VEHICLES = 999_999
_TS = attrgetter("ts")
CACHE_CAPTURES = 700_000
"""Captures of the days last simulated, kept sorted (about 140 MB at most). A
feed asks for a minute or an hour at a time, and every window needs its day
and the day before: without them, each window simulated two whole days again
(the demo's 72 hours of history, sent an hour at a time, simulated 144 days).
Two days of the seed system's load (30,000 vehicles) fit."""


class TripSimulator:
    """Captures of ``population`` driving on ``network``.

    ``truth_tolerance_kmh`` is how far above a section's limit an average must
    be for the truth to call it a violation; ``red_grace_s`` how long into red
    a crossing must be. Rules configured with at most these values should
    raise exactly the violations the truth lists.
    """

    def __init__(
        self,
        network: Network,
        population: Population,
        seed: int = 0,
        *,
        truth_tolerance_kmh: float = 5.0,
        red_grace_s: float = 1.0,
    ) -> None:
        if len(population) > MAX_VEHICLES:
            raise ValueError(f"at most {MAX_VEHICLES} vehicles")
        self.network = network
        self.population = population
        self.seed = seed
        self.driver = Driver(network.router, network.utc_offset_s, truth_tolerance_kmh, red_grace_s)
        self.truths = self._truths(population)
        self._profiles: dict[int, Profile] = {}
        self._near: dict[tuple[str, float], tuple[str, ...]] = {}
        self._days: OrderedDict[int, list[Capture]] = OrderedDict()
        self._days_lock = threading.Lock()  # the live feed and the history share one
        cities = [
            (c.id, c.population_share or 1.0)
            for c in network.cities.values()
            if network.city_nodes(c.id)
        ]
        self.places = Places(
            self._nearby,
            network.city_nodes,
            cities,
            lambda a, b: network.router.route(a, b).length_m / 1000,
            [n.id for n in network.nodes.values() if n.border],
        )

    # ---------------------------------------------------------------- public
    def captures(self, start: datetime, end: datetime) -> Iterator[Capture]:
        """Captures with ``start <= captured_at < end``, in time order.

        Both bounds must be timezone-aware (a naive datetime would silently be
        read in this machine's local time).
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware datetimes")
        lo, hi = start.timestamp(), end.timestamp()
        if hi <= lo:
            return
        first = self.day_index(lo) - 1  # trips from the evening before may still run
        last = self.day_index(hi)
        pending: list[Capture] = []
        for index in range(first, last + 1):
            boundary = self.day_start(index + 1)
            batch = pending + self._sorted_day(index)
            # Stable, and the batch's order is itself deterministic, so equal
            # times keep a reproducible order without a second key.
            batch.sort(key=_TS)
            # Everything before the next midnight is final: no later day's trip
            # leaves before it.
            final = bisect.bisect_left(batch, min(boundary, hi), key=_TS)
            yield from batch[bisect.bisect_left(batch, lo, 0, final, key=_TS) : final]
            if boundary >= hi:
                return
            pending = batch[final:]

    def day(self, index: int) -> list[Capture]:
        """Every capture of the trips planned for local day ``index`` (unsorted)."""
        # A day is hundreds of thousands of small acyclic objects; the cyclic
        # collector would rescan them again and again as they accumulate, for
        # nothing (a quarter of the generation time), so it waits until the
        # day is built.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._day(index)
        finally:
            if enabled:
                gc.enable()

    def _day(self, index: int) -> list[Capture]:
        start = self.day_start(index)
        weekday = (index + 3) % 7  # 1 January 1970 was a Thursday
        week = (index + 3) // 7
        out: list[Capture] = []
        steps_of, drive = self.driver.steps, self.driver.drive
        seed = self.seed
        for vehicle in self.population.vehicles:
            vid = vehicle.id
            truth = self.truths[vid]
            rng = random.Random((seed * 1_000_003 + index) * 1_000_033 + vid)
            base = (index * 1_000_000 + vid) * 10_000
            trip_base = (index * 1_000_000 + vid) * 1_000
            state = [base, 0]

            def go(  # noqa: PLR0917
                origin: str,
                destination: str,
                depart: float,
                vehicle: Vehicle = vehicle,
                truth: VehicleTruth = truth,
                rng: random.Random = rng,
                state: list[int] = state,
                trip_base: int = trip_base,
            ) -> float:
                if origin == destination:
                    return depart
                arrival, state[0] = drive(
                    vehicle,
                    truth,
                    steps_of(origin, destination),
                    depart,
                    rng,
                    trip_base + state[1],
                    state[0],
                    out,
                )
                state[1] += 1
                return arrival

            def week_seed(weeks_ago: int, vid: int = vid) -> int:
                return ((seed * 1_000_003 + week - weeks_ago) * 1_000_037 + vid) * 7 + 1

            plan(
                Day(vehicle, self._profile(vehicle), start, weekday, index, rng, week_seed, go),
                self.places,
            )
        return out

    def _sorted_day(self, index: int) -> list[Capture]:
        """:meth:`day` in time order, from the recent days kept when there
        (shared: never change it)."""
        with self._days_lock:
            found = self._days.get(index)
            if found is not None:
                self._days.move_to_end(index)
                return found
        day = self.day(index)
        day.sort(key=_TS)
        if len(day) > CACHE_CAPTURES:  # a fleet too large to keep a day of
            return day
        with self._days_lock:
            self._days[index] = day
            self._days.move_to_end(index)
            kept = sum(map(len, self._days.values()))
            while kept > CACHE_CAPTURES:
                _index, dropped = self._days.popitem(last=False)
                kept -= len(dropped)
        return day

    def day_index(self, ts: float) -> int:
        """The local day (days since 1970-01-01 local) containing ``ts``."""
        return math.floor((ts + self.network.utc_offset_s) / DAY)

    def day_start(self, index: int) -> float:
        """The UTC instant of local midnight starting day ``index``."""
        return index * DAY - self.network.utc_offset_s

    # -------------------------------------------------------------- internal
    def _profile(self, vehicle: Vehicle) -> Profile:
        found = self._profiles.get(vehicle.id)
        if found is None:
            rng = random.Random(f"profile:{self.seed}:{vehicle.id}")
            found = self._profiles[vehicle.id] = make_profile(rng, vehicle)
        return found

    def _nearby(self, node_id: str, radius_km: float) -> tuple[str, ...]:
        key = (node_id, radius_km)
        found = self._near.get(key)
        if found is None:
            network = self.network
            here = network.nodes[node_id]
            found = tuple(
                n.id
                for n in network.nodes.values()
                if n.id != node_id
                and network.router.degree(n.id) > 0
                and haversine_m(here.lat, here.lon, n.lat, n.lon) <= radius_km * 1000
            )
            self._near[key] = found
        return found

    @staticmethod
    def _truths(population: Population) -> list[VehicleTruth]:
        exact: dict[str, list[float]] = {}
        wild = [e for e in population.hotlist if e.wildcard]
        for entry in population.hotlist:
            if not entry.wildcard:
                until = entry.expires_at.timestamp() if entry.expires_at else math.inf
                exact.setdefault(entry.pattern, []).append(until)
        out = []
        for v in population.vehicles:
            untils = list(exact.get(v.plate, ()))
            untils += [
                e.expires_at.timestamp() if e.expires_at else math.inf
                for e in wild
                if e.matches(v.plate)
            ]
            out.append(static_truth(v, max(untils) if untils else None))
        return out

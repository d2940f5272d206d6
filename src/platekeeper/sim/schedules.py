"""A day in the life of each kind of vehicle: when it leaves, where it goes.

Each planner gets the vehicle, the local day and a ``go(origin, destination,
depart)`` callable that drives the trip and returns the arrival time, so a
chain of trips (a taxi's shift) follows the real arrival times. Randomness
comes from three deterministic sources: a per-vehicle profile (when this
commuter usually leaves), a per-vehicle week plan (when this lorry goes to
Samarkand) and a per-vehicle day draw (today's jitter).

Local times, all approximate: commuters leave 06:30-09:00 and come home
8.5-10 h later on their working days; errands and deliveries in the day;
taxis on 9-13 h shifts (some at night); city buses shuttle 06:00-22:00;
coaches run one way a day; heavy lorries drive between cities at night, and
those banned from the city at night leave in the morning unless they ignore
the ban; intercity travellers go away for a few days most weeks.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from platekeeper.sim.population import Behaviour, Vehicle

Go = Callable[[str, str, float], float]
HOUR = 3600.0
MINUTE = 60.0
# Shares of lorry weeks and of journeys that cross a border.
ABROAD_LORRIES = 0.15
ABROAD_TRAVELLERS = 0.1


@dataclass(frozen=True, slots=True)
class Profile:
    """A vehicle's habits, fixed for the whole simulation."""

    workdays: frozenset[int]
    leave_h: float
    shift_h: float
    night_shift: bool


@dataclass(slots=True)
class Day:
    vehicle: Vehicle
    profile: Profile
    start: float
    """UTC instant of local midnight."""
    weekday: int
    """0 Monday … 6 Sunday, local."""
    index: int
    """Days since 1970-01-01 (local)."""
    rng: random.Random
    week_seed: Callable[[int], int]
    """Seed of the vehicle's plan for the week ``n`` weeks before this one."""
    go: Go

    def at(self, hours: float) -> float:
        return self.start + hours * HOUR

    def week(self, weeks_ago: int = 0) -> random.Random:
        return random.Random(self.week_seed(weeks_ago))


class Places:
    """Where vehicles may go: nearby nodes and city nodes, from the network."""

    def __init__(
        self,
        nearby: Callable[[str, float], Sequence[str]],
        city_nodes: Callable[[str], Sequence[str]],
        cities: Sequence[tuple[str, float]],
        road_km: Callable[[str, str], float],
        borders: Sequence[str] = (),
    ) -> None:
        self.nearby = nearby
        self.city_nodes = city_nodes
        self.cities = cities
        self.road_km = road_km
        self.borders = tuple(borders)
        self._city_of = {node: city for city, _ in cities for node in city_nodes(city)}
        self._elsewhere: dict[str, tuple[list[str], list[float]]] = {}

    def elsewhere(self, city: str) -> tuple[list[str], list[float]]:
        """The other cities and their cumulative weights, for ``random.choices``."""
        found = self._elsewhere.get(city)
        if found is None:
            others = [(c, w) for c, w in self.cities if c != city]
            found = self._elsewhere[city] = (
                [c for c, _ in others],
                list(itertools.accumulate(w for _, w in others)),
            )
        return found

    def city_of(self, node: str) -> str | None:
        return self._city_of.get(node)


def make_profile(rng: random.Random, vehicle: Vehicle) -> Profile:
    r = rng.random()
    if r < 0.7:
        workdays = frozenset(range(5))
    elif r < 0.9:
        workdays = frozenset(range(6))
    else:
        workdays = frozenset(rng.sample(range(6), 3))
    night = vehicle.behaviour is Behaviour.TAXI and rng.random() < 0.15
    return Profile(workdays, rng.uniform(6.5, 9.0), rng.uniform(8.5, 10.0), night)


def plan(day: Day, places: Places) -> None:
    """Drive the vehicle's day (the trips it starts between this midnight and the next)."""
    PLANNERS[day.vehicle.behaviour](day, places)


def _errands(day: Day, places: Places, count_cum: Sequence[float]) -> None:
    """Round trips from home; ``count_cum``: cumulative weights of 0, 1, 2 … trips."""
    v, rng = day.vehicle, day.rng
    around = places.nearby(v.home_node, 20.0)
    if not around:
        return
    count = rng.choices(_COUNTS[: len(count_cum)], cum_weights=count_cum)[0]
    free = day.at(8.5)
    for leave in sorted(rng.uniform(9.0, 21.0) for _ in range(count)):
        depart = max(day.at(leave), free)
        if depart > day.at(22.5):
            break
        there = rng.choice(around)
        back = day.go(v.home_node, there, depart) + rng.uniform(20, 150) * MINUTE
        free = day.go(there, v.home_node, back) + 10 * MINUTE


_COUNTS = (0, 1, 2, 3)
WEEKDAY_ERRANDS = (0.35, 0.75, 0.93, 1.0)
WEEKEND_ERRANDS = (0.25, 0.6, 0.85, 1.0)
DAY_OFF_ERRANDS = (0.4, 0.75, 1.0)


def errands(day: Day, places: Places) -> None:
    _errands(day, places, WEEKEND_ERRANDS if day.weekday >= 5 else WEEKDAY_ERRANDS)


def commuter(day: Day, places: Places) -> None:
    v, p, rng = day.vehicle, day.profile, day.rng
    if v.work_node is None:
        errands(day, places)
        return
    if day.weekday in p.workdays and rng.random() > 0.05:
        leave = day.at(p.leave_h) + rng.gauss(0.0, 6.0) * MINUTE
        arrived = day.go(v.home_node, v.work_node, leave)
        back = max(day.at(p.leave_h + p.shift_h) + rng.gauss(0.0, 10.0) * MINUTE, arrived)
        home = day.go(v.work_node, v.home_node, back)
        if rng.random() < 0.2 and home < day.at(21.0):
            around = places.nearby(v.home_node, 10.0)
            if around:
                there = rng.choice(around)
                out = day.go(v.home_node, there, home + rng.uniform(30, 90) * MINUTE)
                day.go(there, v.home_node, out + rng.uniform(20, 60) * MINUTE)
    else:
        _errands(day, places, DAY_OFF_ERRANDS)


def _shift(day: Day, places: Places, start: float, end: float, radius_km: float) -> None:
    v, rng = day.vehicle, day.rng
    here, t = v.home_node, start
    while t < end:
        around = places.nearby(here, radius_km)
        if not around:
            break
        there = rng.choice(around)
        t = day.go(here, there, t) + rng.uniform(3, 25) * MINUTE
        here = there
    if here != v.home_node:
        day.go(here, v.home_node, t)


def taxi(day: Day, places: Places) -> None:
    p, rng = day.profile, day.rng
    if rng.random() < 0.12:  # a day off
        return
    begin = 18.0 if p.night_shift else p.leave_h
    start = day.at(begin) + rng.uniform(-20, 20) * MINUTE
    _shift(day, places, start, start + p.shift_h * HOUR, 15.0)


def city_bus(day: Day, places: Places) -> None:
    v, rng = day.vehicle, day.rng
    if v.work_node is None:
        return
    a, b = v.home_node, v.work_node
    t = day.at(6.0) + rng.uniform(0, 30) * MINUTE
    while t < day.at(22.0):
        t = day.go(a, b, t) + rng.uniform(8, 15) * MINUTE
        a, b = b, a
    if a != v.home_node:
        day.go(a, b, t)


def coach(day: Day, places: Places) -> None:
    v, rng = day.vehicle, day.rng
    if v.work_node is None:
        return
    leave = day.at(rng.uniform(7.0, 9.0))
    if (day.index + v.id) % 2 == 0:
        day.go(v.home_node, v.work_node, leave)
    else:
        day.go(v.work_node, v.home_node, leave)


def _lorry_plan(week: random.Random, vehicle: Vehicle, places: Places) -> tuple[str, int, int]:
    """This week's destination and the two weekdays the lorry sets out."""
    abroad = week.random() < ABROAD_LORRIES
    if abroad and places.borders and not vehicle.restrictions:
        return week.choice(places.borders), week.randint(0, 2), week.randint(3, 5)
    if vehicle.restrictions and vehicle.home_city not in vehicle.restrictions[0].zones:
        city = vehicle.restrictions[0].zones[0]
    else:
        others, cum = places.elsewhere(vehicle.home_city)
        city = week.choices(others, cum_weights=cum)[0] if others else vehicle.home_city
    nodes = places.city_nodes(city)
    return week.choice(nodes), week.randint(0, 2), week.randint(3, 5)


def truck(day: Day, places: Places) -> None:
    v, rng = day.vehicle, day.rng
    if not v.heavy:
        if day.weekday < 6:
            start = day.at(rng.uniform(7.5, 9.5))
            _shift(day, places, start, start + rng.uniform(6, 9) * HOUR, 25.0)
        return
    there, out_day, second = _lorry_plan(day.week(), v, places)
    outbound = day.weekday in (out_day, second)
    inbound = day.weekday in (out_day + 1, second + 1)
    if not (outbound or inbound) or there == v.home_node:
        return
    origin, dest = (v.home_node, there) if outbound else (there, v.home_node)
    if v.restrictions and not v.ignores_bans:
        leave = _lawful_departure(rng, v, places, origin, dest)
    else:
        leave = rng.uniform(20.0, 26.0)
    day.go(origin, dest, day.at(leave))


def _lawful_departure(
    rng: random.Random, vehicle: Vehicle, places: Places, origin: str, dest: str
) -> float:
    """A departure hour that keeps a night-banned lorry out of its zones at night:
    leave in the morning; bound for a banned zone, arrive before 21:30 even at
    45 km/h, or, if the trip is too long for that, set out in the evening so as
    to arrive after 06:30 even at 80 km/h."""
    zones = {zone for ban in vehicle.restrictions for zone in ban.zones}
    if places.city_of(dest) not in zones:
        return rng.uniform(6.5, 11.0)
    km = places.road_km(origin, dest)
    latest = 21.5 - km / 45.0
    if latest >= 6.5:
        return rng.uniform(6.5, latest)
    return 30.5 - km / 80.0


def intercity(day: Day, places: Places) -> None:
    v, rng = day.vehicle, day.rng
    # Trips leave Thursday to Sunday and last 1-3 nights, so last week's
    # return never clashes with this week's departure.
    for weeks_ago in (0, 1):
        week = day.week(weeks_ago)
        away = week.random() < 0.6
        out_day, stay = week.randint(3, 6), week.randint(1, 3)
        others, cum = places.elsewhere(v.home_city)
        if not away or not others:
            continue
        city = week.choices(others, cum_weights=cum)[0]
        there = week.choice(places.city_nodes(city))
        if week.random() < ABROAD_TRAVELLERS and places.borders:
            there = week.choice(places.borders)
        weekday = day.weekday + 7 * weeks_ago
        if weekday == out_day:
            day.go(v.home_node, there, day.at(rng.uniform(7.0, 11.0)))
            return
        if weekday == out_day + stay:
            day.go(there, v.home_node, day.at(rng.uniform(13.0, 17.0)))
            return
        if out_day < weekday < out_day + stay:
            return
    if rng.random() < 0.4:
        _errands(day, places, (0.0, 1.0))


PLANNERS: dict[Behaviour, Callable[[Day, Places], None]] = {
    Behaviour.COMMUTER: commuter,
    Behaviour.ERRANDS: errands,
    Behaviour.TAXI: taxi,
    Behaviour.CITY_BUS: city_bus,
    Behaviour.COACH: coach,
    Behaviour.TRUCK: truck,
    Behaviour.INTERCITY: intercity,
}

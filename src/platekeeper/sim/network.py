"""The simulated camera network as plain typed data: regions, cities, nodes,
roads, camera banks and average-speed sections, built from a network file.

Road lengths come from coordinates: each leg between two consecutive nodes of
a road is its great-circle length times the detour factor of its road kind
(the bundled file documents the factors it uses). Sections take their length
along the road between the entry and the exit bank unless the file gives a
measured one.

``Network.load()`` reads the bundled network; ``Network.load(path)`` an
operator's own file of the same schema.

The bundled network (``data/network.yaml``) is drawn from approximate
public-map knowledge of Uzbekistan: city plans and road atlases, route numbers
as signed. Its coordinates are rounded (10-100 m) and put each bank in the
right city and on or beside the road it names; they are not surveyed. Signal
programmes, lane counts and camera layouts are typical values, not records of
real installations. The detour factors per road kind (1.05 for straight
avenues, 1.10 for streets and the ring road, 1.08 for trunk roads in the
plains, 1.40 over mountain passes) are documented with their reasoning in the
file itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from platekeeper.sim.geo import bearing_deg, bound, destination, haversine_m
from platekeeper.sim.network_file import LegEntry, NetworkFile
from platekeeper.sim.network_load import read_network_file
from platekeeper.sim.signals import SignalProgramme

logger = logging.getLogger(__name__)

Direction = Literal["forward", "reverse"]
BANK_SETBACK_M = 25.0


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    agency: str


@dataclass(frozen=True, slots=True)
class City:
    id: str
    name: str
    region: str
    lat: float
    lon: float
    radius_km: float
    population_share: float


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    name: str
    lat: float
    lon: float
    border: bool = False


@dataclass(frozen=True, slots=True)
class Leg:
    """The stretch of a road between two consecutive nodes (forward order)."""

    road: str
    index: int
    start: str
    end: str
    kind: str
    urban: bool
    limit_kmh: int
    length_m: float

    @property
    def segment(self) -> str:
        """The road segment id: road id and 1-based leg number."""
        return f"{self.road}:{self.index + 1}"


@dataclass(frozen=True, slots=True)
class Road:
    id: str
    name: str
    route: str
    kind: str
    loop: bool
    nodes: tuple[str, ...]
    legs: tuple[Leg, ...]

    def approach_leg(self, node: str, direction: Direction) -> Leg:
        """The leg on which traffic arrives at ``node`` going ``direction``."""
        i = self.nodes.index(node)
        if direction == "forward":
            return self.legs[(i - 1) % len(self.nodes)] if self.loop or i else self._none(node)
        if not self.loop and i == len(self.nodes) - 1:
            return self._none(node)
        return self.legs[i]

    def _none(self, node: str) -> Leg:
        raise ValueError(f"nothing arrives at {node} on {self.id} that way")

    def legs_between(self, start: str, end: str, direction: Direction) -> tuple[Leg, ...]:
        """The legs driven from node ``start`` to node ``end`` going ``direction``."""
        n = len(self.nodes)
        i, j = self.nodes.index(start), self.nodes.index(end)
        step = 1 if direction == "forward" else -1
        out: list[Leg] = []
        k = i
        while k != j:
            nxt = k + step
            if not self.loop and not 0 <= nxt < n:
                raise ValueError(f"{end} does not follow {start} on {self.id} going {direction}")
            nxt %= n
            out.append(self.legs[k if step == 1 else nxt])
            k = nxt
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Lane:
    """A lane as the camera sees it; lane 1 is the kerb lane."""

    number: int
    roi: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Bank:
    """A camera bank: one camera over the lanes of one direction at one place."""

    index: int
    id: str
    name: str
    camera_id: str
    node: str
    road: str
    direction: Direction
    road_segment: str
    city: str | None
    region: str
    agency: str
    lat: float
    lon: float
    travel_bearing_deg: float
    heading_deg: float
    direction_label: str
    lanes: tuple[Lane, ...]
    resolution: tuple[int, int]
    stop_line: tuple[tuple[int, int], tuple[int, int]] | None
    signal: SignalProgramme | None
    limit_kmh: int

    @property
    def junction(self) -> bool:
        return self.signal is not None

    def camera_fields(self) -> dict[str, Any]:
        """The bank's camera in the words of the store's camera table."""
        return {
            "code": self.camera_id,
            "name": self.name,
            "bank": self.id,
            "agency": self.agency,
            "region": self.region,
            "latitude": self.lat,
            "longitude": self.lon,
            "heading": self.heading_deg,
            "direction": self.direction_label,
            "lanes": [
                {"number": lane.number, "roi": [list(p) for p in lane.roi]} for lane in self.lanes
            ],
            "road_segment": self.road_segment,
        }


@dataclass(frozen=True, slots=True)
class Section:
    """Two banks on one road in one direction with the road distance between them."""

    id: str
    entry: str
    exit: str
    road: str
    direction: Direction
    distance_m: float
    limit_kmh: int


class Network:
    """A camera network: look-ups by id plus the road graph for routing."""

    def __init__(self, model: NetworkFile) -> None:
        self.name = model.name
        self.utc_offset_s = round(model.utc_offset_hours * 3600)
        self.regions = {r.code: Region(r.code, r.name, r.agency) for r in model.regions}
        self.cities = {
            c.id: City(c.id, c.name, c.region, c.lat, c.lon, c.radius_km, c.population_share)
            for c in model.cities
        }
        self.nodes = {n.id: Node(n.id, n.name, n.lat, n.lon, n.border) for n in model.nodes}
        self.roads = {r.id: self._road(model, r.id) for r in model.roads}
        self.banks: dict[str, Bank] = {}
        for i, entry in enumerate(model.banks):
            self.banks[entry.id] = self._bank(model, i)
        self.sections = {s.id: self._section(model, s.id) for s in model.sections}
        self.bank_list: tuple[Bank, ...] = tuple(self.banks.values())
        self._bank_at = {(b.road, b.node, b.direction): b for b in self.bank_list}
        from platekeeper.sim.routing import Router

        self.router = Router(self)
        self._city_nodes: dict[str, tuple[str, ...]] | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Network:
        """The network of ``path``, or the bundled one; raises ``NetworkError``."""
        return cls(read_network_file(path))

    # ----------------------------------------------------------------- build
    def _road(self, model: NetworkFile, road_id: str) -> Road:
        entry = next(r for r in model.roads if r.id == road_id)
        ids = tuple(n.node if isinstance(n, LegEntry) else n for n in entry.nodes)
        overrides = {
            j: n for j, n in enumerate(entry.nodes) if isinstance(n, LegEntry) and (j or entry.loop)
        }
        count = len(ids) if entry.loop else len(ids) - 1
        legs = []
        for k in range(count):
            a, b = self.nodes[ids[k]], self.nodes[ids[(k + 1) % len(ids)]]
            override = overrides.get((k + 1) % len(ids))
            kind = (override.kind if override else None) or entry.kind
            limit = (
                (override.limit_kmh if override else None)
                or (entry.limit_kmh if kind == entry.kind else None)
                or model.road_kinds[kind].limit_kmh
            )
            length = haversine_m(a.lat, a.lon, b.lat, b.lon) * model.road_kinds[kind].detour_factor
            legs.append(
                Leg(road_id, k, a.id, b.id, kind, model.road_kinds[kind].urban, limit, length)
            )
        return Road(entry.id, entry.name, entry.route, entry.kind, entry.loop, ids, tuple(legs))

    def _bank(self, model: NetworkFile, i: int) -> Bank:
        entry = model.banks[i]
        road = self.roads[entry.road]
        leg = road.approach_leg(entry.node, entry.direction)
        came_from = self.nodes[leg.start if entry.direction == "forward" else leg.end]
        node = self.nodes[entry.node]
        travel = bearing_deg(came_from.lat, came_from.lon, node.lat, node.lon)
        if entry.position is not None:
            lat, lon = entry.position
        else:
            lat, lon = destination(node.lat, node.lon, (travel + 180.0) % 360.0, BANK_SETBACK_M)
        heading = entry.heading_deg if entry.heading_deg is not None else (travel + 180.0) % 360
        city = self.cities.get(entry.city) if entry.city else None
        region = entry.region or (city.region if city else "")
        layout = model.layouts[entry.layout]
        signal = None
        if entry.signal is not None:
            s = entry.signal
            signal = SignalProgramme(s.cycle_s, s.green_s, s.amber_s, s.red_s, s.offset_s)
        return Bank(
            index=i,
            id=entry.id,
            name=entry.name,
            camera_id=entry.camera or f"{entry.id}-c1",
            node=entry.node,
            road=entry.road,
            direction=entry.direction,
            road_segment=leg.segment,
            city=entry.city,
            region=region,
            agency=entry.agency or self.regions[region].agency,
            lat=round(lat, 6),
            lon=round(lon, 6),
            travel_bearing_deg=round(travel, 1),
            heading_deg=round(heading, 1),
            direction_label=bound(travel),
            lanes=tuple(
                Lane(n, tuple((int(x), int(y)) for x, y in roi))
                for n, roi in enumerate(layout.lanes, start=1)
            ),
            resolution=layout.resolution,
            stop_line=layout.stop_line,
            signal=signal,
            limit_kmh=entry.limit_kmh or leg.limit_kmh,
        )

    def _section(self, model: NetworkFile, section_id: str) -> Section:
        entry = next(s for s in model.sections if s.id == section_id)
        a, b = self.banks[entry.entry], self.banks[entry.exit]
        legs = self.roads[a.road].legs_between(a.node, b.node, a.direction)
        distance = entry.distance_m or sum(leg.length_m for leg in legs)
        limit = entry.limit_kmh or min(leg.limit_kmh for leg in legs)
        return Section(entry.id, a.id, b.id, a.road, a.direction, round(distance, 1), limit)

    # --------------------------------------------------------------- look-up
    def bank_at(self, road: str, node: str, direction: Direction) -> Bank | None:
        """The bank watching traffic arriving at ``node`` along ``road`` going ``direction``."""
        return self._bank_at.get((road, node, direction))

    def city_nodes(self, city_id: str) -> tuple[str, ...]:
        """Nodes of a city (where its vehicles start and stop), in file order: those
        within its radius that lie nearer to it than to any other city's centre."""
        if self._city_nodes is None:
            found: dict[str, list[str]] = {c: [] for c in self.cities}
            for node in self.nodes.values():
                if self.router.degree(node.id) == 0:
                    continue
                near = [
                    (haversine_m(c.lat, c.lon, node.lat, node.lon), c.id)
                    for c in self.cities.values()
                ]
                inside = [(d, c) for d, c in near if d <= self.cities[c].radius_km * 1000]
                if inside:
                    found[min(inside)[1]].append(node.id)
            self._city_nodes = {c: tuple(ids) for c, ids in found.items()}
        return self._city_nodes[city_id]

    def local_day_start(self, ts: float) -> float:
        """The UTC instant of local midnight on the local day containing ``ts``."""
        local = ts + self.utc_offset_s
        return local - local % 86400 - self.utc_offset_s

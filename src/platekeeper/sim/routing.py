"""Shortest routes over the road graph of a network, with the banks and
average-speed sections a vehicle meets on the way.

The graph has a directed edge each way along every leg of every road.
Routes minimise free-flow time (length over speed limit) and are cached:
vehicles repeat the same few origin-destination pairs, so a route is worked
out once and replayed many times by the trip simulator.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platekeeper.sim.network import Bank, Direction, Leg, Network, Section


class NoRoute(ValueError):
    """The destination cannot be reached from the origin."""


@dataclass(frozen=True, slots=True)
class Edge:
    to: str
    leg: Leg
    direction: Direction
    cost_s: float


@dataclass(frozen=True, slots=True)
class RouteStep:
    """Driving one leg; ``bank`` is the bank at its end watching this direction."""

    node: str
    leg: Leg
    direction: Direction
    length_m: float
    limit_kmh: int
    urban: bool
    bank: Bank | None
    sections: tuple[tuple[Section, int], ...]
    """Sections that end at this step's bank, with the index of the step whose
    bank is their entry (the vehicle drove the whole section on this route)."""


@dataclass(frozen=True, slots=True)
class Route:
    origin: str
    destination: str
    steps: tuple[RouteStep, ...]
    length_m: float
    free_flow_s: float

    @property
    def banks(self) -> tuple[Bank, ...]:
        return tuple(s.bank for s in self.steps if s.bank is not None)


class Router:
    """Shortest paths over one network's road graph."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self._adj: dict[str, list[Edge]] = {node: [] for node in network.nodes}
        for road in network.roads.values():
            for leg in road.legs:
                cost = leg.length_m / (leg.limit_kmh / 3.6)
                self._adj[leg.start].append(Edge(leg.end, leg, "forward", cost))
                self._adj[leg.end].append(Edge(leg.start, leg, "reverse", cost))
        self._exits: dict[str, list[Section]] = {}
        for section in network.sections.values():
            self._exits.setdefault(section.exit, []).append(section)
        self._cache: dict[tuple[str, str], Route] = {}

    def degree(self, node: str) -> int:
        return len(self._adj.get(node, ()))

    def route(self, origin: str, destination: str) -> Route:
        """The quickest route at free flow; raises ``NoRoute``."""
        key = (origin, destination)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._build(origin, self._search(origin, destination))
        return found

    def _search(self, origin: str, destination: str) -> list[Edge]:
        if origin not in self._adj or destination not in self._adj:
            raise NoRoute(f"unknown node {origin if origin not in self._adj else destination}")
        best = {origin: 0.0}
        came: dict[str, tuple[str, Edge]] = {}
        queue: list[tuple[float, str]] = [(0.0, origin)]
        while queue:
            cost, node = heapq.heappop(queue)
            if node == destination:
                break
            if cost > best[node]:
                continue
            for edge in self._adj[node]:
                new = cost + edge.cost_s
                if new < best.get(edge.to, float("inf")):
                    best[edge.to] = new
                    came[edge.to] = (node, edge)
                    heapq.heappush(queue, (new, edge.to))
        if destination not in best:
            raise NoRoute(f"no road from {origin} to {destination}")
        path: list[Edge] = []
        node = destination
        while node != origin:
            node, edge = came[node]
            path.append(edge)
        path.reverse()
        return path

    def _build(self, origin: str, path: list[Edge]) -> Route:
        network = self.network
        steps: list[RouteStep] = []
        bank_step: dict[str, int] = {}
        for i, edge in enumerate(path):
            bank = network.bank_at(edge.leg.road, edge.to, edge.direction)
            sections: list[tuple[Section, int]] = []
            if bank is not None:
                for section in self._exits.get(bank.id, ()):
                    j = bank_step.get(section.entry)
                    if j is None:
                        continue
                    between = [(s.leg.road, s.direction) for s in steps[j + 1 :]]
                    between.append((edge.leg.road, edge.direction))
                    if all(pair == (section.road, section.direction) for pair in between):
                        sections.append((section, j))
                bank_step[bank.id] = i
            steps.append(
                RouteStep(
                    node=edge.to,
                    leg=edge.leg,
                    direction=edge.direction,
                    length_m=edge.leg.length_m,
                    limit_kmh=edge.leg.limit_kmh,
                    urban=edge.leg.urban,
                    bank=bank,
                    sections=tuple(sections),
                )
            )
        destination = path[-1].to if path else origin
        return Route(
            origin=origin,
            destination=destination,
            steps=tuple(steps),
            length_m=sum(s.length_m for s in steps),
            free_flow_s=sum(e.cost_s for e in path),
        )

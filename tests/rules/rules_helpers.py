"""Builders shared by the rules tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from platekeeper.rules import (
    CameraDirectory,
    CameraSite,
    EvidenceRef,
    ReadEvent,
    RuleContext,
    TrackPoint,
)
from platekeeper.rules.plugin import Rule, discover_plugins
from platekeeper.sim.captures import Capture
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population

# 10:00 local time in Tashkent (UTC+5) on Monday 2 March 2026.
T0 = datetime(2026, 3, 2, 5, 0, tzinfo=UTC).timestamp()
_counter = iter(range(1, 10**9))


def read(
    camera: str = "cam-a",
    ts: float = T0,
    plate: str | None = "01A123BC",
    **kw: Any,
) -> ReadEvent:
    rid = kw.pop("read_id", None) or f"r{next(_counter)}"
    return ReadEvent(read_id=rid, camera=camera, ts=ts, plate=plate, **kw)


def crossing_track(ts: float, speed_ms: float = 10.0, step: float = 0.6) -> tuple[TrackPoint, ...]:
    """Three points 0.6 s apart, the middle one on the stop line at ``ts``."""
    return tuple(
        TrackPoint(ts + k * step, k * step * speed_ms, EvidenceRef("frame", f"f{k}", ts + k * step))
        for k in (-1, 0, 1)
    )


def context(*sites: CameraSite, **kw: Any) -> RuleContext:
    return RuleContext(cameras=CameraDirectory(sites), **kw)


def build(name: str, config: dict[str, Any], ctx: RuleContext) -> Rule[Any]:
    plugins = discover_plugins()
    return plugins.build(name, plugins.parse(config), ctx)


@dataclass(frozen=True)
class World:
    """A simulated network, its fleet and a stretch of their captures."""

    network: Network
    population: Population
    captures: list[Capture]
    start: datetime
    end: datetime

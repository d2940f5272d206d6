"""The rules' view of a simulated network: camera sites, registry, hotlist,
signal feed, rule configuration, and captures as reads.

The configuration mirrors the simulator's ground truth (section tolerance,
red-light grace), so that rules run over perfect reads of the captures
should raise exactly the violations the captures list. The demo, the
benchmark and the rules' truth tests all build their rules here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from platekeeper.rules.context import CameraDirectory, CameraSite, RuleContext
from platekeeper.rules.hotlists import HotlistEntry, canonical_pattern
from platekeeper.rules.model import EvidenceRef, ReadEvent, TrackPoint
from platekeeper.rules.registry import (
    MemoryRegistry,
    RegistryRecord,
    RegistryStatus,
    parse_restrictions,
)
from platekeeper.rules.signals import Phase, PhaseEvent
from platekeeper.sim.captures import Capture
from platekeeper.sim.network import Bank, Network
from platekeeper.sim.population import Population

if TYPE_CHECKING:
    from platekeeper.rules.engine import RulesEngine
    from platekeeper.rules.signals import SignalTimeline


DEFAULT_LATE_ALLOWANCE_S = 300.0  # the section rule's own default


def timezone_of(network: Network) -> str:
    """An IANA zone with the network's UTC offset (Uzbekistan: Asia/Tashkent)."""
    offset = network.utc_offset_s
    if offset == 5 * 3600:
        return "Asia/Tashkent"
    if offset % 3600:
        raise ValueError("networks off a whole-hour offset need an explicit zone")
    hours = offset // 3600
    return "Etc/UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"


def signal_id(bank: Bank) -> str:
    return f"{bank.id}-sig"


def camera_sites(network: Network) -> CameraDirectory:
    tz = timezone_of(network)
    return CameraDirectory(
        CameraSite(
            code=bank.camera_id,
            region=bank.region,
            zones=frozenset({bank.city}) if bank.city else frozenset(),
            timezone=tz,
            direction=bank.direction_label,
            lanes=len(bank.lanes),
        )
        for bank in network.bank_list
    )


def registry(population: Population) -> MemoryRegistry:
    return MemoryRegistry(
        RegistryRecord(
            plate=row.plate,
            status=RegistryStatus(row.status.value),
            country=row.country,
            vehicle_class=row.vehicle_class,
            registered_until=row.registered_until,
            restrictions=parse_restrictions([r.to_dict() for r in row.restrictions]),
            make=row.make,
            colour=row.colour,
        )
        for row in population.registry_rows()
    )


def hotlist_entries(population: Population) -> list[HotlistEntry]:
    return [
        HotlistEntry(
            entry_id=f"sim-{i}",
            list_name=e.list_name,
            pattern=canonical_pattern(e.pattern),
            expires=e.expires_at.timestamp() if e.expires_at else None,
            priority=5,
            reason=e.reason,
        )
        for i, e in enumerate(population.hotlist)
    ]


def phase_events(
    network: Network, start: float, end: float, banks: Collection[str] | None = None
) -> Iterator[PhaseEvent]:
    """What the junction controllers (of ``banks``, by bank id; all when
    None) report in [start, end), one cycle early so that the phase at
    ``start`` is known, and since when."""
    for bank in network.bank_list:
        programme = bank.signal
        if programme is None or (banks is not None and bank.id not in banks):
            continue
        for at, phase in programme.changes(start - programme.cycle_s, end):
            yield PhaseEvent(
                signal=signal_id(bank),
                at=datetime.fromtimestamp(at, UTC),
                phase=Phase(phase.value),
            )


def checks(
    network: Network,
    *,
    tolerance_kmh: float = 5.0,
    red_grace_s: float = 1.0,
    late_allowance_s: float = DEFAULT_LATE_ALLOWANCE_S,
) -> dict[str, dict[str, Any]]:
    """The rule configuration (as YAML would give it) for the network;
    ``late_allowance_s`` is how late a read may reach the section rule and
    still be paired (the demo's history arrives after its last hour)."""
    banks = network.banks
    out: dict[str, dict[str, Any]] = {
        "hotlist": {"type": "hotlist"},
        "registry": {"type": "registry_status"},
        "no-plate": {"type": "no_plate"},
        "bans": {"type": "time_window"},
    }
    junctions = {
        bank.camera_id: {"signal": signal_id(bank)} for bank in network.bank_list if bank.junction
    }
    if junctions:
        out["red-light"] = {
            "type": "red_light",
            "approaches": junctions,
            "amber_grace_s": red_grace_s,
        }
    if network.sections:
        out["sections"] = {
            "type": "section_speed",
            "tolerance_kmh": tolerance_kmh,
            "max_clock_skew_s": 0.0,
            "late_allowance_s": late_allowance_s,
            "sections": [
                {
                    "id": s.id,
                    "entry": banks[s.entry].camera_id,
                    "exit": banks[s.exit].camera_id,
                    "distance_m": s.distance_m,
                    "limit_kmh": s.limit_kmh,
                }
                for s in network.sections.values()
            ],
        }
    return out


def read_event(capture: Capture) -> ReadEvent:
    """A perfect read of a capture, with its stop-line track and evidence refs."""
    ref = f"capture:{capture.id}"
    track = tuple(
        TrackPoint(p.ts, p.offset_m, EvidenceRef("frame", f"{ref}#{k}", p.ts))
        for k, p in enumerate(capture.stop_line)
    )
    evidence = (
        EvidenceRef("crop", f"{ref}:crop", capture.ts),
        *(p.frame for p in track if p.frame is not None),
    )
    return ReadEvent(
        read_id=str(capture.id),
        camera=capture.camera_id,
        ts=capture.ts,
        plate=capture.plate,
        confidence=1.0 if capture.plate else 0.0,
        country="UZ" if capture.plate else None,
        pass_id=str(capture.id),
        lane=capture.lane,
        direction=capture.direction,
        vehicle_class=capture.vehicle_class.value,
        track=track,
        evidence=evidence,
    )


def engine_for(
    network: Network,
    population: Population,
    signals: SignalTimeline | None = None,
    *,
    late_allowance_s: float = DEFAULT_LATE_ALLOWANCE_S,
) -> RulesEngine:
    """The rules engine of the simulated road: the network's checks over its
    registry, hotlist and camera sites (the demo's ``serve --simulate``);
    ``signals`` is where the controllers' phases are (the database's, when
    they come through the door); ``late_allowance_s`` as in :func:`checks`."""
    from platekeeper.rules.engine import RulesEngine
    from platekeeper.rules.recent import RecentReadsBuffer
    from platekeeper.rules.settings import RulesSettings
    from platekeeper.rules.signals import MemorySignalTimeline

    context = RuleContext(
        cameras=camera_sites(network),
        registry=registry(population),
        signals=signals or MemorySignalTimeline(),
        recent=RecentReadsBuffer(),
    )
    for entry in hotlist_entries(population):
        context.hotlists.add(entry)
    settings = RulesSettings.model_validate(
        {"checks": checks(network, late_allowance_s=late_allowance_s)}
    )
    return RulesEngine.from_settings(settings, context)

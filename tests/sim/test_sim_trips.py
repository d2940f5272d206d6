"""Trips and captures: determinism, realism and the ground truth of violations."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sim_helpers import MONDAY, SEED

from platekeeper.sim.captures import Capture, Violation
from platekeeper.sim.network import Network
from platekeeper.sim.population import Behaviour, PlateState, Population
from platekeeper.sim.registry import RegistrationStatus
from platekeeper.sim.signals import Phase
from platekeeper.sim.simulator import TripSimulator

LOCAL = 5 * 3600


def _local_hour(ts: float) -> float:
    return (ts + LOCAL) % 86400 / 3600


def test_same_seed_same_captures_in_any_window(
    network: Network, population: Population, week: list[Capture]
) -> None:
    again = TripSimulator(network, population, SEED)
    start, end = MONDAY + timedelta(hours=30), MONDAY + timedelta(hours=33)
    part = [c.to_dict() for c in again.captures(start, end)]
    expected = [c.to_dict() for c in week if start.timestamp() <= c.ts < end.timestamp()]
    assert part
    assert part == expected
    other = TripSimulator(network, population, SEED + 1)
    assert [c.to_dict() for c in other.captures(start, end)] != expected


def test_windows_asked_an_hour_at_a_time_simulate_each_day_once(
    network: Network, population: Population, week: list[Capture], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed asks for an hour (or a minute) at a time; each window needs its
    day and the day before, which are kept rather than simulated again."""
    fresh = TripSimulator(network, population, SEED)
    simulated: list[int] = []
    day = fresh.day

    def counted(index: int) -> list[Capture]:
        simulated.append(index)
        return day(index)

    monkeypatch.setattr(fresh, "day", counted)
    start = MONDAY + timedelta(hours=20)
    hours = [
        c.to_dict()
        for h in range(8)
        for c in fresh.captures(start + timedelta(hours=h), start + timedelta(hours=h + 1))
    ]
    end = start + timedelta(hours=8)
    assert hours == [c.to_dict() for c in week if start.timestamp() <= c.ts < end.timestamp()]
    # Sunday (trips from the evening before), Monday and Tuesday, once each.
    assert sorted(simulated) == [simulated[0], simulated[0] + 1, simulated[0] + 2]


def test_stream_is_ordered_and_inside_the_window(week: list[Capture]) -> None:
    assert len(week) > 50_000
    times = [c.ts for c in week]
    assert times == sorted(times)
    assert MONDAY.timestamp() <= times[0]
    assert times[-1] < (MONDAY + timedelta(days=4)).timestamp()
    assert len({c.id for c in week}) == len(week)
    assert all(c.captured_at.tzinfo is UTC for c in week[:100])


def test_traffic_follows_the_time_of_day(week: list[Capture], network: Network) -> None:
    hours = Counter(int(_local_hour(c.ts)) for c in week)
    assert hours[8] > 3 * hours[3]
    assert hours[17] > 3 * hours[4]
    per_bank = Counter(c.bank_id for c in week)
    # Nearly every bank sees traffic; the busy city junctions see thousands a day.
    assert len(per_bank) >= 0.9 * len(network.banks)
    assert per_bank.most_common(1)[0][1] / 4 > 1000


def test_speeds_are_realistic(week: list[Capture], population: Population) -> None:
    for c in week:
        assert 5 <= c.speed_kmh <= 200
        if not population[c.vehicle_id].speeder:
            assert c.speed_kmh <= 105  # nobody else exceeds the 100 km/h limit (+2 % radar)
    trips: dict[int, list[Capture]] = defaultdict(list)
    for c in week:
        trips[c.trip_id].append(c)
    for captures in trips.values():
        assert len({c.vehicle_id for c in captures}) == 1
        assert [c.ts for c in captures] == sorted(c.ts for c in captures)


def test_a_commuter_repeats_the_same_route(week: list[Capture], population: Population) -> None:
    by_vehicle: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for c in week:
        if population[c.vehicle_id].behaviour is Behaviour.COMMUTER and _local_hour(c.ts) < 12:
            day = math.floor((c.ts + LOCAL) / 86400)
            by_vehicle[c.vehicle_id][day].append(c.bank_id)
    repeaters = 0
    for days in by_vehicle.values():
        routes = Counter(tuple(banks) for banks in days.values())
        if routes and routes.most_common(1)[0][1] >= 3:
            repeaters += 1
    assert repeaters >= 50


def test_section_speeding_is_the_speeders(
    week: list[Capture], population: Population, network: Network
) -> None:
    passes = [c for c in week if c.section is not None]
    assert len(passes) > 500
    speeding = [c for c in passes if Violation.SECTION_SPEED in c.violations]
    assert len(speeding) >= 30
    by_id = {c.id: c for c in week}
    for c in passes:
        section = c.section
        assert section is not None
        assert network.sections[section.section_id].exit == c.bank_id
        entry = by_id.get(section.entry_capture_id)
        if entry is not None:  # None only when the entry was before the window
            assert entry.bank_id == network.sections[section.section_id].entry
            assert entry.vehicle_id == c.vehicle_id
            assert entry.trip_id == c.trip_id
            assert entry.ts == section.entry_ts
        average = section.distance_m * 3.6 / (c.ts - section.entry_ts)
        assert average == pytest.approx(section.average_kmh)
        flagged = Violation.SECTION_SPEED in c.violations
        assert flagged == (average > section.limit_kmh + 5.0)
        if not population[c.vehicle_id].speeder:
            assert average <= section.limit_kmh
    assert all(population[c.vehicle_id].speeder for c in speeding)


def test_red_light_runners_only_at_junctions_on_red(
    week: list[Capture], population: Population, network: Network
) -> None:
    junction_captures = [c for c in week if c.phase is not None]
    assert junction_captures
    runs = [c for c in week if Violation.RED_LIGHT in c.violations]
    assert len(runs) >= 20
    for c in week:
        bank = network.banks[c.bank_id]
        assert (c.phase is not None) == bank.junction
        if c.phase is Phase.RED:
            # Nobody crosses on red but a runner, and every such crossing is the offence.
            assert Violation.RED_LIGHT in c.violations
        if Violation.RED_LIGHT in c.violations:
            assert bank.junction
            assert population[c.vehicle_id].red_light_runner
            assert bank.signal is not None
            assert bank.signal.phase_at(c.ts) is Phase.RED
            assert bank.signal.phase_elapsed(c.ts) >= 1.0
            before, at, after = c.stop_line
            assert before.offset_m < 0 == at.offset_m < after.offset_m
            assert before.ts < at.ts == c.ts < after.ts
            assert at.phase is Phase.RED
            assert after.phase is Phase.RED


def test_night_ban_violations_only_at_night(
    week: list[Capture], population: Population, network: Network
) -> None:
    bans = [c for c in week if Violation.TIME_WINDOW in c.violations]
    assert len(bans) >= 5
    for c in bans:
        vehicle = population[c.vehicle_id]
        assert vehicle.restrictions
        assert vehicle.ignores_bans
        hour = _local_hour(c.ts)
        assert hour >= 22 or hour < 6
        assert network.banks[c.bank_id].city == "tashkent"
    for c in week:
        vehicle = population[c.vehicle_id]
        if vehicle.restrictions and not vehicle.ignores_bans and c.plate is not None:
            assert Violation.TIME_WINDOW not in c.violations


def test_registry_hotlist_and_plate_truth(week: list[Capture], population: Population) -> None:
    kinds = Counter(v for c in week for v in c.violations)
    assert all(kinds[v] > 0 for v in Violation)
    for c in week:
        vehicle = population[c.vehicle_id]
        if vehicle.plate_state is PlateState.CLEAN:
            assert c.plate == vehicle.plate
            assert Violation.NO_PLATE not in c.violations
            for status, kind in (
                (RegistrationStatus.EXPIRED, Violation.EXPIRED),
                (RegistrationStatus.UNREGISTERED, Violation.UNREGISTERED),
                (RegistrationStatus.STOLEN, Violation.STOLEN),
            ):
                assert (kind in c.violations) == (vehicle.status is status)
            at = c.captured_at
            wanted = any(e.active(at) and e.matches(c.plate) for e in population.hotlist)
            assert (Violation.HOTLIST in c.violations) == wanted
        else:
            assert c.plate is None
            assert Violation.NO_PLATE in c.violations
            assert not {Violation.HOTLIST, Violation.STOLEN, Violation.SECTION_SPEED} & set(
                c.violations
            )
    lapsed = [e for e in population.hotlist if e.expires_at is not None]
    assert lapsed


def test_an_empty_window_and_a_window_in_the_past(simulator: TripSimulator) -> None:
    assert list(simulator.captures(MONDAY, MONDAY)) == []
    night = list(
        simulator.captures(
            datetime(2026, 3, 2, 22, 0, tzinfo=UTC), datetime(2026, 3, 2, 22, 5, tzinfo=UTC)
        )
    )
    assert all(c.captured_at.minute < 5 for c in night)


def test_naive_datetimes_are_refused(simulator: TripSimulator) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        list(simulator.captures(datetime(2026, 3, 2), datetime(2026, 3, 3)))


def test_population_lookup_by_plate(population: Population) -> None:
    vehicle = population[42]
    assert population.find(vehicle.plate) is vehicle
    assert population.find("99Z999ZZ") is None

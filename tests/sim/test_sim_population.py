"""The synthetic fleet: plates, registry, hotlist; determinism by seed."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from platekeeper.recognition.syntax import Template, select, templates_of
from platekeeper.sim.network import Network
from platekeeper.sim.plates import PlateFormat, display, is_valid, plate_format
from platekeeper.sim.population import Behaviour, PlateState, Population
from platekeeper.sim.registry import (
    RegistrationStatus,
    write_hotlist_csv,
    write_registry_csv,
)
from platekeeper.sim.vehicles import VehicleClass

UZ_TEMPLATES = {t.format_id: t for t in templates_of(select(["UZ"]))}


def _fits(template: Template, text: str) -> bool:
    if len(text) != len(template.allowed):
        return False
    if any(ch not in allowed for ch, allowed in zip(text, template.allowed, strict=True)):
        return False
    return all(
        any(text[span.start : span.start + len(o)] == o for o in span.options)
        for span in template.spans
    )


def test_same_seed_same_fleet_other_seed_other_fleet(network: Network) -> None:
    a = Population.generate(network, 400, seed=11)
    b = Population.generate(network, 400, seed=11)
    c = Population.generate(network, 400, seed=12)
    assert a.vehicles == b.vehicles
    assert a.hotlist == b.hotlist
    assert [v.plate for v in a] != [v.plate for v in c]


def test_plates_follow_the_uzbek_syntaxes(population: Population, network: Network) -> None:
    plates = [v.plate for v in population]
    assert len(set(plates)) == len(plates)
    formats = Counter(v.plate_format for v in population)
    assert formats[PlateFormat.PRIVATE] > formats[PlateFormat.COMPANY] > 0
    for v in population:
        assert is_valid(v.plate), v.id
        assert plate_format(v.plate) is v.plate_format
        # The recognition engine's own syntax file accepts every plate.
        assert _fits(UZ_TEMPLATES[v.plate_format.value], v.plate), v.id
        assert v.region == v.plate[:2]
        assert v.region in network.regions
    same = sum(v.region == network.cities[v.home_city].region for v in population)
    assert same / len(population) > 0.85
    assert display("01A123BC") == "01 A 123 BC"
    assert display("01123ABC") == "01 123 ABC"
    assert not is_valid("01I123BC")  # no letter I
    assert not is_valid("01A000BC")
    assert not is_valid("02A123BC")  # not a region code in use


def test_classes_and_behaviours(population: Population) -> None:
    classes = Counter(v.vehicle_class for v in population)
    assert all(classes[c] > 0 for c in VehicleClass)
    assert classes[VehicleClass.CAR] > len(population) / 2
    behaviours = Counter(v.behaviour for v in population)
    assert all(behaviours[b] > 0 for b in Behaviour)
    for v in population:
        if v.vehicle_class is VehicleClass.BUS:
            assert v.plate_format is PlateFormat.COMPANY
        if v.behaviour is Behaviour.COMMUTER:
            assert v.work_node is not None
            assert v.work_node != v.home_node
        assert v.make
        assert v.colour


def test_registry_has_every_status(population: Population) -> None:
    statuses = Counter(v.status for v in population)
    assert all(statuses[s] > 0 for s in RegistrationStatus)
    assert statuses[RegistrationStatus.REGISTERED] > 0.9 * len(population)
    for v in population:
        if v.status is RegistrationStatus.EXPIRED:
            assert v.registered_until is not None
            assert v.registered_until < population.reference
        elif v.status is RegistrationStatus.UNREGISTERED:
            assert v.registered_until is None
        else:
            assert v.registered_until is not None
            assert v.registered_until > population.reference
    states = Counter(v.plate_state for v in population)
    assert states[PlateState.MISSING] > 0
    assert states[PlateState.OBSCURED] > 0


def test_night_bans_only_on_heavy_trucks(population: Population) -> None:
    banned = [v for v in population if v.restrictions]
    assert banned
    assert any(v.ignores_bans for v in banned)
    assert not all(v.ignores_bans for v in banned)
    for v in population:
        if v.restrictions:
            assert v.vehicle_class is VehicleClass.TRUCK
            assert v.heavy
            (ban,) = v.restrictions
            assert ban.covers(23 * 3600)
            assert ban.covers(3 * 3600)
            assert not ban.covers(12 * 3600)
            assert not ban.covers(6 * 3600)
        else:
            assert not v.ignores_bans


def test_registry_export_as_csv(population: Population) -> None:
    out = io.StringIO()
    rows = population.registry_rows()
    assert write_registry_csv(rows, out) == len(population)
    read = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(read) == len(population)
    by_plate = {r["plate"]: r for r in read}
    for v in population:
        row = by_plate[v.plate]
        assert row["status"] == v.status.value
        assert row["vehicle_class"] == v.vehicle_class.value
        if v.restrictions:
            (ban,) = json.loads(row["restrictions"])
            assert ban == {
                "kind": "time_window",
                "start": "22:00",
                "end": "06:00",
                "zones": ["tashkent"],
                "reason": "heavy goods vehicle, night ban",
            }
        else:
            assert row["restrictions"] == ""


def test_hotlist_exact_wildcard_and_lapsed(population: Population) -> None:
    entries = population.hotlist
    exact = [e for e in entries if not e.wildcard]
    wild = [e for e in entries if e.wildcard]
    assert len(exact) >= 5
    assert len(wild) >= 2
    plates = {v.id: v.plate for v in population}
    for entry in entries:
        assert entry.vehicle_id is not None
        assert entry.matches(plates[entry.vehicle_id])
    stolen = {v.plate for v in population if v.status is RegistrationStatus.STOLEN}
    assert stolen <= {e.pattern for e in exact}
    lapsed = [e for e in entries if e.expires_at is not None]
    assert lapsed
    assert not lapsed[0].active(datetime(2026, 3, 2, tzinfo=UTC))
    prefix = next(e for e in wild if e.pattern.endswith("*"))
    assert prefix.matches(prefix.pattern[:-1] + "9ZZ")
    assert not prefix.matches("X" + prefix.pattern[1:-1])
    out = io.StringIO()
    assert write_hotlist_csv(entries, out) == len(entries)
    header = out.getvalue().splitlines()[0]
    assert header == "list,pattern,wildcard,reason,expires_at"


def test_negative_fleet_is_refused(network: Network) -> None:
    with pytest.raises(ValueError, match="negative"):
        Population.generate(network, -1)
    assert len(Population.generate(network, 0)) == 0

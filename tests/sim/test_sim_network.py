"""The bundled camera network and the validation of operators' network files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from platekeeper.sim.geo import haversine_m
from platekeeper.sim.network import Network
from platekeeper.sim.network_load import DEFAULT_NETWORK, NetworkError, parse_network
from platekeeper.sim.plates import UZ_REGION_CODES
from platekeeper.sim.routing import NoRoute

# Rough bounding box of Uzbekistan.
LAT = (37.1, 45.6)
LON = (55.9, 73.2)


def test_bundled_network_size_and_places(network: Network) -> None:
    assert 100 <= len(network.banks) <= 130
    tashkent_sites = {b.node for b in network.bank_list if b.city == "tashkent"}
    assert len(tashkent_sites) >= 12
    cities = {b.city for b in network.bank_list}
    for city in ("chirchiq", "eshonguzar", "jizzakh", "qarshi", "namangan", "samarkand", "bukhara"):
        assert city in cities, city
    routes = {network.roads[b.road].route for b in network.bank_list}
    assert {"M39", "M37", "A373", "A380", "M41"} <= routes
    # Banks on the roads towards the Tajik border posts.
    for node in ("oybek-border", "jartepa-border", "sariosiyo-border", "kamchik-pass"):
        assert any(b.node == node for b in network.bank_list), node


def test_every_bank_is_plausibly_placed(network: Network) -> None:
    for bank in network.bank_list:
        assert LAT[0] < bank.lat < LAT[1], bank.id
        assert LON[0] < bank.lon < LON[1], bank.id
        assert bank.region in UZ_REGION_CODES, bank.id
        assert bank.agency
        node = network.nodes[bank.node]
        assert 5 < haversine_m(node.lat, node.lon, bank.lat, bank.lon) < 100, bank.id
        if bank.city is not None:
            city = network.cities[bank.city]
            assert city.region == bank.region
            assert haversine_m(city.lat, city.lon, bank.lat, bank.lon) <= city.radius_km * 1000
        # The camera faces the oncoming traffic.
        assert abs((bank.heading_deg - bank.travel_bearing_deg) % 360 - 180) < 0.2
        assert bank.direction_label.endswith("bound")


def test_lanes_and_junctions_fit_the_image(network: Network) -> None:
    junctions = [b for b in network.bank_list if b.junction]
    assert len(junctions) >= 40
    for bank in network.bank_list:
        width, height = bank.resolution
        assert (width, height) == (3840, 2160)
        assert [lane.number for lane in bank.lanes] == list(range(1, len(bank.lanes) + 1))
        for lane in bank.lanes:
            assert len(lane.roi) >= 3
            assert all(0 <= x <= width and 0 <= y <= height for x, y in lane.roi)
        if bank.signal is not None:
            s = bank.signal
            assert s.green_s + s.amber_s + s.red_s == pytest.approx(s.cycle_s)
            assert bank.stop_line is not None
            (x0, y0), (x1, _y1) = bank.stop_line
            assert 0 <= x0 < x1 <= width
            assert 0 < y0 < height


def test_sections_are_on_one_road_with_positive_distance(network: Network) -> None:
    assert len(network.sections) >= 20
    for section in network.sections.values():
        entry, exit_ = network.banks[section.entry], network.banks[section.exit]
        assert entry.road == exit_.road == section.road
        assert entry.direction == exit_.direction == section.direction
        assert section.distance_m > 0
        assert section.limit_kmh > 0
        a, b = network.nodes[entry.node], network.nodes[exit_.node]
        straight = haversine_m(a.lat, a.lon, b.lat, b.lon)
        # Along the road: never shorter than the straight line, never absurdly longer.
        assert straight <= section.distance_m <= 1.6 * straight, section.id
        legs = network.roads[section.road].legs_between(entry.node, exit_.node, entry.direction)
        assert section.distance_m == pytest.approx(sum(leg.length_m for leg in legs), abs=0.1)


def test_routes_follow_roads_and_find_sections(network: Network) -> None:
    route = network.router.route("tas-amir-temur-sq", "sam-registan")
    assert 280_000 < route.length_m < 340_000  # Tashkent-Samarkand is about 300 km by road
    for before, after in zip(route.steps, route.steps[1:], strict=False):
        assert after.leg.start in (before.node,) or after.leg.end == before.node
    completed = {sec.id for step in route.steps for sec, _ in step.sections}
    assert "m39-yangiyol-chinoz" in completed
    with pytest.raises(NoRoute):
        network.router.route("tas-minor", "nowhere")


def test_camera_fields_speak_the_store_language(network: Network) -> None:
    fields = network.banks["tas-minor-n"].camera_fields()
    assert set(fields) == {
        "code",
        "name",
        "bank",
        "agency",
        "region",
        "latitude",
        "longitude",
        "heading",
        "direction",
        "lanes",
        "road_segment",
    }
    assert fields["road_segment"] == "TAS-AMIR-TEMUR:1"
    json.dumps(fields)


# ---------------------------------------------------------------- operator files

TINY: dict[str, Any] = {
    "version": 1,
    "name": "test road",
    "utc_offset_hours": 5,
    "regions": [{"code": "01", "name": "Tashkent city", "agency": "traffic police"}],
    "cities": [
        {"id": "t", "name": "T", "region": "01", "lat": 41.3, "lon": 69.28, "radius_km": 10}
    ],
    "road_kinds": {"street": {"limit_kmh": 60, "detour_factor": 1.1, "urban": True}},
    "layouts": {
        "j": {
            "resolution": [3840, 2160],
            "lanes": [[[0, 700], [100, 700], [100, 2160], [0, 2160]]],
            "stop_line": [[0, 1380], [100, 1380]],
        }
    },
    "nodes": [
        {"id": "a", "name": "A", "lat": 41.30, "lon": 69.28},
        {"id": "b", "name": "B", "lat": 41.31, "lon": 69.28},
        {"id": "c", "name": "C", "lat": 41.32, "lon": 69.28},
    ],
    "roads": [{"id": "R", "name": "R", "kind": "street", "nodes": ["a", "b", "c"]}],
    "banks": [
        {
            "id": "b1",
            "name": "B north",
            "node": "b",
            "road": "R",
            "direction": "forward",
            "city": "t",
            "layout": "j",
            "signal": {"cycle_s": 60, "green_s": 27, "amber_s": 3, "red_s": 30},
        },
        {
            "id": "c1",
            "name": "C north",
            "node": "c",
            "road": "R",
            "direction": "forward",
            "city": "t",
            "layout": "j",
        },
    ],
    "sections": [{"id": "s", "entry": "b1", "exit": "c1"}],
}


def _text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def test_an_operator_network_in_json_loads_and_routes(tmp_path: Path) -> None:
    path = tmp_path / "cameras.json"
    path.write_text(json.dumps(TINY))
    network = Network.load(path)
    assert network.banks["b1"].direction_label == "northbound"
    assert network.sections["s"].distance_m == pytest.approx(1112 * 1.1, rel=0.01)
    assert [b.id for b in network.router.route("a", "c").banks] == ["b1", "c1"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["banks"][0].update(colour="red"), "banks.0.colour: Extra inputs"),
        (lambda d: d["banks"][0].update(node="a"), "nothing arrives at 'a' going forward"),
        (lambda d: d["banks"][1].update(direction="reverse"), "where 'R' ends"),
        (lambda d: d["banks"][0].update(node="z"), "does not pass node 'z'"),
        (lambda d: d["banks"][0]["signal"].update(red_s=31), "green + amber + red"),
        (lambda d: d["banks"][1].update(id="b1"), "'b1' is defined more than once"),
        (lambda d: d["sections"][0].update(entry="c1", exit="b1"), "exit comes before the entry"),
        (lambda d: d["layouts"]["j"].update(stop_line=None), "needs a layout with a stop line"),
        (lambda d: d["nodes"][1].update(lat=41.6), "outside its 10 km radius"),
        (lambda d: d["roads"][0].update(kind="lane"), "unknown road kind 'lane'"),
        (lambda d: d.update(utc_offset_hours=20), "utc_offset_hours"),
    ],
)
def test_bad_network_files_are_refused_with_the_line(change: Any, message: str) -> None:
    data = copy.deepcopy(TINY)
    change(data)
    with pytest.raises(NetworkError) as caught:
        parse_network(_text(data), "cameras.yaml")
    assert message in str(caught.value)
    assert "cameras.yaml line " in str(caught.value)


def test_a_section_joining_two_roads_is_refused() -> None:
    data = copy.deepcopy(TINY)
    data["nodes"].append({"id": "d", "name": "D", "lat": 41.32, "lon": 69.29})
    data["roads"].append({"id": "Q", "name": "Q", "kind": "street", "nodes": ["c", "d"]})
    data["banks"].append(
        {
            "id": "d1",
            "name": "D east",
            "node": "d",
            "road": "Q",
            "direction": "forward",
            "city": "t",
            "layout": "j",
        }
    )
    data["sections"][0]["exit"] = "d1"
    with pytest.raises(NetworkError, match="not one road"):
        parse_network(_text(data))


def test_unreadable_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="cannot read"):
        Network.load(tmp_path / "missing.yaml")
    with pytest.raises(NetworkError, match="not valid YAML"):
        parse_network("banks: [", "x.yaml")
    with pytest.raises(NetworkError, match="must be a mapping"):
        parse_network("- 1\n- 2\n")


def test_the_bundled_file_is_the_default() -> None:
    assert DEFAULT_NETWORK.is_file()
    assert parse_network(DEFAULT_NETWORK.read_text(encoding="utf-8")).version == 1


def test_signal_programme_phases_and_feed() -> None:
    from platekeeper.sim.signals import Phase, SignalProgramme

    s = SignalProgramme(cycle_s=100, green_s=55, amber_s=3, red_s=42, offset_s=10)
    assert s.phase_at(10) is Phase.GREEN
    assert s.phase_at(64.9) is Phase.GREEN
    assert s.phase_at(65) is Phase.AMBER
    assert s.phase_at(68) is Phase.RED
    assert s.phase_at(109.9) is Phase.RED
    assert s.phase_at(110) is Phase.GREEN
    assert s.phase_elapsed(70) == pytest.approx(2.0)
    assert s.next_green(70) == pytest.approx(110)
    assert s.next_green(110) == pytest.approx(110)
    feed = s.changes(0, 200)
    assert feed == [
        (10, Phase.GREEN),
        (65, Phase.AMBER),
        (68, Phase.RED),
        (110, Phase.GREEN),
        (165, Phase.AMBER),
        (168, Phase.RED),
    ]
    for at, phase in feed:
        assert s.phase_at(at) is phase


def test_an_operator_network_carries_a_simulated_fleet(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from platekeeper.sim.population import Population
    from platekeeper.sim.simulator import TripSimulator

    path = tmp_path / "cameras.yaml"
    path.write_text(_text(TINY))
    network = Network.load(path)
    fleet = Population.generate(network, 300, seed=3)
    assert {v.home_city for v in fleet} == {"t"}
    banned = [v for v in fleet if v.restrictions]
    assert all(v.restrictions[0].zones == ("t",) for v in banned)
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    captures = list(TripSimulator(network, fleet, 3).captures(start, start + timedelta(days=1)))
    assert {c.bank_id for c in captures} == {"b1", "c1"}
    passes = [c for c in captures if c.section is not None]
    assert passes
    assert all(c.bank_id == "c1" and c.section.section_id == "s" for c in passes)

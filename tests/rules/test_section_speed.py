"""Average speed between two cameras: two-camera sequences."""

from __future__ import annotations

from typing import Any

import pytest
from rules_helpers import T0, build, context, read

from platekeeper.rules import MemoryRegistry, RegistryRecord, RegistryStatus, RulesEngine
from platekeeper.rules.plugin import PluginError, discover_plugins

SECTION = {"id": "m39-1", "entry": "cam-a", "exit": "cam-b", "distance_m": 10_000, "limit_kmh": 100}


def rule(**kw: Any) -> Any:
    section = {**SECTION, **kw.pop("section", {})}
    ctx = kw.pop("ctx", None) or context()
    config = {"type": "section_speed", "max_clock_skew_s": 0.0, "sections": [section], **kw}
    return build("sections", config, ctx)


def transit(kmh: float, metres: float = 10_000) -> float:
    return metres / (kmh / 3.6)


def test_speeding_through_the_section_is_a_violation() -> None:
    r = rule()
    entry = read("cam-a", T0)
    assert r.evaluate(entry) == []
    (finding,) = r.evaluate(read("cam-b", T0 + transit(120)))
    assert finding.offence == "section_speed"
    assert finding.related_reads == (entry.read_id,)
    assert finding.details["average_kmh"] == pytest.approx(120.0)
    assert finding.details["limit_kmh"] == 100
    assert finding.details["section"] == "m39-1"


@pytest.mark.parametrize(("kmh", "raised"), [(104.9, False), (105.2, True), (90, False)])
def test_tolerance(kmh: float, raised: bool) -> None:
    r = rule()
    r.evaluate(read("cam-a", T0))
    assert bool(r.evaluate(read("cam-b", T0 + transit(kmh)))) is raised


def test_percent_tolerance_and_clock_skew_give_the_doubt_to_the_driver() -> None:
    pct = rule(tolerance_pct=10)  # 10 km/h at 100
    pct.evaluate(read("cam-a", T0))
    assert pct.evaluate(read("cam-b", T0 + transit(109))) == []
    # 106 km/h measured over 339.6 s; with 10 s of possible skew the speed
    # that decides is under 105.
    skewed = rule(max_clock_skew_s=10)
    skewed.evaluate(read("cam-a", T0))
    assert skewed.evaluate(read("cam-b", T0 + transit(106))) == []
    skewed.evaluate(read("cam-a", T0 + 1000, plate="01B000AA"))
    (f,) = skewed.evaluate(read("cam-b", T0 + 1000 + transit(130), plate="01B000AA"))
    assert f.details["deciding_kmh"] < f.details["average_kmh"]


def test_other_plates_wrong_order_and_long_transits_are_not_paired() -> None:
    r = rule(section={"max_transit_s": 250})
    r.evaluate(read("cam-a", T0, plate="01A111AA"))
    assert not r.evaluate(read("cam-b", T0 + transit(150), plate="01A222AA"))
    r.evaluate(read("cam-a", T0 + 5000))
    # 124 km/h, but over 290 s: longer than the section's maximum transit.
    assert not r.evaluate(read("cam-b", T0 + 5000 + transit(124)))
    assert not r.evaluate(read("cam-b", T0 + 9000, plate=None))
    r.evaluate(read("cam-b", T0 + 10_000, plate="01C333CC"))
    assert not r.evaluate(read("cam-a", T0 + 10_000 + 60, plate="01C333CC"))  # exit, then entry


def test_the_latest_entry_before_the_exit_is_used() -> None:
    r = rule()
    r.evaluate(read("cam-a", T0))  # an earlier pass at the entry
    r.evaluate(read("cam-a", T0 + 600))
    (f,) = r.evaluate(read("cam-b", T0 + 600 + transit(140)))
    assert f.details["average_kmh"] == pytest.approx(140.0)


def test_implausible_pairs_are_misreads_not_violations() -> None:
    r = rule()
    r.evaluate(read("cam-a", T0))
    assert r.evaluate(read("cam-b", T0 + transit(400))) == []
    assert r.stats()["implausible"] == 1


def test_direction_and_lanes() -> None:
    r = rule(section={"direction": "northbound", "exit_lanes": [1, 2]})
    r.evaluate(read("cam-a", T0, direction="northbound"))
    assert r.evaluate(read("cam-b", T0 + transit(150), direction="southbound")) == []
    assert r.evaluate(read("cam-b", T0 + transit(150), direction="northbound", lane=3)) == []
    assert r.evaluate(read("cam-b", T0 + transit(150), direction="northbound", lane=2))


def test_lower_limits_for_a_class_from_the_registry() -> None:
    registry = MemoryRegistry(
        [RegistryRecord("01T777AA", RegistryStatus.REGISTERED, "UZ", vehicle_class="truck")]
    )
    r = rule(section={"class_limits": {"truck": 70}}, ctx=context(registry=registry))
    r.evaluate(read("cam-a", T0, plate="01T777AA", country="UZ"))
    (f,) = r.evaluate(read("cam-b", T0 + transit(90), plate="01T777AA", country="UZ"))
    assert f.details["limit_kmh"] == 70
    r.evaluate(read("cam-a", T0))
    assert r.evaluate(read("cam-b", T0 + transit(90))) == []  # a car at 90


def test_exit_before_entry_is_paired_once() -> None:
    ctx = context()
    engine = RulesEngine([rule(ctx=ctx)], ctx)
    entry, exit_ = read("cam-a", T0), read("cam-b", T0 + transit(150))
    assert engine.process(exit_) == []
    (late,) = engine.process(entry)
    assert late.read_id == exit_.read_id
    assert engine.process(exit_) == []
    assert engine.process(entry) == []


def test_memory_is_bounded_by_the_transit_time_and_a_cap() -> None:
    r = rule(section={"max_transit_s": 600}, late_allowance_s=0)
    for k in range(1000):
        r.evaluate(read("cam-a", T0 + k, plate=f"01A{k:03d}AA"))
    r.evaluate(read("cam-a", T0 + 2000, plate="01B000AA"))
    assert r.stats()["sightings"] <= 1000 - 999 + 600  # only the last 600 s are kept
    capped = rule(max_sightings=1000)
    for k in range(1500):
        capped.evaluate(read("cam-a", T0 + k * 0.01, plate=f"01A{k:04d}A"))
    assert capped.stats()["sightings"] == 1000
    assert capped.stats()["evicted"] == 500


@pytest.mark.parametrize(
    "bad",
    [
        {"sections": []},
        {"sections": [{**SECTION, "exit": "cam-a"}]},
        {"sections": [SECTION, SECTION]},
        {"sections": [{**SECTION, "distance_m": -5}]},
        {"sections": [{**SECTION, "speed": 3}]},
        {"sections": [SECTION], "tolerance_kmh": 500},
    ],
)
def test_bad_configs_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(PluginError, match="section_speed"):
        discover_plugins().parse({"type": "section_speed", **bad})

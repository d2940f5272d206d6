"""Time-window bans across midnight, in several time zones, by class,
status and per-vehicle registry restriction."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from rules_helpers import build, context, read

from platekeeper.rules import CameraSite, MemoryRegistry, RegistryRecord, RegistryStatus
from platekeeper.rules.plugin import PluginError, discover_plugins
from platekeeper.rules.registry import parse_restrictions
from platekeeper.rules.timewindows import LocalWindow

TRUCK = "01T777AA"
NIGHT = {"name": "night trucks", "zones": ["tashkent"], "start": "22:00", "end": "06:00"}


def utc(y: int, mo: int, d: int, h: int, mi: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp()


def rule(
    bans: list[dict[str, Any]], *sites: CameraSite, records: tuple[RegistryRecord, ...] = ()
) -> Any:
    registry = MemoryRegistry(records)
    config = {"type": "time_window", "bans": bans}
    return build("bans", config, context(*sites, registry=registry))


TASHKENT = CameraSite("cam-t", region="tashkent", zones=frozenset({"tashkent"}))
TRUCK_RECORD = RegistryRecord(TRUCK, RegistryStatus.REGISTERED, "UZ", vehicle_class="truck")


@pytest.mark.parametrize(
    ("hour_utc", "minute", "inside"),
    [
        (16, 59, False),  # 21:59 in Tashkent
        (17, 0, True),  # 22:00
        (19, 30, True),  # 00:30, after midnight
        (0, 59, True),  # 05:59
        (1, 0, False),  # 06:00
        (7, 0, False),  # noon
    ],
)
def test_a_night_ban_across_midnight_in_tashkent(hour_utc: int, minute: int, inside: bool) -> None:
    r = rule([{**NIGHT, "vehicle_classes": ["truck"]}], TASHKENT, records=(TRUCK_RECORD,))
    found = r.evaluate(read("cam-t", utc(2026, 3, 2, hour_utc, minute), TRUCK, country="UZ"))
    assert bool(found) is inside
    if inside:
        assert found[0].details["bans"] == ["night trucks"]


def test_the_window_follows_each_cameras_own_clock() -> None:
    """The same instant is night in Tashkent (UTC+5) and evening in Berlin."""
    berlin = CameraSite("cam-b", zones=frozenset({"tashkent"}), timezone="Europe/Berlin")
    r = rule([{**NIGHT, "vehicle_classes": ["truck"]}], TASHKENT, berlin, records=(TRUCK_RECORD,))
    at = utc(2026, 1, 15, 18, 0)  # 23:00 in Tashkent, 19:00 in Berlin
    assert r.evaluate(read("cam-t", at, TRUCK, country="UZ"))
    assert not r.evaluate(read("cam-b", at, TRUCK, country="UZ"))
    # Berlin on summer time: 21:30 UTC is 23:30 local in July, 22:30 in January.
    assert r.evaluate(read("cam-b", utc(2026, 7, 1, 21, 30), TRUCK, country="UZ"))
    assert r.evaluate(read("cam-b", utc(2026, 1, 1, 21, 30), TRUCK, country="UZ"))
    assert not r.evaluate(read("cam-b", utc(2026, 7, 1, 4, 30), TRUCK, country="UZ"))  # 06:30


def test_days_belong_to_the_night_they_start() -> None:
    """A Friday-night ban holds in the small hours of Saturday, not of Friday."""
    window = LocalWindow(time(22), time(6), frozenset({4}))  # Friday
    assert window.covers(datetime(2026, 3, 6, 23, 0))  # Friday 23:00
    assert window.covers(datetime(2026, 3, 7, 2, 0))  # Saturday 02:00
    assert not window.covers(datetime(2026, 3, 6, 2, 0))  # Friday 02:00 (Thursday's night)
    assert not window.covers(datetime(2026, 3, 7, 23, 0))


def test_bans_by_status_and_zone() -> None:
    unregistered = RegistryRecord("01U000UU", RegistryStatus.UNREGISTERED, "UZ")
    centre = CameraSite("cam-c", zones=frozenset({"centre", "tashkent"}))
    outside = CameraSite("cam-o", zones=frozenset({"chirchiq"}))
    ban = {
        "name": "no unregistered by day",
        "zones": ["centre"],
        "start": "07:00",
        "end": "20:00",
        "statuses": ["unregistered"],
    }
    r = rule([ban], centre, outside, records=(unregistered, TRUCK_RECORD))
    noon = utc(2026, 3, 2, 7, 0)
    assert r.evaluate(read("cam-c", noon, "01U000UU", country="UZ"))
    assert not r.evaluate(read("cam-o", noon, "01U000UU", country="UZ"))
    assert not r.evaluate(read("cam-c", noon, TRUCK, country="UZ"))
    assert not r.evaluate(read("cam-c", noon, None))


def test_observed_class_when_the_registry_is_silent() -> None:
    r = rule([{**NIGHT, "vehicle_classes": ["truck"]}], TASHKENT)
    night = utc(2026, 3, 2, 20, 0)
    assert r.evaluate(read("cam-t", night, "10X999XX", vehicle_class="truck"))
    assert not r.evaluate(read("cam-t", night, "10X999XX", vehicle_class="car"))


def test_registry_restrictions_of_one_vehicle() -> None:
    restricted = RegistryRecord(
        TRUCK,
        RegistryStatus.REGISTERED,
        "UZ",
        vehicle_class="truck",
        restrictions=parse_restrictions(
            [{"kind": "time_window", "start": "22:00", "end": "06:00", "zones": ["tashkent"]}]
        ),
    )
    r = rule([], TASHKENT, records=(restricted,))
    (f,) = r.evaluate(read("cam-t", utc(2026, 3, 2, 18, 0), TRUCK, country="UZ"))
    assert f.details["bans"] == ["registry: 22:00-06:00"]
    assert f.details["local_time"].startswith("2026-03-02T23:00:00+05:00")
    assert not r.evaluate(read("cam-t", utc(2026, 3, 2, 9, 0), TRUCK, country="UZ"))


@pytest.mark.parametrize(
    ("ban", "message"),
    [
        ({**NIGHT}, "vehicle_classes, statuses or both"),
        ({**NIGHT, "start": "25:00", "statuses": ["stolen"]}, "HH:MM"),
        ({**NIGHT, "zones": [], "statuses": ["stolen"]}, "zones"),
        ({**NIGHT, "days": ["funday"], "statuses": ["stolen"]}, "mon"),
        ({**NIGHT, "statuses": ["towed"]}, "statuses"),
    ],
)
def test_bad_bans_are_refused(ban: dict[str, Any], message: str) -> None:
    with pytest.raises(PluginError, match=message):
        discover_plugins().parse({"type": "time_window", "bans": [ban]})


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        context(CameraSite("x", timezone="Mars/Olympus"))
    with pytest.raises(ValueError, match="unknown time zone"):
        build("t", {"type": "time_window", "default_timezone": "Nowhere/At_All"}, context())


def test_restrictions_are_validated() -> None:
    with pytest.raises(ValueError, match="restriction 1: start"):
        parse_restrictions([{"kind": "time_window", "start": "x", "end": "06:00", "zones": ["a"]}])
    with pytest.raises(ValueError, match="restriction 1: kind"):
        parse_restrictions([{"kind": "speed", "start": "22:00", "end": "06:00", "zones": ["a"]}])
    assert parse_restrictions({}) == ()
    assert parse_restrictions(None) == ()

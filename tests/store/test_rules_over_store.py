"""The serving rules engine over the real store (SQLite and PostgreSQL): the
registry and camera zones behind the registry-status and time-window
rules, and hotlists loaded from the store, with an entry added later
checked against the reads seen just before."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from store_testkit import START, StoreEnv

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.model import Alert
from platekeeper.config import Settings
from platekeeper.review.models import Violation
from platekeeper.review.pipeline import RulesPipeline
from platekeeper.review.violations import ViolationStore
from platekeeper.rules.registry_import import StoreRegistrySink, import_registry_csv
from platekeeper.rules.settings import RulesSettings
from platekeeper.rules.store_context import StoreContextSync, StoreRegistry
from platekeeper.store.facade import Store
from platekeeper.store.records import CameraSpec, NewRead
from platekeeper.store.types import VehicleStatus

# START is 17:00 in Tashkent (UTC+5); the night-style ban below covers it.
BAN = {"kind": "time_window", "start": "16:00", "end": "18:00", "zones": ["centre"]}
REGISTRY = [
    ["plate", "status", "country", "vehicle_class", "registered_until", "restrictions"],
    ["01A123BC", "stolen", "UZ", "car", "", ""],
    ["10B777QQ", "registered", "UZ", "car", "2026-03-01", ""],
    ["40Z555ZZ", "registered", "UZ", "truck", "2027-01-01", json.dumps([BAN])],
    ["AB1234CD", "registered", "UZ", "car", "2027-01-01", ""],
]
CHECKS = {
    "hotlist": {"type": "hotlist"},
    "registry": {"type": "registry_status"},
    "bans": {"type": "time_window"},
}


def rules_settings() -> RulesSettings:
    return RulesSettings.model_validate(
        {
            "checks": CHECKS,
            "zones": {"centre": ["bank:TAS-B1"], "tashkent": ["region:Tashkent"]},
            "region_timezones": {"Samarkand": "Asia/Samarkand"},
        }
    )


@pytest.fixture
def serving(
    store: Store, cameras: dict[str, int], tmp_path: Path
) -> tuple[RulesPipeline, list[Alert]]:
    """The rules pipeline as ``platekeeper serve`` builds it, over ``store``."""
    from platekeeper.commands.rules_stack import store_engine

    path = tmp_path / "registry.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(REGISTRY)
    report = import_registry_csv(path, StoreRegistrySink(store.registry))
    assert report.imported == 4, report.summary()
    settings = Settings(data_dir=tmp_path, rules=rules_settings())
    bus = AlertBus()
    alerts: list[Alert] = []
    bus.subscribe(alerts.append)
    pipeline = RulesPipeline(
        store,
        store_engine(settings, store),
        ViolationStore(store, store.clock),
        bus,
        context_sync=StoreContextSync(store, settings.rules),
    )
    store.reads.add_listener(pipeline.submit)
    return pipeline, alerts


def ingest(store: Store, plate: str, camera: str = "TAS-001", seconds: float = 0) -> int:
    read = NewRead(
        camera=camera,
        captured_at=START + timedelta(seconds=seconds),
        plate=plate,
        confidence=0.9,
        country="UZ",
    )
    return store.reads.ingest([read])[0]


def hit(alert: Alert) -> tuple[str, str, bool]:
    """(offence, read id, raised late) of an alert's finding."""
    assert alert.finding is not None
    return alert.offence, alert.finding.read_id, bool(alert.finding.details.get("late"))


def offences(store: Store) -> list[tuple[str, int | None]]:
    with store.db.read() as s:
        rows = s.scalars(select(Violation).order_by(Violation.id)).all()
    return [(r.offence, r.read_id) for r in rows]


def test_the_registry_and_zones_of_the_store_drive_the_rules(
    serving: tuple[RulesPipeline, list[Alert]], store: Store
) -> None:
    pipeline, alerts = serving
    stolen = ingest(store, "01A123BC")
    expired = ingest(store, "10B777QQ", seconds=1)
    banned = ingest(store, "40Z555ZZ", seconds=2)  # bank TAS-B1: in the centre
    elsewhere = ingest(store, "40Z555ZZ", camera="SAM-001", seconds=3)  # not in the centre
    fine = ingest(store, "AB1234CD", seconds=4)
    pipeline.drain()
    found = offences(store)
    assert ("stolen", stolen) in found
    assert ("expired", expired) in found
    assert ("time_window", banned) in found
    assert all(read not in (elsewhere, fine) for _, read in found)
    assert [a.offence for a in alerts] == ["stolen"]
    with store.db.read() as s:
        ban = s.scalars(select(Violation).where(Violation.offence == "time_window")).one()
    assert json.loads(ban.details)["zones"] == ["centre", "tashkent"]
    assert json.loads(ban.details)["local_time"].startswith("2026-03-10T17:00")


def test_an_imported_registry_reads_back_as_the_csv_says(
    serving: tuple[RulesPipeline, list[Alert]], store: Store, tmp_path: Path
) -> None:
    from dataclasses import replace

    from platekeeper.rules.registry_import import ImportReport, read_registry_csv

    with (tmp_path / "registry.csv").open(encoding="utf-8", newline="") as stream:
        written = [record for _line, record in read_registry_csv(stream, ImportReport())]
    registry = StoreRegistry(store.registry)
    for record in written:
        # The store keeps no make or colour (they are not the rules' business).
        assert registry.lookup(record.plate, "UZ") == replace(record, make="", colour="")
    (vehicle,) = store.registry.lookup("40Z555ZZ")
    assert vehicle.restrictions["restrictions"][0]["zones"] == ["centre"]


def test_registry_answers_are_cached_for_a_while(store: Store) -> None:
    now = [0.0]
    registry = StoreRegistry(store.registry, ttl_s=60, clock=lambda: now[0])
    assert registry.lookup("01A123BC", "UZ") is None
    store.registry.upsert("01A123BC", VehicleStatus.STOLEN, country="UZ")
    assert registry.lookup("01A123BC", "UZ") is None  # the cached answer
    assert registry.queries == 1
    now[0] = 61.0
    found = registry.lookup("01A123BC", "UZ")
    assert found is not None
    assert found.status.value == "stolen"
    # A record without a country answers for any country; a foreign one does not.
    store.registry.upsert("10B777QQ", VehicleStatus.EXPIRED, country="KZ")
    assert registry.lookup("10B777QQ", "UZ") is None
    assert registry.lookup("not a plate!", "UZ") is None


def test_hotlists_come_from_the_store_and_a_new_entry_checks_recent_reads(
    serving: tuple[RulesPipeline, list[Alert]], store: Store, env: StoreEnv
) -> None:
    pipeline, alerts = serving
    wanted = store.hotlists.create("wanted", priority=6)
    store.hotlists.add_entry(wanted.id, "95H321LA", note="armed robbery")
    store.hotlists.add_entry(wanted.id, "KX09*")
    gone = store.hotlists.add_entry(wanted.id, "A123BC77", expires_at=START - timedelta(hours=1))
    pipeline.sync()
    assert {e.entry_id for e in pipeline.worker.engine.context.hotlists} == {
        f"store:{i}" for i in store.hotlists.live_entry_ids()
    }
    assert f"store:{gone.id}" not in {e.entry_id for e in pipeline.worker.engine.context.hotlists}

    exact = ingest(store, "95H321LA")
    wildcard = ingest(store, "KX09XYZ", seconds=1)
    ingest(store, "A123BC77", seconds=2)  # its entry has expired
    seen_first = ingest(store, "10B777QQ", seconds=3)
    pipeline.drain()
    assert [hit(a) for a in alerts] == [
        ("hotlist", str(exact), False),
        ("hotlist", str(wildcard), False),
    ]
    assert alerts[0].priority >= 6

    # Listed after it was seen: the sync checks it against the recent reads.
    late = store.hotlists.add_entry(wanted.id, "10B777QQ")
    pipeline.refresh_now()
    pipeline.drain()
    assert hit(alerts[-1]) == ("hotlist", str(seen_first), True)
    assert alerts[-1].finding is not None
    assert alerts[-1].finding.details["entries"] == [f"store:{late.id}"]

    # Removed in the store: no longer matched after the next sync.
    assert store.hotlists.remove_entry(late.id)
    pipeline.refresh_now()
    ingest(store, "10B777QQ", seconds=10)
    count = len(alerts)
    pipeline.drain()
    assert len(alerts) == count


def test_a_camera_added_while_serving_gets_its_zones(
    serving: tuple[RulesPipeline, list[Alert]], store: Store
) -> None:
    pipeline, _alerts = serving
    store.cameras.add(CameraSpec("TAS-009", "Late", "TAS-B1", "tashkent", "Tashkent", 41.3, 69.2))
    store.cameras.add(
        CameraSpec("SAM-002", "Gate 2", "SAM-B2", "samarkand", "Samarkand", 39.6, 66.9)
    )
    pipeline.refresh_now()
    pipeline.drain()
    sites = pipeline.worker.engine.context.cameras
    late = sites.get("TAS-009")
    assert late is not None
    assert late.zones == frozenset({"centre", "tashkent"})
    assert (late.region, late.timezone) == ("Tashkent", "Asia/Tashkent")
    samarkand = sites.get("SAM-002")
    assert samarkand is not None
    assert (samarkand.zones, samarkand.timezone) == (frozenset(), "Asia/Samarkand")
    banned = ingest(store, "40Z555ZZ", camera="TAS-009")
    pipeline.drain()
    assert ("time_window", banned) in offences(store)


def test_zone_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="camera:<code>"):
        RulesSettings.model_validate({"zones": {"centre": ["TAS-B1"]}})
    with pytest.raises(ValueError, match="unknown time zone"):
        RulesSettings.model_validate({"timezone": "Mars/Olympus"})
    with pytest.raises(ValueError, match="unknown time zone"):
        RulesSettings.model_validate({"region_timezones": {"x": "Nowhere/Else"}})

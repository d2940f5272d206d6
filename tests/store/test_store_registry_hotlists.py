"""Vehicle registry and hotlists: plates encrypted, found by blind index."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from store_testkit import START, StoreEnv

from platekeeper.store.errors import InvalidInput, NotFound
from platekeeper.store.facade import Store
from platekeeper.store.models import HotlistEntry, Vehicle
from platekeeper.store.types import VehicleStatus


def test_registry_upsert_and_lookup(store: Store) -> None:
    first = store.registry.upsert(
        "01 A 123 BC", VehicleStatus.REGISTERED, country="UZ", vehicle_class="car"
    )
    again = store.registry.upsert(
        "01A123BC", VehicleStatus.STOLEN, country="UZ", restrictions={"zones": ["centre"]}
    )
    assert again.id == first.id
    (found,) = store.registry.lookup("01a123bc")
    assert found.status is VehicleStatus.STOLEN
    assert found.restrictions == {"zones": ["centre"]}
    assert found.plate == "01A123BC"
    assert store.registry.lookup("01A123BD") == []
    store.registry.upsert("01A123BC", VehicleStatus.EXPIRED, country="KZ")
    assert {v.country for v in store.registry.lookup("01A123BC")} == {"UZ", "KZ"}
    assert [v.country for v in store.registry.lookup("01A123BC", country="KZ")] == ["KZ"]
    assert store.registry.remove("01A123BC", "KZ")
    assert not store.registry.remove("01A123BC", "KZ")
    with store.db.read() as session:
        for row in session.scalars(select(Vehicle)):
            assert b"01A123BC" not in row.sealed


def test_registry_refuses_bad_input(store: Store) -> None:
    with pytest.raises(InvalidInput):
        store.registry.upsert("!!", VehicleStatus.REGISTERED)
    with pytest.raises(InvalidInput, match="unknown vehicle status"):
        store.registry.upsert("01A123BC", "towed")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="country"):
        store.registry.upsert("01A123BC", VehicleStatus.REGISTERED, country="uz")
    with pytest.raises(InvalidInput, match="JSON"):
        store.registry.upsert("01A123BC", VehicleStatus.REGISTERED, restrictions={"x": object()})


def test_hotlist_exact_and_wildcard_matches(env: StoreEnv, store: Store) -> None:
    stolen = store.hotlists.create("stolen", priority=10)
    watch = store.hotlists.create("watch", description="area watch")
    store.hotlists.add_entry(stolen.id, "01 A 123 BC", note="stolen 2026-03-01")
    store.hotlists.add_entry(watch.id, "01A*", note="district 01 A")
    store.hotlists.add_entry(watch.id, "10B?77QQ", expires_at=START + timedelta(days=1))

    matches = store.hotlists.matches("01A123BC")
    assert [(h.name, e.pattern) for h, e in matches] == [("stolen", "01A123BC"), ("watch", "01A*")]
    assert matches[0][1].note == "stolen 2026-03-01"
    assert [e.pattern for _h, e in store.hotlists.matches("10B777QQ")] == ["10B?77QQ"]
    assert store.hotlists.matches("10B777QQ", at=START + timedelta(days=2)) == []
    assert store.hotlists.matches("99Z999ZZ") == []
    with store.db.read() as session:
        for row in session.scalars(select(HotlistEntry)):
            assert b"01A" not in row.sealed


def test_hotlist_refuses_bad_input(store: Store) -> None:
    hotlist = store.hotlists.create("stolen")
    with pytest.raises(InvalidInput, match="known characters"):
        store.hotlists.add_entry(hotlist.id, "*")
    with pytest.raises(InvalidInput):
        store.hotlists.add_entry(hotlist.id, "01A;*")
    with pytest.raises(InvalidInput, match="exists"):
        store.hotlists.create("stolen")
    with pytest.raises(NotFound):
        store.hotlists.add_entry(9999, "01A123BC")
    entry = store.hotlists.add_entry(hotlist.id, "01A123BC")
    assert store.hotlists.remove_entry(entry.id)
    assert store.hotlists.entries(hotlist.id) == []


def test_camera_neighbours_and_validation(store: Store, cameras: dict[str, int]) -> None:
    from platekeeper.store.records import CameraSpec

    ((neighbour, distance),) = store.cameras.neighbours(cameras["TAS-001"])
    assert (neighbour.code, distance) == ("TAS-002", 1800.0)
    with pytest.raises(InvalidInput, match="exists"):
        store.cameras.add(CameraSpec("TAS-001", "dup", "b", "a", "r", 41.0, 69.0))
    with pytest.raises(InvalidInput, match="latitude"):
        store.cameras.add(CameraSpec("NEW-1", "n", "b", "a", "r", 91.0, 69.0))
    with pytest.raises(InvalidInput, match="code"):
        store.cameras.add(CameraSpec("bad code!", "n", "b", "a", "r", 41.0, 69.0))
    with pytest.raises(InvalidInput, match="unknown camera"):
        store.cameras.set_neighbours(cameras["TAS-001"], {9999: 10.0})
    with pytest.raises(InvalidInput, match="positive"):
        store.cameras.set_neighbours(cameras["TAS-001"], {cameras["TAS-002"]: -1.0})

"""The lane and vehicle class a camera reports, sealed in the read's payload
beside the plate: stored and loaded on SQLite and PostgreSQL, handed to the
rules, refused when malformed; payloads without them are written and read
as they were before lanes travelled."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from store_testkit import START

from platekeeper.review.pipeline import read_event
from platekeeper.store import payload
from platekeeper.store.errors import InvalidRead
from platekeeper.store.facade import Store
from platekeeper.store.models import Read
from platekeeper.store.records import NewRead


def test_the_payload_keeps_lane_and_class_with_or_without_track_and_box() -> None:
    box = (1, 2, 3, 4)
    cases = [
        (2, "truck", (), None, b"01A123BC|||||2,truck"),
        (1, None, (), None, b"01A123BC|||||1,"),
        (None, "bus", (), None, b"01A123BC|||||,bus"),
        (3, None, (), box, b"01A123BC||||1,2,3,4|3,"),
        (4, "car", ((1.0, -2.0),), None, b"01A123BC|||1.000:-2.00||4,car"),
        (16, "car", ((1.0, -2.0),), box, b"01A123BC|||1.000:-2.00|1,2,3,4|16,car"),
    ]
    for lane, vclass, track, plate_box, text in cases:
        body = payload.encode(
            "01A123BC", (), None, track, plate_box=plate_box, lane=lane, vehicle_class=vclass
        )
        assert body == text
        decoded = payload.decode(body)
        assert decoded.plate == "01A123BC"
        assert (decoded.lane, decoded.vehicle_class) == (lane, vclass)
        assert (decoded.track, decoded.plate_box) == (track, plate_box)


def test_payloads_without_lane_or_class_are_as_before() -> None:
    # Written before lanes travelled, byte for byte: each still reads, with no lane.
    old = [
        b"01A123BC|01A123BG:0.41|41.311,69.279",
        b"||",
        b"01A123BC|||1.000:-2.00:abababababababab,2.000:3.00",
        b"01A123BC||||1,2,3,4",
    ]
    for body in old:
        decoded = payload.decode(body)
        assert (decoded.lane, decoded.vehicle_class) == (None, None)
    assert payload.decode(old[3]).plate_box == (1, 2, 3, 4)
    # And a read without them is written exactly as then.
    assert payload.encode("01A123BC", [("01A123BG", 0.41)], (41.311, 69.279)) == old[0]
    assert payload.encode("01A123BC", (), None, plate_box=(1, 2, 3, 4)) == old[3]


def test_lane_and_class_are_stored_with_the_read_and_reach_the_rules(
    store: Store, cameras: dict[str, int]
) -> None:
    seen, plain = store.reads.ingest(
        [
            NewRead("TAS-001", START, None, 0.0, lane=3, vehicle_class="motorcycle"),
            NewRead("TAS-001", START, "01A123BC", 0.9),
        ]
    )
    loaded, bare = store.reads.get(seen), store.reads.get(plain)
    assert loaded is not None
    assert bare is not None
    assert (loaded.lane, loaded.vehicle_class) == (3, "motorcycle")
    assert (bare.lane, bare.vehicle_class) == (None, None)
    event = read_event(loaded)
    assert (event.lane, event.vehicle_class, event.plate) == (3, "motorcycle", None)


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({"lane": 0}, "lane"),
        ({"lane": 17}, "lane"),
        ({"lane": True}, "lane"),
        ({"vehicle_class": "Truck"}, "vehicle class"),
        ({"vehicle_class": "car|1"}, "vehicle class"),
        ({"vehicle_class": "car\n"}, "vehicle class"),
        ({"vehicle_class": "x" * 33}, "vehicle class"),
    ],
)
def test_a_bad_lane_or_class_is_refused_before_anything_is_written(
    store: Store, cameras: dict[str, int], given: dict[str, object], reason: str
) -> None:
    good = NewRead("TAS-001", START, "01A123BC", 0.9, lane=1)
    bad = NewRead("TAS-001", START, "01A123BC", 0.9, **given)  # type: ignore[arg-type]
    with pytest.raises(InvalidRead, match=reason):
        store.reads.ingest([good, bad])
    with store.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Read)) == 0

"""Track frames: the frames of a read's stop-line track points, stored as the
read's frame evidence (encrypted, under the frames' retention), each point
naming its own inside the sealed payload; and the plate's box in the read's
frame, sealed with it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from store_testkit import START, StoreEnv, jpeg

from platekeeper.retention.job import RetentionJob
from platekeeper.store import payload
from platekeeper.store.errors import InvalidRead
from platekeeper.store.facade import Store
from platekeeper.store.models import DataKey, EvidenceBlob
from platekeeper.store.records import NewEvidence, NewRead
from platekeeper.store.types import DataClass, EvidenceKind

TRACK = ((START.timestamp() - 1.0, -8.0), (START.timestamp() - 0.2, -1.0), (START.timestamp(), 2.0))


def red_light_read(own: bytes, frames: list[bytes | None]) -> NewRead:
    return NewRead(
        "TAS-001",
        START,
        "01A123BC",
        0.9,
        evidence=[NewEvidence(EvidenceKind.FRAME, own)],
        track=TRACK,
        track_frames=frames,
    )


def test_each_point_finds_its_frame_and_the_reads_own_frame_comes_first(
    store: Store, cameras: dict[str, int]
) -> None:
    first, last, own = (jpeg(160, 90, seed=s) for s in (1, 2, 3))
    # The middle point's frame is the read's own: stored and linked once.
    (read_id,) = store.reads.ingest([red_light_read(own, [first, own, last])])
    stored = store.reads.get(read_id)
    assert stored is not None
    assert stored.track == tuple((round(t, 3), o) for t, o in TRACK)
    assert len(stored.evidence) == 3
    by_id = {ref.blob_id: store.reads.evidence_bytes(ref.blob_id)[1] for ref in stored.evidence}
    assert [by_id[b] for b in stored.track_frames if b is not None] == [first, own, last]
    assert by_id[stored.evidence[0].blob_id] == own
    with store.db.read() as s:
        classes = set(
            s.scalars(
                select(DataKey.data_class)
                .join(EvidenceBlob, EvidenceBlob.data_key_id == DataKey.id)
                .where(EvidenceBlob.id.in_(list(by_id)))
            )
        )
    assert classes == {DataClass.FRAMES.value}


def test_a_point_without_a_frame_and_a_read_without_track_frames(
    store: Store, cameras: dict[str, int]
) -> None:
    own = jpeg(160, 90, seed=4)
    some, none = store.reads.ingest(
        [
            red_light_read(own, [None, jpeg(160, 90, seed=5), None]),
            red_light_read(jpeg(160, 90, seed=6), []),
        ]
    )
    with_frames, without = store.reads.get(some), store.reads.get(none)
    assert with_frames is not None
    assert without is not None
    assert with_frames.track_frames[0] is None
    assert with_frames.track_frames[1] is not None
    assert with_frames.track_frames[2] is None
    assert without.track_frames == ()
    assert len(without.track) == 3


def test_track_frames_expire_with_frames_and_the_track_stays(
    env: StoreEnv, store: Store, cameras: dict[str, int]
) -> None:
    (read_id,) = store.reads.ingest(
        [red_light_read(jpeg(160, 90, seed=7), [jpeg(160, 90, seed=8), None, None])]
    )
    env.clock.advance(days=10)
    RetentionJob(store).run()
    kept = store.reads.get(read_id)
    assert kept is not None
    assert kept.evidence == ()
    assert len(kept.track) == 3
    assert kept.track_frames == (None, None, None)


@pytest.mark.parametrize(
    ("frames", "reason"),
    [
        ([None, None], "track frames must match the track's points"),
        ([None, b"\xff\xd8\xff" + bytes(20), None], "track point 1"),
    ],
)
def test_bad_track_frames_are_refused_before_anything_is_written(
    store: Store, cameras: dict[str, int], frames: list[bytes | None], reason: str
) -> None:
    with pytest.raises(InvalidRead, match=reason):
        store.reads.ingest([red_light_read(jpeg(160, 90, seed=9), frames)])
    with store.db.read() as s:
        assert s.scalars(select(EvidenceBlob.id)).first() is None


def test_the_payload_reads_points_with_and_without_frame_names() -> None:
    body = payload.encode(
        "01A123BC", (), None, [(1.0, -2.0), (2.0, 3.0)], track_frames=["", "ab" * 8]
    )
    decoded = payload.decode(body)
    assert decoded.track == ((1.0, -2.0), (2.0, 3.0))
    assert decoded.track_frames == ("", "ab" * 8)
    assert payload.decode(payload.encode("01A123BC", (), None, [(1.0, -2.0)])).track_frames == ()


def test_the_plate_box_is_sealed_with_the_read(store: Store, cameras: dict[str, int]) -> None:
    frame = [NewEvidence(EvidenceKind.FRAME, jpeg(160, 90, seed=10))]
    boxed, plain = store.reads.ingest(
        [
            NewRead("TAS-001", START, "01A123BC", 0.9, evidence=frame, plate_box=(30, 60, 40, 10)),
            NewRead("TAS-001", START, "01A123BC", 0.9, evidence=frame, track=TRACK[:2]),
        ]
    )
    with_box, without = store.reads.get(boxed), store.reads.get(plain)
    assert with_box is not None
    assert without is not None
    assert with_box.plate_box == (30, 60, 40, 10)
    assert with_box.track == ()
    assert without.plate_box is None
    both = payload.encode("01A123BC", (), None, [(1.0, -2.0)], plate_box=(1, 2, 3, 4))
    assert payload.decode(both).track == ((1.0, -2.0),)
    assert payload.decode(both).plate_box == (1, 2, 3, 4)


@pytest.mark.parametrize(
    ("box", "with_frame", "reason"),
    [
        ((30, 60, 40, 10), False, "send the frame with it"),
        ((-1, 60, 40, 10), True, "a plate box is"),
        ((30, 60, 0, 10), True, "a plate box is"),
    ],
)
def test_a_bad_plate_box_is_refused(
    store: Store,
    cameras: dict[str, int],
    box: tuple[int, int, int, int],
    with_frame: bool,
    reason: str,
) -> None:
    frame = [NewEvidence(EvidenceKind.FRAME, jpeg(160, 90, seed=11))] if with_frame else []
    with pytest.raises(InvalidRead, match=reason):
        store.reads.ingest(
            [NewRead("TAS-001", START, "01A123BC", 0.9, evidence=frame, plate_box=box)]
        )

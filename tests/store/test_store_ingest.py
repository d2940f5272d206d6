"""Ingest: reads and evidence stored encrypted, decrypted on the way out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from store_testkit import START, StoreEnv, jpeg

from platekeeper.crypto import DecryptionFailed
from platekeeper.store.facade import Store
from platekeeper.store.models import EvidenceBlob, Read, ReadEvidence
from platekeeper.store.records import NewEvidence, NewRead
from platekeeper.store.types import EvidenceKind


def read(
    plate: str = "01A123BC", minutes: float = 0, camera: str = "TAS-001", **kw: object
) -> NewRead:
    values: dict[str, object] = {
        "camera": camera,
        "captured_at": START - timedelta(minutes=minutes),
        "plate": plate,
        "confidence": 0.91,
        "country": "UZ",
    }
    values.update(kw)
    return NewRead(**values)  # type: ignore[arg-type]


def test_read_round_trips_decrypted(store: Store, cameras: dict[str, int]) -> None:
    (read_id,) = store.reads.ingest(
        [read("01 A 123 BC", candidates=[("01A123BC", 0.91), ("O1A123BC", 0.4)], gps=(41.3, 69.2))]
    )
    stored = store.reads.get(read_id)
    assert stored is not None
    assert stored.plate == "01A123BC"
    assert stored.candidates == (("01A123BC", 0.91), ("O1A123BC", 0.4))
    assert stored.gps == (41.3, 69.2)
    assert stored.camera.code == "TAS-001"
    assert stored.captured_at == START
    assert stored.country == "UZ"


def test_row_holds_no_plate_in_the_clear(store: Store, cameras: dict[str, int]) -> None:
    (read_id,) = store.reads.ingest([read("10B777QQ")])
    with store.db.read() as session:
        row = session.get(Read, (read_id, START))
    assert row is not None
    assert b"10B777QQ" not in row.sealed
    assert isinstance(row.plate_exact, int)


def test_ciphertext_moved_to_another_row_does_not_open(
    store: Store, cameras: dict[str, int]
) -> None:
    first, second = store.reads.ingest([read("01A123BC"), read("40Z555ZZ", minutes=1)])
    with store.db.write() as session:
        a = session.get(Read, (first, START))
        b = session.get(Read, (second, START - timedelta(minutes=1)))
        assert a is not None
        assert b is not None
        a.sealed, b.sealed = b.sealed, a.sealed
    with pytest.raises(DecryptionFailed):
        store.reads.get(first)


def test_evidence_is_encrypted_and_deduplicated(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes, frame_jpeg: bytes
) -> None:
    frame = NewEvidence(EvidenceKind.FRAME, frame_jpeg)
    ids = store.reads.ingest(
        [
            read("01A123BC", evidence=[NewEvidence(EvidenceKind.CROP, crop_jpeg), frame]),
            read("40Z555ZZ", evidence=[frame]),  # the same frame holds both plates
        ]
    )
    first = store.reads.get(ids[0])
    assert first is not None
    kinds = sorted(ref.kind for ref in first.evidence)
    assert kinds == [EvidenceKind.CROP, EvidenceKind.FRAME]
    for ref in first.evidence:
        _, data = store.reads.evidence_bytes(ref.blob_id)
        assert data == (crop_jpeg if ref.kind is EvidenceKind.CROP else frame_jpeg)
    with store.db.read() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceBlob)) == 2
        assert session.scalar(select(func.count()).select_from(ReadEvidence)) == 3
    files = [p for p in (env.data_dir / "evidence").rglob("*") if p.is_file()]
    assert len(files) == 2
    for path in files:
        content = path.read_bytes()
        assert crop_jpeg[:64] not in content
        assert frame_jpeg[:64] not in content
        assert b"JFIF" not in content


def test_second_batch_reuses_stored_blob(
    store: Store, cameras: dict[str, int], frame_jpeg: bytes
) -> None:
    frame = NewEvidence(EvidenceKind.FRAME, frame_jpeg)
    store.reads.ingest([read("01A123BC", evidence=[frame])])
    store.reads.ingest([read("01A123BC", minutes=2, evidence=[frame])])
    with store.db.read() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceBlob)) == 1


def test_keys_are_per_agency(store: Store, cameras: dict[str, int]) -> None:
    tas, sam = store.reads.ingest([read(camera="TAS-001"), read(camera="SAM-001")])
    with store.db.read() as session:
        keys = {
            row.id: row.data_key_id
            for row in session.execute(select(Read.id, Read.data_key_id)).all()
        }
    assert keys[tas] != keys[sam]


def test_blind_indexes_differ_between_periods(store: Store, cameras: dict[str, int]) -> None:
    today, yesterday = store.reads.ingest([read(), read(minutes=24 * 60)])
    with store.db.read() as session:
        exact = dict(session.execute(select(Read.id, Read.plate_exact)).all())
    # One plate, two days: unlinkable in the database.
    assert exact[today] != exact[yesterday]


def test_png_evidence_is_accepted(store: Store, cameras: dict[str, int]) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (10, 20, 30)).save(buffer, "PNG")
    (read_id,) = store.reads.ingest(
        [read(evidence=[NewEvidence(EvidenceKind.CROP, buffer.getvalue())])]
    )
    stored = store.reads.get(read_id)
    assert stored is not None
    assert stored.evidence[0].media_type == "image/png"


def test_many_reads_in_one_batch(store: Store, cameras: dict[str, int]) -> None:
    batch = [read(f"01A{n:03d}BC", minutes=n / 10) for n in range(300)]
    ids = store.reads.ingest(batch)
    assert len(set(ids)) == 300
    with store.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Read)) == 300
    assert store.reads.get(ids[123]).plate == "01A123BC"  # type: ignore[union-attr]


def test_distinct_content_gets_distinct_objects(store: Store, cameras: dict[str, int]) -> None:
    store.reads.ingest(
        [
            read(evidence=[NewEvidence(EvidenceKind.CROP, jpeg(100, 30, seed=5))]),
            read(minutes=1, evidence=[NewEvidence(EvidenceKind.CROP, jpeg(100, 30, seed=6))]),
        ]
    )
    with store.db.read() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceBlob)) == 2


def tiny_mp4() -> bytes:
    """A real two-second MP4 clip, encoded here with PyAV."""
    import io

    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuv420p"
        for n in range(20):
            pixels = np.full((48, 64, 3), n * 10, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def test_clip_evidence_round_trips(store: Store, cameras: dict[str, int]) -> None:
    clip = tiny_mp4()
    (read_id,) = store.reads.ingest([read(evidence=[NewEvidence(EvidenceKind.CLIP, clip)])])
    stored = store.reads.get(read_id)
    assert stored is not None
    (ref,) = stored.evidence
    assert (ref.kind, ref.media_type, ref.size) == (EvidenceKind.CLIP, "video/mp4", len(clip))
    assert store.reads.evidence_bytes(ref.blob_id)[1] == clip

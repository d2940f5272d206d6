"""Bad input: a clear error, and nothing of the batch written."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import event, func, select
from store_testkit import START, StoreEnv, jpeg

from platekeeper.store.errors import InvalidRead, UnknownCamera
from platekeeper.store.facade import Store
from platekeeper.store.models import EvidenceBlob, Read, ReadEvidence
from platekeeper.store.records import NewEvidence, NewRead
from platekeeper.store.types import EvidenceKind


def good(**kw: Any) -> NewRead:
    values: dict[str, Any] = {
        "camera": "TAS-001",
        "captured_at": START - timedelta(minutes=5),
        "plate": "01A123BC",
        "confidence": 0.9,
    }
    values.update(kw)
    return NewRead(**values)


def counts(store: Store) -> tuple[int, int, int]:
    with store.db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Read)) or 0,
            session.scalar(select(func.count()).select_from(EvidenceBlob)) or 0,
            session.scalar(select(func.count()).select_from(ReadEvidence)) or 0,
        )


def evidence_files(data_dir: Path) -> list[Path]:
    root = data_dir / "evidence"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_refused(env: StoreEnv, store: Store, batch: list[NewRead], message: str) -> InvalidRead:
    with pytest.raises(InvalidRead, match=message) as caught:
        store.reads.ingest(batch)
    assert counts(store) == (0, 0, 0)
    assert evidence_files(env.data_dir) == []
    return caught.value


def test_unknown_camera(env: StoreEnv, store: Store, cameras: dict[str, int]) -> None:
    error = assert_refused(env, store, [good(camera="NOPE-9")], "unknown camera")
    assert isinstance(error, UnknownCamera)


def test_disabled_camera(env: StoreEnv, store: Store, cameras: dict[str, int]) -> None:
    store.cameras.set_active(cameras["TAS-001"], False)
    assert_refused(env, store, [good()], "disabled")


@pytest.mark.parametrize(
    ("captured_at", "message"),
    [
        (START + timedelta(hours=2), "in the future"),
        (START - timedelta(days=400), "older than the retention period"),
        (datetime(2026, 3, 10, 11, 0), "time zone"),  # naive on purpose
    ],
)
def test_bad_capture_time(
    env: StoreEnv, store: Store, cameras: dict[str, int], captured_at: datetime, message: str
) -> None:
    assert_refused(env, store, [good(captured_at=captured_at)], message)


@pytest.mark.parametrize(
    ("plate", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("!!!", "only letters and digits"),
        ("01A<script>", "only letters and digits"),
        ("01A\x00123", "only letters and digits"),
        ("Ж123ЖЖ", "no plate alphabet"),
        ("A" * 13, "more than 12"),
        ("1" * 40, "longer than 32"),
    ],
)
def test_invalid_plate(
    env: StoreEnv, store: Store, cameras: dict[str, int], plate: str, message: str
) -> None:
    assert_refused(env, store, [good(plate=plate)], message)


def test_invalid_candidate_and_confidence(
    env: StoreEnv, store: Store, cameras: dict[str, int]
) -> None:
    assert_refused(env, store, [good(candidates=[("01A;DROP", 0.3)])], "only letters")
    assert_refused(env, store, [good(confidence=float("nan"))], "confidence")
    assert_refused(env, store, [good(confidence=1.5)], "confidence")
    assert_refused(env, store, [good(country="uzb")], "country")


def test_oversized_image(env: StoreEnv, cameras: dict[str, int], crop_jpeg: bytes) -> None:
    store = env.open(max_crop_bytes=1000)
    evidence = [NewEvidence(EvidenceKind.CROP, crop_jpeg)]
    assert_refused(env, store, [good(evidence=evidence)], "the limit is 1000")


def test_too_many_pixels(env: StoreEnv, cameras: dict[str, int]) -> None:
    store = env.open(max_image_pixels=100_000)
    buffer = io.BytesIO()
    Image.new("L", (2000, 2000)).save(buffer, "PNG")  # tiny file, 4 MP
    evidence = [NewEvidence(EvidenceKind.FRAME, buffer.getvalue())]
    assert_refused(env, store, [good(evidence=evidence)], "pixels")


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "empty"),
        (b"\x00" * 5000, "not a readable image"),
        (b"GIF89a" + b"\x00" * 100, "not a readable image"),
        (b"<html>not an image</html>", "not a readable image"),
    ],
)
def test_undecodable_image(
    env: StoreEnv, store: Store, cameras: dict[str, int], blob: bytes, message: str
) -> None:
    evidence = [NewEvidence(EvidenceKind.FRAME, blob)]
    assert_refused(env, store, [good(evidence=evidence)], message)


def test_truncated_jpeg(env: StoreEnv, store: Store, cameras: dict[str, int]) -> None:
    data = jpeg(320, 200, seed=9)
    evidence = [NewEvidence(EvidenceKind.FRAME, data[: len(data) // 2])]
    assert_refused(env, store, [good(evidence=evidence)], "damaged or truncated JPEG")


def test_corrupted_png(env: StoreEnv, store: Store, cameras: dict[str, int]) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 10, 10)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[60] ^= 0xFF  # inside the image data: its CRC no longer matches
    evidence = [NewEvidence(EvidenceKind.CROP, bytes(data))]
    assert_refused(env, store, [good(evidence=evidence)], "damaged or truncated PNG")


def test_undecodable_clip(env: StoreEnv, store: Store, cameras: dict[str, int]) -> None:
    evidence = [NewEvidence(EvidenceKind.CLIP, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)]
    assert_refused(env, store, [good(evidence=evidence)], "clip")


def test_evidence_past_its_own_retention(
    env: StoreEnv, store: Store, cameras: dict[str, int], frame_jpeg: bytes
) -> None:
    """A read 10 days old is within the 30-day read policy, its frame is past
    the 7-day frame policy: the sender is told to drop the frame."""
    late = good(
        captured_at=START - timedelta(days=10),
        evidence=[NewEvidence(EvidenceKind.FRAME, frame_jpeg)],
    )
    assert_refused(env, store, [late], "frame is older than its retention period")
    (read_id,) = store.reads.ingest([good(captured_at=START - timedelta(days=10))])
    assert store.reads.get(read_id) is not None


def test_one_bad_read_refuses_the_whole_batch(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes
) -> None:
    batch = [
        good(evidence=[NewEvidence(EvidenceKind.CROP, crop_jpeg)]),
        good(plate="10B777QQ"),
        good(camera="NOPE-9"),
    ]
    error = assert_refused(env, store, batch, "read 2: unknown camera")
    assert error.index == 2


@pytest.fixture
def failing_link_insert(store: Store) -> Iterator[None]:
    """Fault injection at the database boundary: the statement that inserts
    evidence links fails, as a full disk or a lost connection would."""

    def fail(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO READ_EVIDENCE"):
            raise RuntimeError("injected failure")

    event.listen(store.db.engine, "before_cursor_execute", fail)
    yield
    event.remove(store.db.engine, "before_cursor_execute", fail)


@pytest.mark.usefixtures("failing_link_insert")
def test_failure_mid_commit_leaves_no_read_and_no_blob_row(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes
) -> None:
    batch = [good(evidence=[NewEvidence(EvidenceKind.CROP, crop_jpeg)])]
    with pytest.raises(RuntimeError, match="injected"):
        store.reads.ingest(batch)
    assert counts(store) == (0, 0, 0)
    # The object written before the commit is an orphan: no row holds its
    # key, so it cannot be read; the retention job's sweep removes it.
    assert len(evidence_files(env.data_dir)) == 1


def test_store_works_after_refusals(env: StoreEnv, store: Store, cameras: dict[str, int]) -> None:
    with pytest.raises(InvalidRead):
        store.reads.ingest([good(plate="")])
    (read_id,) = store.reads.ingest([good()])
    assert store.reads.get(read_id) is not None

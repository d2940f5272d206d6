"""A camera that drops its stills into a folder: each image is read here,
its plates put into the outbox, and the file moved to ``done/`` (or
``failed/`` with the reason beside it when it cannot be decoded).

A read's idempotency key is derived from the image's bytes and the plate's
place in it, so an image read twice (the agent killed between the outbox and
the move) gives the same keys, and the outbox keeps it once.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2

from platekeeper.edge.outbox import Outbox
from platekeeper.recognition import ImageError, PlateRead, Recognizer
from platekeeper.recognition.imageio import decode_image

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
MAX_FRAME_BYTES = 2 * 1024 * 1024
"""Frames larger than this travel without the full frame (the crop still goes)."""


def new_images(folder: Path) -> Iterator[Path]:
    """Image files waiting in ``folder``, oldest first."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    yield from sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def jpeg_of(image: Any, quality: int = 90) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ImageError("could not encode a JPEG")
    return bytes(encoded)


def read_entry(
    key: str,
    captured_at: datetime,
    plate: PlateRead,
    *,
    frame_jpeg: bytes | None = None,
    clip_mp4: bytes | None = None,
) -> dict[str, Any]:
    """One outbox entry: the ingest JSON of a read with its evidence."""
    read: dict[str, Any] = {
        "idempotency_key": key,
        "captured_at": captured_at.isoformat(),
        "plate": plate.text,
        "confidence": round(float(plate.confidence), 4),
        "candidates": [
            {"text": c.text, "confidence": round(float(c.confidence), 4)}
            for c in plate.candidates[:10]
        ],
        "crop_jpeg": base64.b64encode(jpeg_of(plate.crop)).decode(),
    }
    if plate.country:
        read["country"] = plate.country
    if frame_jpeg is not None and len(frame_jpeg) <= MAX_FRAME_BYTES:
        read["frame_jpeg"] = base64.b64encode(frame_jpeg).decode()
        box = plate_box(plate)
        if box is not None:  # where the windscreen classifier looks, above the plate
            read["plate_box"] = box
    if clip_mp4 is not None:
        read["clip_mp4"] = base64.b64encode(clip_mp4).decode()
    return read


def plate_box(plate: PlateRead) -> dict[str, int] | None:
    """The plate's box in its frame, cut to the frame's edges (a plate at the
    border is partly outside); None when nothing of it is left."""
    x, y, w, h = plate.box
    x0, y0 = max(0, x), max(0, y)
    w, h = x + w - x0, y + h - y0
    if w < 1 or h < 1:
        return None
    return {"x": x0, "y": y0, "w": w, "h": h}


def reads_of_image(
    plates: list[PlateRead], data: bytes, captured_at: datetime, frame: Any
) -> list[dict[str, Any]]:
    """Outbox entries for the plates read in one image."""
    digest = hashlib.sha256(data).hexdigest()[:32]
    frame_jpeg = data if data[:2] == b"\xff\xd8" else jpeg_of(frame)
    return [
        read_entry(f"img-{digest}-{index}", captured_at, plate, frame_jpeg=frame_jpeg)
        for index, plate in enumerate(plates)
    ]


def process_folder(
    folder: Path,
    recognizer: Recognizer,
    outbox: Outbox,
    *,
    countries: list[str] | None = None,
) -> tuple[int, int]:
    """Read every waiting image into the outbox; returns (images done, images failed)."""
    done_dir, failed_dir = folder / "done", folder / "failed"
    done = failed = 0
    for path in new_images(folder):
        data = path.read_bytes()
        try:
            frame = decode_image(data, max_pixels=recognizer.settings.max_pixels)
            plates = recognizer.read(frame, countries=countries)
        except ImageError as exc:
            failed_dir.mkdir(exist_ok=True)
            path.rename(failed_dir / path.name)
            (failed_dir / f"{path.name}.error.txt").write_text(f"{exc}\n")
            logger.warning("could not read %s: %s", path.name, exc)
            failed += 1
            continue
        captured_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        for read in reads_of_image(plates, data, captured_at, frame):
            outbox.put(read)
        done_dir.mkdir(exist_ok=True)
        path.rename(done_dir / path.name)
        done += 1
    return done, failed

"""A camera's video (a file or an RTSP stream) through the agent: sampled
frames, motion-gated recognition, one read per vehicle pass (tracked and
voted), with its best crop and frame and a clip around the pass, into the
outbox.

Capture times count from ``started_at`` (a stream: when it was opened; a
file: its modification time unless told). A pass's idempotency key comes
from the source, its start time and the frame of its best sighting, so
processing the same file again gives the same keys.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from platekeeper.edge.folder import jpeg_of, read_entry
from platekeeper.edge.outbox import Outbox, OutboxFull
from platekeeper.recognition import Recognizer
from platekeeper.video.clip import ClipBuffer
from platekeeper.video.motion import MotionGate
from platekeeper.video.sources import frames
from platekeeper.video.tracker import Pass, PlateTracker

logger = logging.getLogger(__name__)

Roi = tuple[int, int, int, int]
PRE_ROLL = 2.0
POST_ROLL = 1.0


def process_video(
    uri: str,
    recognizer: Recognizer,
    outbox: Outbox,
    *,
    started_at: datetime,
    countries: list[str] | None = None,
    sample_fps: float = 5.0,
    lanes: list[Roi] | None = None,
    rtsp_transport: str = "tcp",
) -> int:
    """Read ``uri`` to its end; returns the number of passes put into the outbox.

    ``lanes`` (``x, y, w, h`` in pixels) limit both motion gating and
    recognition to those regions."""
    source = hashlib.sha256(f"{uri}|{started_at.isoformat()}".encode()).hexdigest()[:16]
    gate: MotionGate | None = None
    tracker = PlateTracker()
    clips = ClipBuffer(fps=sample_fps)
    count = 0

    def keep(found: list[Pass]) -> None:
        nonlocal count
        for p in found:
            best = p.best
            clip = clips.clip(p.first_seconds - PRE_ROLL, p.last_seconds + POST_ROLL)
            entry = read_entry(
                f"vid-{source}-{best.frame}",
                started_at + timedelta(seconds=best.seconds),
                best.read,
                frame_jpeg=jpeg_of(best.image, 85),
                clip_mp4=clip,
            )
            entry["plate"] = p.text
            entry["confidence"] = round(p.confidence, 4)
            try:
                outbox.put(entry)
            except OutboxFull:
                continue  # the outbox raised its alarm; new reads are refused while full
            count += 1

    for frame in frames(uri, sample_fps=sample_fps, rtsp_transport=rtsp_transport):
        if gate is None:
            gate = MotionGate(mask=lane_mask(frame.image.shape[:2], lanes) if lanes else None)
        clips.add(frame.seconds, frame.image)
        moving = gate.moving(frame.image)
        reads = (
            recognizer.read(frame.image, countries=countries, rois=lanes or None) if moving else []
        )
        keep(tracker.update(frame.index, frame.seconds, reads, frame.image))
    keep(tracker.flush())
    logger.info("%d vehicle pass(es) read from the video", count)
    return count


def lane_mask(shape: tuple[int, ...], lanes: list[Roi]) -> npt.NDArray[np.uint8]:
    mask = np.zeros(shape[:2], np.uint8)
    for x, y, w, h in lanes:
        mask[max(0, y) : y + h, max(0, x) : x + w] = 255
    return mask

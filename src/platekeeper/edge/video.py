"""A camera's video (a file or an RTSP stream) through the agent: sampled
frames, motion-gated recognition, one read per vehicle pass (tracked and
voted), with its best crop and frame and a clip around the pass, into the
outbox.

With lanes, each read carries the number of the lane its plate's centre
lies in (1 for the first lane given), which the rules' lane lists match.

With a stop line (a red-light camera), each read also carries its plate's
stop-line track: the offset of every sighting from the line, and the frames
of the two sightings on either side of the crossing (before, at and past the
line for the rule). Only points within ``TRACK_SPAN_S`` of the read's best
sighting travel (the camera door refuses points further from the capture).

Capture times count from ``started_at`` (a stream: when it was opened; a
file: its modification time unless told). A pass's idempotency key comes
from the source, its start time and the frame of its best sighting, so
processing the same file again gives the same keys.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from platekeeper.edge.folder import MAX_FRAME_BYTES, jpeg_of, read_entry
from platekeeper.edge.outbox import Outbox, OutboxFull
from platekeeper.recognition import Recognizer
from platekeeper.video.clip import ClipBuffer
from platekeeper.video.motion import MotionGate
from platekeeper.video.signal_head import PhaseWatcher
from platekeeper.video.sources import frames
from platekeeper.video.stop_line import (
    MAX_OFFSET_M,
    StopLine,
    crossing_index,
    evidence_points,
)
from platekeeper.video.tracker import Pass, PlateTracker

logger = logging.getLogger(__name__)

Roi = tuple[int, int, int, int]
PRE_ROLL = 2.0
POST_ROLL = 1.0
TRACK_SPAN_S = 25.0
MAX_TRACK_POINTS = 64
TRACK_FRAME_QUALITY = 80


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
    stop_line: StopLine | None = None,
    signal: PhaseWatcher | None = None,
    on_phase: Callable[[datetime, str], None] | None = None,
) -> int:
    """Read ``uri`` to its end; returns the number of passes put into the outbox.

    ``lanes`` (``x, y, w, h`` in pixels) limit both motion gating and
    recognition to those regions, and number each read's lane (see
    :func:`lane_of`); ``stop_line`` makes each read carry its
    stop-line track; ``signal`` reads the phase of a signal head in each
    sampled frame and calls ``on_phase`` with each confirmed change."""
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
            lane = lane_of(best.read.box, lanes or [])
            if lane is not None:
                entry["lane"] = lane
            if stop_line is not None:
                track = stop_line_track(p, started_at, stop_line)
                if track:
                    entry["track"] = track
            try:
                outbox.put(entry)
            except OutboxFull:
                continue  # the outbox raised its alarm; new reads are refused while full
            count += 1

    for frame in frames(uri, sample_fps=sample_fps, rtsp_transport=rtsp_transport):
        if gate is None:
            gate = MotionGate(mask=lane_mask(frame.image.shape[:2], lanes) if lanes else None)
        clips.add(frame.seconds, frame.image)
        if signal is not None and on_phase is not None:
            change = signal.update(frame.seconds, frame.image)
            if change is not None:
                on_phase(started_at + timedelta(seconds=change[0]), change[1])
        moving = gate.moving(frame.image)
        reads = (
            recognizer.read(frame.image, countries=countries, rois=lanes or None) if moving else []
        )
        keep(tracker.update(frame.index, frame.seconds, reads, frame.image))
    keep(tracker.flush())
    logger.info("%d vehicle pass(es) read from the video", count)
    return count


def stop_line_track(p: Pass, started_at: datetime, line: StopLine) -> list[dict[str, Any]]:
    """The ingest ``track`` of a pass: its sightings' offsets from the stop
    line, with the frames around the crossing (none when it does not cross)."""
    near = [
        (s, line.offset(s.read.box))
        for s in p.seen
        if abs(s.seconds - p.best.seconds) <= TRACK_SPAN_S
    ]
    near = [(s, offset) for s, offset in near if abs(offset) <= MAX_OFFSET_M]
    if len(near) > MAX_TRACK_POINTS:
        # Keep the points around the crossing (or around the best sighting).
        centre = crossing_index([offset for _s, offset in near])
        if centre is None:
            centre = min(range(len(near)), key=lambda i: abs(near[i][0].seconds - p.best.seconds))
        start = max(0, min(centre - MAX_TRACK_POINTS // 2, len(near) - MAX_TRACK_POINTS))
        near = near[start : start + MAX_TRACK_POINTS]
    framed = set(evidence_points([offset for _s, offset in near]))
    track: list[dict[str, Any]] = []
    for index, (sighting, offset) in enumerate(near):
        point: dict[str, Any] = {
            "at": (started_at + timedelta(seconds=sighting.seconds)).isoformat(),
            "offset_m": round(offset, 2),
        }
        if index in framed:
            frame = jpeg_of(sighting.image, TRACK_FRAME_QUALITY)
            if len(frame) <= MAX_FRAME_BYTES:
                point["frame_jpeg"] = base64.b64encode(frame).decode()
        track.append(point)
    return track


def lane_of(box: Roi, lanes: list[Roi]) -> int | None:
    """The 1-based number of the first lane whose region holds the centre of
    ``box`` (a plate's, in frame pixels), in the order the lanes were given;
    None without lanes or outside them all (lanes may overlap, or leave a
    plate at their edge half out)."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    for number, (lx, ly, lw, lh) in enumerate(lanes, start=1):
        if lx <= cx < lx + lw and ly <= cy < ly + lh:
            return number
    return None


def lane_mask(shape: tuple[int, ...], lanes: list[Roi]) -> npt.NDArray[np.uint8]:
    mask = np.zeros(shape[:2], np.uint8)
    for x, y, w, h in lanes:
        mask[max(0, y) : y + h, max(0, x) : x + w] = 255
    return mask

"""What a junction camera films of a pass: a short clip of the vehicle
driving over the stop line, and stills of it at its stop-line track points.

A junction bank's camera keeps video as well as its stills. For a rendered
capture at a junction the feed sends a clip of the pass (H.264 MP4) with the
read, and when the signal showed red at the crossing — when a red-light
camera is triggered — a still of each point of the read's stop-line track
(before, at and past the line), the evidence the red-light rule names.

Clips are drawn by the road-video renderer (:mod:`platekeeper.sim.render.video`):
the capture's vehicle with its plate, seen from the front under the light of
its capture time, its front over a painted stop line at the middle of the
clip. They are small on purpose (2 s of 640x360 at 10 frames a second,
x264 at CRF 28): a clip costs about a quarter of the CPU of a rendered and
read capture (``bench/junction_clip.py``); the feed still caps how many it
films a second. The clip is drawn for the
evidence, not read: the read comes from the bank's full-resolution still.
A vehicle faster than the view can hold for the track's 1.2 s is drawn
slower than it drove (the track's offsets keep its real speed).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from platekeeper.sim.render.video import VideoOptions, iter_video
from platekeeper.video.encode import write_h264

if TYPE_CHECKING:
    from collections.abc import Iterator

    from numpy.typing import NDArray

    from platekeeper.sim.captures import Capture

CLIP_S = 2.0
CLIP_FPS = 10.0
CLIP_SIZE = (640, 360)
CLIP_CRF = 28
STILL_QUALITY = 85
# The plate spans 6-16 % of the clip's width from the far end of the view to
# the near one: about 60 px at the stop line, legible in a still.
PLATE_SHARE = (0.06, 0.16)
SLOWEST_MPS = 2.5  # a queue moving off on green (the track's 1.5 m a step)


@dataclass(frozen=True)
class PassClip:
    """A pass filmed: the MP4, and a JPEG per stop-line track point of the
    capture (in its order; None where one could not be encoded) when stills
    were asked for."""

    mp4: bytes
    stills: tuple[bytes | None, ...]


def clip_seed(seed: int, capture_id: int) -> int:
    """The renderer's seed for a capture: the same pass is always drawn alike."""
    return int(np.random.default_rng([abs(seed), capture_id, 0xC11B]).integers(0, 2**62))


def pass_options(capture: Capture, plate_format: str, lighting: str) -> VideoOptions:
    """What to film of ``capture``: its vehicle alone, from the front, its
    front over the stop line at the middle of the clip."""
    if capture.plate is None or not capture.stop_line:
        raise ValueError("only a junction capture with a readable plate is filmed")
    width, height = CLIP_SIZE
    return VideoOptions(
        width=width,
        height=height,
        fps=CLIP_FPS,
        seconds=CLIP_S,
        vehicles=1,
        lighting=lighting,
        formats=None,
        plates=((capture.plate, plate_format),),
        crossing_s=CLIP_S / 2,
        plate_width_px=(width * PLATE_SHARE[0], width * PLATE_SHARE[1]),
        view="front",
        speed_mps=(max(capture.speed_kmh / 3.6, SLOWEST_MPS),) * 2,
        crf=CLIP_CRF,
        clutter=False,
    )


def track_frames(capture: Capture) -> list[int]:
    """The clip's frame at each of ``capture``'s stop-line track points."""
    begin, last = capture.ts - CLIP_S / 2, round(CLIP_S * CLIP_FPS) - 1
    return [min(last, max(0, round((p.ts - begin) * CLIP_FPS))) for p in capture.stop_line]


def film_pass(
    capture: Capture, plate_format: str, lighting: str, *, seed: int, stills: bool
) -> PassClip:
    """Film ``capture`` (a junction capture with a readable plate) as
    ``lighting`` shows it; with ``stills``, a JPEG of each track point."""
    options = pass_options(capture, plate_format, lighting)
    width, height = options.width, options.height
    wanted = track_frames(capture) if stills else []
    kept: dict[int, bytes] = {}
    _truth, frames = iter_video(clip_seed(seed, capture.id), options)

    def keeping() -> Iterator[NDArray[np.uint8]]:
        for n, image in enumerate(frames):
            if n in wanted:
                ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, STILL_QUALITY])
                if ok:
                    kept[n] = data.tobytes()
            yield image

    out = io.BytesIO()
    write_h264(out, keeping(), width=width, height=height, fps=CLIP_FPS, crf=CLIP_CRF)
    return PassClip(out.getvalue(), tuple(kept.get(n) for n in wanted))

"""Clips around a vehicle pass, cut from the frames the agent sampled.

The last ``seconds`` of sampled frames are kept JPEG-compressed (a 720p
frame is ~100 KB instead of 2.7 MB raw), and a clip is those between two
times, encoded as H.264 MP4 at the sampling rate. The seed system kept 6-10 s
clips; a pass is usually 1-3 s, so a clip takes a little before and after.
"""

from __future__ import annotations

import io
from collections import deque

import cv2
import numpy as np
import numpy.typing as npt

from platekeeper.video.encode import write_h264


class ClipBuffer:
    def __init__(self, *, seconds: float = 12.0, fps: float = 5.0, quality: int = 80) -> None:
        self.fps = fps
        self.quality = quality
        self._frames: deque[tuple[float, bytes]] = deque(maxlen=max(2, int(seconds * fps) + 1))

    def add(self, seconds: float, image: npt.NDArray[np.uint8]) -> None:
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if ok:
            self._frames.append((seconds, bytes(jpeg)))

    def clip(self, start: float, end: float, *, crf: int = 28) -> bytes | None:
        """MP4 of the kept frames in ``[start, end]``; None when none are kept."""
        chosen = [jpeg for at, jpeg in self._frames if start <= at <= end]
        if not chosen:
            return None
        first = _decode(chosen[0])
        height, width = (first.shape[0] // 2) * 2, (first.shape[1] // 2) * 2
        out = io.BytesIO()
        crop = (np.ascontiguousarray(_decode(j)[:height, :width]) for j in chosen)
        write_h264(out, crop, width=width, height=height, fps=self.fps, crf=crf)
        return out.getvalue()


def _decode(jpeg: bytes) -> npt.NDArray[np.uint8]:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("a kept frame does not decode")
    return np.asarray(image, np.uint8)

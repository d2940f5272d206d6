"""Writing BGR frames as H.264 in MP4 (clips at the edge, rendered videos).

One encoder thread (x264's output depends on the thread count) and explicit
timestamps keep the bitstream identical from run to run. Each frame is
converted at once, which gives it its own buffers: a frame made from a numpy
array only borrows it, and the encoder may read it after the array is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import BinaryIO

import av
import numpy as np
import numpy.typing as npt


def write_h264(
    target: str | BinaryIO,
    frames: Iterable[npt.NDArray[np.uint8]],
    *,
    width: int,
    height: int,
    fps: float,
    crf: int = 23,
    preset: str = "veryfast",
) -> int:
    """Encode ``frames`` (BGR, ``height`` x ``width``, both even) to ``target``;
    returns how many were written."""
    rate = Fraction(fps).limit_denominator(1001)
    count = 0
    with av.open(target, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = 1
        stream.codec_context.options = {"crf": str(crf), "preset": preset}
        for image in frames:
            frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
            frame.pts = count
            frame.time_base = 1 / rate
            for packet in stream.encode(frame):
                container.mux(packet)
            count += 1
        for packet in stream.encode(None):
            container.mux(packet)
    return count

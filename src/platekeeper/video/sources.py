"""Frames from a video file or a stream (RTSP, HTTP), through PyAV.

Frames are sampled to at most ``sample_fps`` by their timestamps, so a 25 or
30 fps camera costs recognition only what the operator chose; the skipped
frames are still decoded (H.264 needs them) but never converted or read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)


class SourceError(RuntimeError):
    """The source cannot be opened or decoded."""


@dataclass(frozen=True, slots=True)
class Frame:
    index: int
    """Position among the source's decoded frames."""
    seconds: float
    """Presentation time from the start of the source."""
    image: npt.NDArray[np.uint8]
    """BGR pixels."""


def frames(uri: str, *, sample_fps: float = 10.0, rtsp_transport: str = "tcp") -> Iterator[Frame]:
    """Sampled frames of ``uri`` (a file path, ``rtsp://…`` or ``http(s)://…``).

    RTSP goes over TCP by default (no frames lost to a lossy link); ``udp``
    for cameras and relays that only speak RTP over UDP."""
    options = {"rtsp_transport": rtsp_transport} if uri.startswith("rtsp") else {}
    try:
        container = av.open(uri, options=options, timeout=10.0)
    except (av.FFmpegError, OSError) as exc:
        raise SourceError(f"cannot open {uri}: {exc}") from exc
    with container:
        if not container.streams.video:
            raise SourceError(f"{uri} has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        step = 1.0 / sample_fps if sample_fps > 0 else 0.0
        next_at = 0.0
        live = uri.startswith(("rtsp://", "rtsps://", "http://", "https://"))
        index = -1
        try:
            for index, frame in enumerate(container.decode(stream)):
                seconds = float(frame.time) if frame.time is not None else index / 25.0
                if seconds + 1e-6 < next_at:
                    continue
                next_at = seconds + step
                yield Frame(index, seconds, np.asarray(frame.to_ndarray(format="bgr24"), np.uint8))
        except av.FFmpegError as exc:
            if live and index >= 0:
                # A stream that stops after it played has ended, not failed:
                # the caller decides whether to connect again.
                logger.warning("the stream ended after %d frames: %s", index + 1, exc)
                return
            raise SourceError(f"decoding {uri} failed: {exc}") from exc

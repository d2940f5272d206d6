"""The signal phase read from a signal head in rendered road frames: a
housing with three lamps drawn onto a frame of the simulated road, one lamp
lit, through JPEG or H.264 as a camera would deliver it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from platekeeper.sim.render.video import VideoOptions, iter_video
from platekeeper.video.encode import write_h264
from platekeeper.video.signal_head import PhaseWatcher, SignalHead

Image = npt.NDArray[np.uint8]
HOUSING = (560, 20, 40, 110)  # x, y, w, h
HEAD = SignalHead((555, 15, 50, 120))
LIT = {"red": (40, 40, 255), "amber": (0, 170, 255), "green": (140, 255, 40)}  # BGR
DIM = {"red": (25, 25, 60), "amber": (20, 45, 60), "green": (40, 60, 25)}


def road(lighting: str = "day", n: int = 1) -> list[Image]:
    seconds = max(n, 2) / 10
    options = VideoOptions(
        width=640, height=360, fps=10, seconds=seconds, vehicles=0, lighting=lighting
    )
    _truth, frames = iter_video(5, options)
    return [frame.copy() for frame in frames][:n]


def with_head(frame: Image, lit: set[str]) -> Image:
    """The frame with a signal head, the ``lit`` lamps on (a glow around them)."""
    out = frame.copy()
    x, y, w, h = HOUSING
    cv2.rectangle(out, (x, y), (x + w, y + h), (30, 30, 30), -1)
    glow = np.zeros_like(out)
    for k, colour in enumerate(("red", "amber", "green")):
        centre = (x + w // 2, y + 18 + 37 * k)
        cv2.circle(out, centre, 13, DIM[colour], -1)
        if colour in lit:
            cv2.circle(glow, centre, 16, LIT[colour], -1)
            cv2.circle(out, centre, 13, LIT[colour], -1)
    glow = cv2.GaussianBlur(glow, (0, 0), 4)
    return np.maximum(out, glow)


def jpeg_round_trip(frame: Image) -> Image:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


@pytest.mark.parametrize("lighting", ["day", "night"])
def test_the_lit_lamp_gives_the_phase(lighting: str) -> None:
    (frame,) = road(lighting)
    assert HEAD.phase(jpeg_round_trip(frame)) is None  # no head drawn: nothing lit there
    for lit, phase in (
        ({"red"}, "red"),
        ({"amber"}, "amber"),
        ({"green"}, "green"),
        ({"red", "amber"}, "red"),  # "get ready" is still red
        (set(), None),  # a dark head is unknown, never a phase
    ):
        assert HEAD.phase(jpeg_round_trip(with_head(frame, lit))) == phase, lit


def test_a_region_outside_the_frame_reads_nothing_and_bad_regions_are_refused() -> None:
    (frame,) = road()
    assert SignalHead((2000, 10, 40, 100)).phase(with_head(frame, {"red"})) is None
    for text in ("1,2,3", "1,2,3,x", "1.5,2,40,100"):
        with pytest.raises(ValueError, match="x,y,w,h"):
            SignalHead.parse(text)
    with pytest.raises(ValueError, match="at least 4 pixels"):
        SignalHead.parse("10,10,2,100")


def test_changes_are_confirmed_by_two_frames_and_timed_at_the_first() -> None:
    (frame,) = road()
    shown = {name: with_head(frame, {name}) for name in ("red", "amber", "green")}
    watcher = PhaseWatcher(HEAD)
    sequence = ["green", "green", "red", "green", "amber", "amber", "red", "red", "red"]
    changes = [watcher.update(0.1 * n, shown[name]) for n, name in enumerate(sequence)]
    found = [(round(c[0], 1), c[1]) for c in changes if c is not None]
    assert found == [(0.0, "green"), (0.4, "amber"), (0.6, "red")]  # the lone red: a glitch


def test_the_agent_reads_phase_changes_from_a_video(tmp_path: Path) -> None:
    from platekeeper.edge.outbox import Outbox
    from platekeeper.edge.video import process_video
    from platekeeper.recognition import RecognitionSettings, Recognizer

    frames = road(n=20)
    # Green for 0.8 s, amber 0.4 s, then red; H.264 as a camera sends it.
    phases = ["green"] * 8 + ["amber"] * 4 + ["red"] * 8
    video = tmp_path / "junction.mp4"
    out = io.BytesIO()
    write_h264(
        out,
        (with_head(f, {p}) for f, p in zip(frames, phases, strict=True)),
        width=640,
        height=360,
        fps=10,
    )
    video.write_bytes(out.getvalue())
    started = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    seen: list[tuple[datetime, str]] = []
    passes = process_video(
        str(video),
        Recognizer(RecognitionSettings(countries=("UZ",))),
        Outbox(tmp_path / "outbox"),
        started_at=started,
        sample_fps=10,
        signal=PhaseWatcher(HEAD),
        on_phase=lambda at, phase: seen.append((at, phase)),
    )
    assert passes == 0  # an empty road
    assert [p for _at, p in seen] == ["green", "amber", "red"]
    offsets = [(at - started) / timedelta(seconds=1) for at, _p in seen]
    assert offsets[0] == pytest.approx(0.0, abs=0.05)
    assert offsets[1] == pytest.approx(0.8, abs=0.15)
    assert offsets[2] == pytest.approx(1.2, abs=0.15)

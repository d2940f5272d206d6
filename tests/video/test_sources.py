"""Frame sources and motion gating on a rendered H.264 road video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from platekeeper.sim.render.video import VideoOptions, render_video
from platekeeper.video.motion import MotionGate
from platekeeper.video.sources import SourceError, frames


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "road.mp4"
    render_video(path, 5, VideoOptions(width=640, height=360, seconds=2.0, vehicles=2))
    return path


def test_frames_are_sampled_by_time(video: Path) -> None:
    every = list(frames(str(video), sample_fps=0))
    assert len(every) == 50
    assert every[0].image.shape == (360, 640, 3)
    five = list(frames(str(video), sample_fps=5))
    assert len(five) == 10
    assert [f.index for f in five] == list(range(0, 50, 5))
    assert five[1].seconds == pytest.approx(0.2, abs=1e-3)


def test_a_broken_source_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    with pytest.raises(SourceError):
        list(frames(str(junk)))
    with pytest.raises(SourceError):
        list(frames(str(tmp_path / "missing.mp4")))


def test_motion_gate_ignores_a_still_road_and_sees_a_car(video: Path) -> None:
    first = next(frames(str(video), sample_fps=1)).image
    gate = MotionGate()
    assert gate.moving(first)  # the first frame is always looked at
    for _ in range(5):
        assert not gate.moving(first.copy())
    moved = first.copy()
    moved[100:200, 200:320] = 255 - moved[100:200, 200:320]
    assert gate.moving(moved)
    masked = MotionGate(mask=np.zeros(first.shape[:2], np.uint8))
    masked.moving(first)
    assert not masked.moving(moved), "motion outside the lanes does not count"

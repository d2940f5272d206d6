"""Synthetic road video: decodes with the frame count of its ground truth, is
reproducible by seed, and every vehicle's plate is in view for a while."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from platekeeper.sim.render import VideoOptions, iter_video, render_video

OPTS = VideoOptions(width=480, height=272, fps=12.0, seconds=3.0, vehicles=2, lighting="day")


def test_video_decodes_with_the_right_frame_count(tmp_path: Path) -> None:
    path = tmp_path / "road.mp4"
    truth = render_video(path, 3, OPTS)
    assert truth.frame_count == 36 == OPTS.frame_count
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(frames) == truth.frame_count
    assert frames[0].shape == (272, 480, 3)
    assert len(truth.vehicles) == 2
    for v in truth.vehicles:
        assert plate_ok(v.format, v.text)
        assert len(v.visible_frames) >= 3, v
        frames_seen = [p.frame for p in v.points]
        assert frames_seen == sorted(frames_seen)
        assert all(0 <= f < truth.frame_count for f in frames_seen)
        # The plate moves through the frame.
        ys = [float(p.quad[:, 1].mean()) for p in v.points]
        assert max(ys) - min(ys) > 40


def plate_ok(fmt: str, text: str) -> bool:
    from platekeeper.sim.render import plate_formats

    return plate_formats()[fmt].matches(text)


def test_same_seed_same_video(tmp_path: Path) -> None:
    a = render_video(tmp_path / "a.mp4", 8, OPTS)
    b = render_video(tmp_path / "b.mp4", 8, OPTS)
    assert [v.text for v in a.vehicles] == [v.text for v in b.vehicles]
    for va, vb in zip(a.vehicles, b.vehicles, strict=True):
        assert va.visible_frames == vb.visible_frames
        assert all(
            np.array_equal(p.quad, q.quad) for p, q in zip(va.points, vb.points, strict=True)
        )
    # The rendered frames are identical; the H.264 bitstream is x264's and is
    # compared by decoding (x264 may differ in a few bits from run to run).
    _, f1 = iter_video(8, OPTS)
    _, f2 = iter_video(8, OPTS)
    for x, y in zip(f1, f2, strict=True):
        assert np.array_equal(x, y)
    da, db = _decode(tmp_path / "a.mp4"), _decode(tmp_path / "b.mp4")
    assert len(da) == len(db)
    for x, y in zip(da, db, strict=True):
        assert np.abs(x.astype(np.int16) - y.astype(np.int16)).mean() < 1.5
    _, f3 = iter_video(9, OPTS)
    _, f4 = iter_video(8, OPTS)
    assert not np.array_equal(next(f3), next(f4))


def _decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def test_video_options_are_validated() -> None:
    with pytest.raises(ValueError, match="even"):
        VideoOptions(width=481)
    with pytest.raises(ValueError, match="fps"):
        VideoOptions(fps=0)
    with pytest.raises(ValueError, match="unknown plate format"):
        render_video("/nonexistent/x.mp4", 1, VideoOptions(formats=("nope",)))

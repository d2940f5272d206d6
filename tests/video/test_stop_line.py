"""The stop line in the image and the stop-line track an edge agent sends."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import numpy as np
import pytest

from platekeeper.edge.video import MAX_TRACK_POINTS, stop_line_track
from platekeeper.recognition.types import PlateRead
from platekeeper.video.stop_line import StopLine, crossing_index, evidence_points
from platekeeper.video.tracker import Pass, Sighting

LINE = StopLine((0.0, 300.0), (1280.0, 300.0), (640.0, 0.0), metres_per_pixel=0.02)
STARTED = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def test_offsets_are_negative_on_the_approach_side_and_scaled() -> None:
    # The middle of the box's lower edge counts: y + h.
    assert LINE.offset((600, 250, 100, 30)) == pytest.approx(-0.4)
    assert LINE.offset((600, 300, 100, 30)) == pytest.approx(0.6)
    other_way = StopLine((0.0, 300.0), (1280.0, 300.0), (640.0, 700.0))
    assert other_way.offset((600, 250, 100, 30)) == pytest.approx(0.2)
    slanted = StopLine.parse("0,0,100,100", "100,0")
    assert slanted.offset((0, 90, 0, 10)) > 0  # below the diagonal: past it


@pytest.mark.parametrize(
    ("line", "approach", "scale", "problem"),
    [
        ("0,1,2", "0,0", 0.01, "X1,Y1,X2,Y2"),
        ("0,1,2,x", "0,0", 0.01, "X1,Y1,X2,Y2"),
        ("0,0,10,10", "5", 0.01, "X,Y"),
        ("5,5,5,5", "0,0", 0.01, "two distinct points"),
        ("0,0,10,10", "5,5", 0.01, "on the stop line"),
        ("0,0,10,0", "5,5", 0.0, "metres per pixel"),
        ("0,0,10,0", "5,5", float("nan"), "metres per pixel"),
    ],
)
def test_bad_stop_lines_are_refused(line: str, approach: str, scale: float, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        StopLine.parse(line, approach, scale)


def test_the_frames_to_send_surround_the_crossing() -> None:
    offsets = [-5.0, -3.0, -1.0, 0.5, 2.0, 4.0]
    assert crossing_index(offsets) == 3
    assert evidence_points(offsets) == [1, 2, 3, 4]
    assert evidence_points([-1.0, 1.0]) == [0, 1]
    assert evidence_points([-3.0, -2.0, -2.0]) == []  # stopped before the line
    assert evidence_points([1.0, 2.0]) == []  # only seen past it


def sighting(frame: int, seconds: float, y: float, seed: int) -> Sighting:
    quad = ((600.0, y), (700.0, y), (700.0, y + 25), (600.0, y + 25))
    image = np.random.default_rng(seed).integers(0, 255, (90, 160, 3), dtype=np.uint8)
    read = PlateRead("01A123BC", 0.95, (), quad, "UZ", "uz", False, image[:10, :40])
    return Sighting(frame, seconds, read, image)


def a_pass(seen: list[Sighting]) -> Pass:
    best = seen[len(seen) // 2]
    return Pass(
        "01A123BC", 0.9, {}, best, seen[0].seconds, seen[-1].seconds, len(seen), tuple(seen)
    )


def test_a_pass_sends_its_track_with_frames_around_the_crossing() -> None:
    # Bottom edge from 200 to 390 px: crosses y=300 between the 4th and 5th sighting.
    seen = [sighting(n, n * 0.2, 175.0 + 25 * n, seed=n) for n in range(8)]
    track = stop_line_track(a_pass(seen), STARTED, LINE)
    assert [p["offset_m"] for p in track] == [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
    framed = [n for n, p in enumerate(track) if "frame_jpeg" in p]
    assert framed == [2, 3, 4, 5]
    assert base64.b64decode(track[4]["frame_jpeg"])[:3] == b"\xff\xd8\xff"
    assert track[1]["at"] == "2026-05-01T08:00:00.200000+00:00"


def test_a_pass_that_does_not_cross_sends_no_frames() -> None:
    seen = [sighting(n, n * 0.2, 100.0 + 5 * n, seed=n) for n in range(5)]
    track = stop_line_track(a_pass(seen), STARTED, LINE)
    assert len(track) == 5
    assert not any("frame_jpeg" in p for p in track)


def test_a_long_pass_keeps_the_points_around_the_crossing_within_the_span() -> None:
    # A vehicle seen for 80 s (queueing, then going): 400 sightings, the best
    # at 40 s, the crossing at 60 s; the door takes at most 64 points, all
    # within 30 s of the capture.
    seen = [sighting(n, n * 0.2, 100.0 + n * 175 / 300, seed=n % 7) for n in range(400)]
    crossing = next(n for n, s in enumerate(seen) if s.read.box[1] + s.read.box[3] >= 300)
    assert 295 <= crossing <= 301
    track = stop_line_track(a_pass(seen), STARTED, LINE)
    assert len(track) == MAX_TRACK_POINTS
    offsets = [p["offset_m"] for p in track]
    assert crossing_index(offsets) is not None
    assert sum("frame_jpeg" in p for p in track) == 4
    best = STARTED.timestamp() + seen[200].seconds
    assert all(abs(datetime.fromisoformat(p["at"]).timestamp() - best) <= 25 for p in track)
    crossed_at = STARTED.timestamp() + seen[crossing].seconds
    framed = [datetime.fromisoformat(p["at"]).timestamp() for p in track if "frame_jpeg" in p]
    assert framed[1] < crossed_at <= framed[2]

"""Tracking plates across frames: one pass per vehicle, the text voted, a
partial reading joined to its plate, a lone unsure sighting dropped."""

from __future__ import annotations

import numpy as np

from platekeeper.recognition.types import Candidate, PlateRead
from platekeeper.video.tracker import PlateTracker, passes_of

IMAGE = np.zeros((720, 1280, 3), np.uint8)


def plate(
    text: str, x: float, y: float, conf: float = 0.9, fmt: str | None = "uz-private"
) -> PlateRead:
    w, h = 100.0, 25.0
    quad = ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
    return PlateRead(
        text=text,
        confidence=conf,
        candidates=(Candidate(text, conf, fmt),),
        quad=quad,  # type: ignore[arg-type]
        country="UZ" if fmt else None,
        format=fmt,
        two_line=False,
        crop=np.zeros((25, 100, 3), np.uint8),
    )


def run(frames: list[list[PlateRead]], fps: float = 5.0) -> list:  # type: ignore[type-arg]
    return list(passes_of((i, i / fps, IMAGE, reads) for i, reads in enumerate(frames)))


def test_one_pass_per_vehicle_with_the_voted_text() -> None:
    frames = [
        [plate("01A123BC", 500, 50, 0.80)],
        [plate("01A123BC", 505, 110, 0.92)],
        [plate("01A128BC", 510, 180, 0.70)],  # a misread in the middle of the pass
        [plate("01A123BC", 515, 260, 0.95)],
        [],
        [],
        [],
        [],
        [],
        [],
    ]
    (only,) = run(frames)
    assert only.text == "01A123BC"
    assert only.sightings == 4
    assert only.best.read.confidence == 0.95
    assert only.first_seconds == 0.0
    assert only.last_seconds == 0.6
    assert set(only.votes) == {"01A123BC", "01A128BC"}


def test_a_partial_reading_joins_its_plate_across_a_jump() -> None:
    frames = [
        [plate("50U266TB", 420, 7, 0.98)],
        [plate("U266TB", 410, 19, 0.88, fmt=None)],
        [],
        [plate("50U266TB", 384, 103, 0.95)],
        [plate("50U260TB", 358, 202, 0.8)],
    ]
    (only,) = run(frames)
    assert only.text == "50U266TB"
    assert only.sightings == 4


def test_two_vehicles_side_by_side_stay_apart() -> None:
    frames = [
        [plate("01A123BC", 200, 100 + 60 * i), plate("30B456CD", 900, 80 + 70 * i)]
        for i in range(4)
    ]
    found = sorted(p.text for p in run(frames))
    assert found == ["01A123BC", "30B456CD"]


def test_the_same_plate_after_a_long_gap_is_a_new_pass() -> None:
    tracker = PlateTracker(max_gap=1.0)
    assert tracker.update(0, 0.0, [plate("01A123BC", 500, 300)], IMAGE) == []
    closed = tracker.update(10, 2.5, [plate("01A123BC", 500, 300)], IMAGE)
    assert [p.text for p in closed] == ["01A123BC"]
    (second,) = tracker.flush()
    assert second.first_seconds == 2.5


def test_a_lone_unsure_sighting_is_not_a_pass() -> None:
    assert run([[plate("BUXORO", 100, 100, 0.7, fmt=None)], [], [], [], [], [], [], []]) == []
    (sure,) = run([[plate("01A123BC", 100, 100, 0.97)]])
    assert sure.text == "01A123BC"

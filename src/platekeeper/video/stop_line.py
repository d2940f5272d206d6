"""A red-light camera's stop line in the image, and where a tracked plate
stands relative to it.

The line is drawn by the operator where plates cross it (at plate height:
a plate rides about half a metre above the road, so the line in the image
sits a little beyond the painted one as seen from a camera above the road).
A plate's position is the middle of its box's lower edge. Its offset is the
signed distance from the line, negative on the side vehicles come from,
scaled to metres by a rough figure: the red-light rule only needs the sign
and the order of the offsets, so a figure within a factor of two is enough
for the evidence to read sensibly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]

MAX_OFFSET_M = 1000.0
"""Offsets beyond this are not sent (the camera door refuses them)."""


def signed_distance(line: tuple[Point, Point], approach_side: Point, x: float, y: float) -> float:
    """Distance in pixels of ``(x, y)`` from ``line``, negative on the side
    of ``approach_side`` (any image point where vehicles come from)."""
    (x1, y1), (x2, y2) = line
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    if length == 0:
        raise ValueError("the stop line needs two distinct points")

    def side(px: float, py: float) -> float:
        return (dx * (py - y1) - dy * (px - x1)) / length

    approach = side(*approach_side)
    if approach == 0:
        raise ValueError("the approach point lies on the stop line")
    return side(x, y) * (-1.0 if approach > 0 else 1.0)


@dataclass(frozen=True)
class StopLine:
    """The stop line of one camera's approach, in image pixels."""

    a: Point
    b: Point
    approach: Point
    metres_per_pixel: float = 0.01

    def __post_init__(self) -> None:
        if not (math.isfinite(self.metres_per_pixel) and 0 < self.metres_per_pixel <= 1):
            raise ValueError("metres per pixel must be above 0 and at most 1")
        signed_distance((self.a, self.b), self.approach, *self.a)  # checks the geometry

    @classmethod
    def parse(cls, line: str, approach: str, metres_per_pixel: float = 0.01) -> StopLine:
        """From ``X1,Y1,X2,Y2`` and ``X,Y`` (pixels); ``ValueError`` naming the problem."""
        ends = _numbers(line, 4, "the stop line is X1,Y1,X2,Y2 in pixels")
        side = _numbers(approach, 2, "the approach point is X,Y in pixels")
        return cls((ends[0], ends[1]), (ends[2], ends[3]), (side[0], side[1]), metres_per_pixel)

    def offset(self, box: Sequence[float]) -> float:
        """Metres past the line of a plate with box ``(x, y, w, h)``."""
        x, y, w, h = (float(v) for v in box)
        pixels = signed_distance((self.a, self.b), self.approach, x + w / 2, y + h)
        return pixels * self.metres_per_pixel


def crossing_index(offsets: Sequence[float]) -> int | None:
    """Index of the first offset at or past the line after one before it
    (offsets in time order); None when the track does not cross."""
    for i in range(1, len(offsets)):
        if offsets[i - 1] < 0 <= offsets[i]:
            return i
    return None


def evidence_points(offsets: Sequence[float], per_side: int = 2) -> list[int]:
    """The points whose frames to send: ``per_side`` on each side of the
    crossing, so that the rule finds a frame before, at and past the line
    whichever of them is nearest the crossing instant; none without one."""
    at = crossing_index(offsets)
    if at is None:
        return []
    return list(range(max(0, at - per_side), min(len(offsets), at + per_side)))


def _numbers(text: str, count: int, problem: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(problem) from None
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise ValueError(problem)
    return values

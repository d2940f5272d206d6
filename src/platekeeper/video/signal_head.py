"""The phase of a signal head read from the video: the colour of its lit lamp.

For a junction whose controller cannot report its phases, the red-light
camera itself watches the signal head: the operator gives the head's region
in the image (``x, y, w, h``, the housing with its lamps). In that region a
lit lamp is a patch of bright, saturated colour; the phase is the colour
(red, amber or green) that covers at least ``min_lit`` of the region, and
when none does (a dark head, glare, a vehicle in front) it is unknown —
never guessed, because the red-light rule treats an unknown phase as no
evidence. Red with amber (the European "get ready") counts as red: the
vehicle must still stop.

:class:`PhaseWatcher` turns the per-frame readings into phase changes,
each confirmed by ``confirm`` consecutive readings, so one odd frame (a
flash, a bird) does not flip the timeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Roi = tuple[int, int, int, int]

# OpenCV hue runs 0-179. Red wraps around 0; amber lamps sit near 20-35
# (sodium-like orange to yellow), green and its blue-green LED near 40-95.
_HUES = {
    "red": ((0, 10), (165, 179)),
    "amber": ((14, 36),),
    "green": ((40, 95),),
}


@dataclass(frozen=True)
class SignalHead:
    """Where a signal head is in the image and how lit a lamp must look."""

    region: Roi
    min_lit: float = 0.01
    """Share of the region's pixels a lit lamp covers at least."""
    min_value: int = 170
    """Brightness (0-255) of a lit lamp's pixels."""
    min_saturation: int = 90

    def __post_init__(self) -> None:
        x, y, w, h = self.region
        if x < 0 or y < 0 or w < 4 or h < 4:
            raise ValueError("the signal head region is x,y,w,h with w and h at least 4 pixels")
        if not 0 < self.min_lit < 1:
            raise ValueError("min_lit is a share between 0 and 1")

    @classmethod
    def parse(cls, text: str) -> SignalHead:
        try:
            values = [float(part) for part in text.split(",")]
        except ValueError:
            values = []
        if len(values) != 4 or not all(math.isfinite(v) and v == int(v) for v in values):
            raise ValueError("the signal head region is x,y,w,h in whole pixels")
        x, y, w, h = (int(v) for v in values)
        return cls((x, y, w, h))

    def phase(self, frame: npt.NDArray[np.uint8]) -> str | None:
        """``red``, ``amber`` or ``green``, or None when no lamp is clearly lit."""
        x, y, w, h = self.region
        patch = frame[y : y + h, x : x + w]
        if patch.shape[0] < 4 or patch.shape[1] < 4:
            return None  # the region is outside this frame
        hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV)
        hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
        lit = (val >= self.min_value) & (sat >= self.min_saturation)
        total = lit.size
        shares = {}
        for colour, bands in _HUES.items():
            inside = np.zeros_like(lit)
            for lo, hi in bands:
                inside |= (hue >= lo) & (hue <= hi)
            shares[colour] = float(np.count_nonzero(lit & inside)) / total
        if shares["red"] >= self.min_lit:
            return "red"  # red alone, or red with amber
        best = max(("amber", "green"), key=lambda c: shares[c])
        return best if shares[best] >= self.min_lit else None


class PhaseWatcher:
    """Phase changes from per-frame readings of one head."""

    def __init__(self, head: SignalHead, *, confirm: int = 2) -> None:
        if confirm < 1:
            raise ValueError("confirm is at least 1")
        self.head = head
        self.confirm = confirm
        self.current: str | None = None
        self._candidate: str | None = None
        self._since: float = 0.0
        self._count = 0

    def update(self, seconds: float, frame: npt.NDArray[np.uint8]) -> tuple[float, str] | None:
        """Feed one frame at ``seconds``; returns ``(seconds, phase)`` when a
        new phase is confirmed, timed at the first frame that showed it: at
        or after the real change, so a red is never dated earlier than it was."""
        seen = self.head.phase(frame)
        if seen is None or seen == self.current:
            self._candidate, self._count = None, 0
            return None
        if seen != self._candidate:
            self._candidate, self._since, self._count = seen, seconds, 0
        self._count += 1
        if self._count < self.confirm:
            return None
        self.current, self._candidate, self._count = seen, None, 0
        return self._since, seen

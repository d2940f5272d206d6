"""Blurring what a driver must not see: other vehicles' plates and faces.

A driver shown their own violation sees the frame with every face and
every plate but their own blurred. Faces are found with the Haar cascade
that OpenCV 4.x ships; plates with the recognition engine (a plate whose
reading is the driver's stays sharp, every other plate found is blurred).
What cannot be found cannot be blurred: so the page also shows the plate
crop alone, and the frame only when the blurring ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
import numpy.typing as npt

from platekeeper.recognition.text import normalise_plate
from platekeeper.recognition.types import PlateRead

Image = npt.NDArray[np.uint8]
_FACES: cv2.CascadeClassifier | None = None


def _faces() -> cv2.CascadeClassifier:
    global _FACES  # noqa: PLW0603 (one classifier per process; loading it costs)
    if _FACES is None:
        _FACES = cv2.CascadeClassifier(
            cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        )
    return _FACES


def _blur(image: Image, box: tuple[int, int, int, int], pad: float = 0.15) -> None:
    x, y, w, h = box
    height, width = image.shape[:2]
    dx, dy = int(w * pad), int(h * pad)
    x0, y0 = max(0, x - dx), max(0, y - dy)
    x1, y1 = min(width, x + w + dx), min(height, y + h + dy)
    if x1 <= x0 or y1 <= y0:
        return
    region = image[y0:y1, x0:x1]
    k = max(15, (max(x1 - x0, y1 - y0) // 3) | 1)
    image[y0:y1, x0:x1] = cv2.GaussianBlur(region, (k, k), 0)


def redact(
    image: Image, own_plate: str, find_plates: Callable[[Image], Sequence[PlateRead]]
) -> tuple[Image, int, int]:
    """A copy of ``image`` with faces and other plates blurred: (image, faces, plates)."""
    out = image.copy()
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    faces = _faces().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
    for x, y, w, h in faces:
        _blur(out, (int(x), int(y), int(w), int(h)))
    own = normalise_plate(own_plate)
    blurred = 0
    for plate in find_plates(image):
        if normalise_plate(plate.text) == own:
            continue
        _blur(out, plate.box)
        blurred += 1
    return out, len(faces), blurred

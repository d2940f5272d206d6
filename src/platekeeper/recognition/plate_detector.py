"""platekeeper's own plate detector: a small network that finds plates, not text.

It looks at a reduced copy of the frame (the longest side at most
``max_side`` pixels) and returns, for every plate, two quadrilaterals in the
original image's pixels: the plate itself and the block of characters of its
registration (both lines of a two-line plate) — the part OCR reads. Working
on a reduced copy is what makes 4K frames affordable: OCR then reads the
characters from the full-resolution frame.

The network was trained here on rendered scenes (``training/train_detector.py``);
its weights are committed and pinned by SHA-256 in ``models.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from platekeeper.recognition.imageio import as_image
from platekeeper.recognition.models import PLATE_DETECTOR, open_session
from platekeeper.recognition.types import Image

STRIDE = 8
Points = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Detection:
    plate: Points
    """4x2 corners of the plate (TL, TR, BR, BL), image pixels."""
    text: Points
    """4x2 corners of the registration's characters, image pixels."""
    score: float


class PlateDetector:
    """Finds plates in a BGR image. Thread-safe."""

    def __init__(self, threads: int = 0, max_side: int = 640) -> None:
        self.session = open_session(PLATE_DETECTOR, threads)
        self.max_side = max_side

    def detect(
        self, image: Image, *, threshold: float = 0.3, max_side: int | None = None
    ) -> list[Detection]:
        h, w = image.shape[:2]
        limit = max_side or self.max_side
        ratio = min(1.0, limit / max(h, w))
        rw, rh = max(32, round(w * ratio)), max(32, round(h * ratio))
        resized = (
            image
            if (rw, rh) == (w, h)
            else cv2.resize(image, (rw, rh), interpolation=cv2.INTER_AREA)
        )
        tensor = prepare(as_image(resized))
        (out,) = self.session.run(None, {"x": tensor})
        detections = decode(out[0], threshold)
        sx, sy = w / rw, h / rh
        scale = np.array([sx, sy], dtype=np.float32)
        return [Detection(d.plate * scale, d.text * scale, d.score) for d in detections]


def prepare(image: Image) -> npt.NDArray[np.float32]:
    """BGR uint8 → normalised RGB tensor padded to a multiple of 32 (1x3xHxW)."""
    h, w = image.shape[:2]
    ph, pw = -(-h // 32) * 32, -(-w // 32) * 32
    tensor = np.zeros((1, 3, ph, pw), dtype=np.float32)
    rgb = image[:, :, ::-1].astype(np.float32)
    tensor[0, :, :h, :w] = ((rgb - 127.5) / 64.0).transpose(2, 0, 1)
    return tensor


def decode(out: npt.NDArray[np.float32], threshold: float) -> list[Detection]:
    """Peaks of the heat map with their regressed corners (network-input pixels)."""
    heat = 1.0 / (1.0 + np.exp(-out[0]))
    peaks = (heat == cv2.dilate(heat, np.ones((3, 3), np.uint8))) & (heat >= threshold)
    detections = []
    for y, x in zip(*np.nonzero(peaks), strict=True):
        centre = np.array([(x + 0.5) * STRIDE, (y + 0.5) * STRIDE], dtype=np.float32)
        plate = centre + out[1:9, y, x].reshape(4, 2) * STRIDE
        text = centre + out[9:17, y, x].reshape(4, 2) * STRIDE
        detections.append(
            Detection(plate.astype(np.float32), text.astype(np.float32), float(heat[y, x]))
        )
    detections.sort(key=lambda d: d.score, reverse=True)
    return _suppress(detections)


def _suppress(detections: list[Detection], overlap: float = 0.3) -> list[Detection]:
    kept: list[Detection] = []
    for det in detections:
        box = _box(det.plate)
        if all(_iou(box, _box(k.plate)) < overlap for k in kept):
            kept.append(det)
    return kept


def _box(quad: Points) -> tuple[float, float, float, float]:
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0

"""What recognition returns: one ``PlateRead`` per plate found in an image."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
"""A BGR (H, W, 3) uint8 image, as OpenCV holds it."""

Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]
"""Four corners in image pixels: top-left, top-right, bottom-right, bottom-left."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One possible reading of a plate and the engine's confidence in it (0–1)."""

    text: str
    confidence: float
    format: str | None = None


@dataclass(frozen=True, slots=True)
class PlateRead:
    """A plate found in an image and read.

    ``text`` is the canonical form (upper-case A–Z and 0–9, no separators);
    ``display`` is the same text laid out as the matched format prints it
    (for example ``01 A 123 BC``). ``country`` and ``format`` are ``None`` when
    no configured syntax fits; the read is then reported as the OCR saw it.
    """

    text: str
    confidence: float
    candidates: tuple[Candidate, ...]
    quad: Quad
    country: str | None
    format: str | None
    two_line: bool
    crop: Image = field(repr=False, compare=False)
    display: str = ""
    raw_text: str = ""

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Axis-aligned bounding box ``(x, y, w, h)`` of the quadrilateral."""
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        x0, y0 = int(np.floor(min(xs))), int(np.floor(min(ys)))
        return x0, y0, int(np.ceil(max(xs))) - x0, int(np.ceil(max(ys))) - y0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (without the crop pixels)."""
        return {
            "text": self.text,
            "display": self.display or self.text,
            "confidence": round(self.confidence, 4),
            "country": self.country,
            "format": self.format,
            "two_line": self.two_line,
            "quad": [[round(x, 1), round(y, 1)] for x, y in self.quad],
            "box": list(self.box),
            "candidates": [
                {"text": c.text, "confidence": round(c.confidence, 4), "format": c.format}
                for c in self.candidates
            ],
        }

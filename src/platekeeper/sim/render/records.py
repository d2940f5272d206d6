"""The records the renderer hands back: a plate image, a scene with its ground
truth, an OCR crop. Coordinates are pixels, x to the right, y down; a quad is
four (x, y) corners in the order top-left, top-right, bottom-right,
bottom-left of the plate as printed (so the text reads from its first to its
second corner)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Quad = NDArray[np.float32]  # shape (4, 2)


@dataclass(frozen=True)
class CharBox:
    """One printed character of the plate text and its box (x0, y0, x1, y1)."""

    char: str
    box: tuple[float, float, float, float]
    line: int = 0


@dataclass(frozen=True)
class PlateImage:
    """A rendered plate, face on, filling the whole image.

    ``image`` is BGR uint8; ``mask`` (uint8, 255 inside) is the plate outline
    with its rounded corners; ``text`` is the canonical plate (A-Z, 0-9) that a
    perfect reader returns; ``chars`` are the boxes of exactly those
    characters in reading order (decoration such as "UZ", state names or
    stacked small letters is not part of the text).
    """

    image: NDArray[np.uint8]
    mask: NDArray[np.uint8]
    text: str
    format: str
    country: str
    two_line: bool
    chars: tuple[CharBox, ...]
    px_per_mm: float

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    def corners(self) -> Quad:
        """The plate's own corners: TL, TR, BR, BL."""
        w, h = self.size
        return np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)


@dataclass(frozen=True)
class ScenePlate:
    """Ground truth of one plate in a scene: its text and series, its corners
    in the frame, the vehicle around it, and the boxes of its characters in
    frame pixels (hulls of the perspective-mapped boxes)."""

    text: str
    format: str
    country: str
    two_line: bool
    quad: Quad
    vehicle_box: tuple[int, int, int, int]
    vehicle_kind: str
    view: str
    chars: tuple[CharBox, ...] = ()

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Axis-aligned box (x0, y0, x1, y1) around the quad."""
        x0, y0 = np.floor(self.quad.min(axis=0)).astype(int)
        x1, y1 = np.ceil(self.quad.max(axis=0)).astype(int)
        return int(x0), int(y0), int(x1), int(y1)

    @property
    def width_px(self) -> float:
        """Length of the plate's top edge in pixels (how big it appears)."""
        return float(np.hypot(*(self.quad[1] - self.quad[0])))


@dataclass(frozen=True)
class Scene:
    """A rendered camera frame and what is in it. ``params`` are the drawn
    camera settings (lighting, defocus, noise, JPEG quality); ``jpeg`` holds the
    encoded frame when a JPEG quality was asked for (the image is then the
    decoded JPEG, so the two agree)."""

    image: NDArray[np.uint8]
    plates: tuple[ScenePlate, ...]
    lighting: str
    params: dict[str, float | int | str] = field(default_factory=dict)
    jpeg: bytes | None = None


@dataclass(frozen=True)
class PlateCrop:
    """A degraded plate crop of the kind a detector hands to OCR."""

    image: NDArray[np.uint8]
    text: str
    format: str
    country: str
    two_line: bool
    quad: Quad
    chars: tuple[CharBox, ...]

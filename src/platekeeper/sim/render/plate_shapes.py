"""Raster shapes for plate drawing: rounded outlines, rims and Hershey-face
labels, cached by size because plates of one series share them."""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.raster import as_u8

HERSHEY = {
    "simplex": cv2.FONT_HERSHEY_SIMPLEX,
    "duplex": cv2.FONT_HERSHEY_DUPLEX,
    "complex": cv2.FONT_HERSHEY_COMPLEX,
    "triplex": cv2.FONT_HERSHEY_TRIPLEX,
    "script": cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    "script_bold": cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    "plain": cv2.FONT_HERSHEY_PLAIN,
}
_SHIFT = 3


def rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> NDArray[np.float64]:
    """Outline points of a rounded rectangle (pixels)."""
    r = max(0.0, min(r, (x1 - x0) / 2, (y1 - y0) / 2))
    if r < 0.5:
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
    pts = []
    for cx, cy, a0 in (
        (x1 - r, y0 + r, -90),
        (x1 - r, y1 - r, 0),
        (x0 + r, y1 - r, 90),
        (x0 + r, y0 + r, 180),
    ):
        for i in range(7):
            a = math.radians(a0 + 15 * i)
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return np.array(pts, np.float64)


def fill_poly(mask: NDArray[np.uint8], pts: NDArray[np.float64], value: int = 255) -> None:
    """Anti-aliased filled polygon on a uint8 mask, sub-pixel accurate."""
    poly = np.round(pts * (1 << _SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [poly], value, lineType=cv2.LINE_AA, shift=_SHIFT)


@lru_cache(maxsize=256)
def outline(w: int, h: int, r: float) -> NDArray[np.uint8]:
    """The plate's rounded outline mask (cached; read-only)."""
    m = np.zeros((h, w), np.uint8)
    fill_poly(m, rounded_rect(0, 0, w, h, r))
    m.setflags(write=False)
    return m


@lru_cache(maxsize=512)
def ring(w: int, h: int, s: float, inset: float, width: float, radius: float) -> NDArray[np.uint8]:
    """Coverage of a rim ``width`` mm wide, ``inset`` mm inside a w x h px plate."""
    m = np.zeros((h, w), np.uint8)
    w_mm, h_mm = w / s, h / s
    fill_poly(m, rounded_rect(inset, inset, w_mm - inset, h_mm - inset, radius) * s)
    inner = inset + width
    fill_poly(
        m, rounded_rect(inner, inner, w_mm - inner, h_mm - inner, max(0.0, radius - width)) * s, 0
    )
    m.setflags(write=False)
    return m


@lru_cache(maxsize=2048)
def label_mask(
    text: str, font: str, h_px: float, max_w: int | None, weight: float
) -> tuple[NDArray[np.uint8], float, float]:
    """Coverage of a Hershey label whose capitals are ``h_px`` tall, its width
    and the padding around it (cached: state names and slogans repeat)."""
    face = HERSHEY[font]
    (tw, th), _ = cv2.getTextSize(text, face, 1.0, 1)
    scale = h_px / max(th, 1)
    width = tw * scale
    if max_w is not None and width > max_w:
        scale *= max_w / width
        width = float(max_w)
    thick = max(1, round(h_px * 0.09 * weight))
    ss = 4 if h_px < 24 else 2
    pad = thick * ss + 4
    big_w = int(width * ss) + 2 * pad
    big_h = int((h_px * 1.5) * ss) + 2 * pad
    m = np.zeros((big_h, big_w), np.uint8)
    cv2.putText(m, text, (pad, pad + int(h_px * ss)), face, scale * ss, 255, thick * ss, cv2.LINE_8)
    small = as_u8(
        cv2.resize(m, (max(1, big_w // ss), max(1, big_h // ss)), interpolation=cv2.INTER_AREA)
    )
    small.setflags(write=False)
    return small, width, pad / ss

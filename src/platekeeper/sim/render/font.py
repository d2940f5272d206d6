"""Rasterise the stroke typeface of ``glyphs.py`` at any size.

A :class:`FontLook` fixes the weight (stroke width / cap height), the
condensation (width scale), the roundness of the bowls and a few alternative
letter forms. Each stroke is turned into filled quadrilaterals with mitred
joins on a 4x supersampled binary canvas, then area-averaged down, so strokes
have constant width, flat terminals, flat-cut apexes (the canvas clips them)
and clean anti-aliased edges without seams between pieces. Glyph masks are
cached by (look, character, size): a plate needs a handful of sizes, so after
warm-up a plate's text costs a few small array copies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.glyphs import WIDTHS, Cmd, skeleton
from platekeeper.sim.render.raster import as_u8

_SUPERSAMPLE = 4
_SHIFT = 4  # sub-pixel bits for cv2's polygon filling
_MITER_LIMIT = 2.0  # mitre length over half stroke width before a corner is bevelled


@dataclass(frozen=True)
class FontLook:
    """Parameters of one plate typeface look."""

    name: str = "din"
    weight: float = 0.135
    condense: float = 1.0
    roundness: float = 2.2
    variants: frozenset[str] = field(default_factory=lambda: frozenset({"flat3"}))

    def width(self, ch: str) -> float:
        """Ink width of a character relative to the cap height."""
        if ch == "I":
            return self.weight
        return WIDTHS[ch] * self.condense


# The looks used by the plate styles; a style may pick one of several.
DIN = FontLook("din", 0.125, 1.0, 2.2, frozenset({"flat3", "straight6"}))
FE = FontLook("fe", 0.135, 0.94, 3.2, frozenset({"flat3", "open4"}))
GOST = FontLook("gost", 0.12, 1.08, 2.0, frozenset({"round3"}))
CONDENSED = FontLook("condensed", 0.115, 0.82, 2.6, frozenset({"round3"}))
WIDE = FontLook("wide", 0.15, 1.15, 2.4, frozenset({"flat3"}))
US_BLOCK = FontLook("us_block", 0.12, 0.86, 3.0, frozenset({"round3", "foot1"}))
UK = FontLook("uk", 0.13, 0.86, 2.3, frozenset({"round3", "foot1"}))
LOOKS: dict[str, FontLook] = {
    look.name: look for look in (DIN, FE, GOST, CONDENSED, WIDE, US_BLOCK, UK)
}


def _superellipse(
    cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, exponent: float
) -> list[tuple[float, float]]:
    steps = max(4, int(abs(a1 - a0) / 6.0))
    pts = []
    power = 2.0 / exponent
    for i in range(steps + 1):
        a = math.radians(a0 + (a1 - a0) * i / steps)
        c, s = math.cos(a), math.sin(a)
        x = cx + rx * math.copysign(abs(c) ** power, c)
        y = cy + ry * math.copysign(abs(s) ** power, s)
        pts.append((x, y))
    return pts


def _paths(cmds: tuple[Cmd, ...], exponent: float) -> list[tuple[list[tuple[float, float]], bool]]:
    """Unit-box polylines (and whether each is closed) for a glyph's commands."""
    paths: list[tuple[list[tuple[float, float]], bool]] = []
    current: list[tuple[float, float]] = []
    for cmd in cmds:
        op = cmd[0]
        v = [float(x) for x in cmd[1:]]
        if op == "M":
            if len(current) > 1:
                paths.append((current, False))
            current = [(v[0], v[1])]
        elif op == "L":
            current.append((v[0], v[1]))
        elif op == "A":
            current.extend(_superellipse(v[0], v[1], v[2], v[3], v[4], v[5], exponent))
        elif op == "Z":
            if len(current) > 2:
                paths.append((current, True))
            current = []
        elif op == "E":
            if len(current) > 1:
                paths.append((current, False))
            current = []
            boost = v[4] if len(v) > 4 else 0.0
            ring = _superellipse(v[0], v[1], v[2], v[3], 0.0, 360.0, exponent + boost)[:-1]
            paths.append((ring, True))
    if len(current) > 1:
        paths.append((current, False))
    return paths


def _fill_all(canvas: NDArray[np.uint8], polys: list[NDArray[np.float64]]) -> None:
    """Fill convex polygons (pixel coordinates) at sub-pixel precision."""
    scale = float(1 << _SHIFT)
    for poly in polys:
        cv2.fillConvexPoly(
            canvas, np.round(poly * scale).astype(np.int32), 255, lineType=cv2.LINE_8, shift=_SHIFT
        )


def _stroke(canvas: NDArray[np.uint8], pts: NDArray[np.float64], half: float, closed: bool) -> None:
    """Fill one constant-width stroke: a quad per segment, a mitre per join."""
    if closed:
        pts = np.vstack([pts, pts[:1]])
    seg = np.diff(pts, axis=0)
    length = np.hypot(seg[:, 0], seg[:, 1])
    keep = length > 1e-9
    if not keep.any():
        return
    pts = np.vstack([pts[:1], pts[1:][keep]])
    seg = seg[keep] / length[keep, None]
    height, width = canvas.shape
    if not closed:
        # A terminal on the edge of the ink box (the foot of 1, T, H; the legs
        # of A) runs on to the edge, where the canvas cuts it flat.
        pts = pts.copy()
        for idx, direction in ((0, -seg[0]), (-1, seg[-1])):
            x, y = pts[idx]
            if min(x, y, width - x, height - y) <= half + 0.5:
                pts[idx] = pts[idx] + direction * half
    normal = np.stack([-seg[:, 1], seg[:, 0]], axis=1) * half
    a, b = pts[:-1], pts[1:]
    quads = np.stack([a + normal, b + normal, b - normal, a - normal], axis=1)
    polys: list[NDArray[np.float64]] = list(quads)
    joins = range(len(seg)) if closed else range(1, len(seg))
    for i in joins:
        n0, n1 = normal[i - 1], normal[i]
        p = pts[i]
        turn = seg[i - 1, 0] * seg[i, 1] - seg[i - 1, 1] * seg[i, 0]
        if abs(turn) < 1e-9 and float(np.dot(seg[i - 1], seg[i])) > 0:
            continue
        sign = -1.0 if turn > 0 else 1.0  # the outer side of the turn
        o0, o1 = p + sign * n0, p + sign * n1
        bisector = (n0 + n1) * sign
        norm = float(np.hypot(*bisector))
        cos_half = norm / (2.0 * half) if half > 0 else 1.0
        if norm > 1e-9:
            miter = p + bisector / norm * (half / max(cos_half, 1e-3))
            # A sharp corner inside the glyph is bevelled; one whose mitre
            # leaves the ink box (the apex of A, V, M, W, 4, 7) is mitred and
            # clipped by the canvas, which gives the flat-cut apex of DIN faces.
            outside = not (0.0 <= miter[0] <= width and 0.0 <= miter[1] <= height)
            if cos_half > 1.0 / _MITER_LIMIT or outside:
                polys.append(np.array([p, o0, miter, o1]))
                continue
        polys.append(np.array([p, o0, o1]))
    _fill_all(canvas, polys)


_CANONICAL_H = 128
_ASPECT_STEP = 0.04


@lru_cache(maxsize=16384)
def glyph_mask(ch: str, look: FontLook, height: int, width: int) -> NDArray[np.uint8]:
    """Anti-aliased coverage (0..255) of one character whose ink fills exactly
    ``width`` x ``height`` pixels. Cached; the returned array is read-only.

    Sizes up to 128 px tall are area-averaged down from a canonical raster of
    the same aspect ratio (to 4%), so the many sizes a scene asks for cost a
    resize each instead of a fresh rasterisation."""
    if height < 1 or width < 1:
        raise ValueError("glyph size must be at least one pixel")
    if height >= _CANONICAL_H:
        return _rasterise(ch, look, height, width)
    aspect = max(_ASPECT_STEP, round(width / height / _ASPECT_STEP) * _ASPECT_STEP)
    canon = _rasterise(ch, look, _CANONICAL_H, max(1, round(aspect * _CANONICAL_H)))
    small = as_u8(cv2.resize(canon, (width, height), interpolation=cv2.INTER_AREA))
    small.setflags(write=False)
    return small


@lru_cache(maxsize=4096)
def _rasterise(ch: str, look: FontLook, height: int, width: int) -> NDArray[np.uint8]:
    """Rasterise one glyph at exactly this size (supersampled, slow; cached)."""
    ss = _SUPERSAMPLE
    big_h, big_w = height * ss, width * ss
    canvas = np.zeros((big_h, big_w), np.uint8)
    stroke = look.weight * big_h
    half = stroke / 2.0
    span_x = max(big_w - stroke, 0.0)
    span_y = big_h - stroke
    for path, closed in _paths(skeleton(ch, look.variants), look.roundness):
        unit = np.asarray(path, np.float64)
        px = np.empty_like(unit)
        px[:, 0] = half + unit[:, 0] * span_x
        px[:, 1] = half + unit[:, 1] * span_y
        _stroke(canvas, px, half, closed)
    small = as_u8(cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA))
    small.setflags(write=False)
    return small


def char_size(ch: str, look: FontLook, height: float) -> tuple[int, int]:
    """Pixel (width, height) of a character at a cap height in pixels."""
    h = max(1, round(height))
    w = max(1, round(look.width(ch) * height))
    return w, h

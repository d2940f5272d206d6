"""Small plate furniture: national flags, the EU band, seals and stickers,
bolts, QR blocks. All sizes are millimetres on a :class:`PlateCanvas`; at
camera resolution these are a few pixels, so they aim for the right colours
and masses rather than heraldic accuracy."""

from __future__ import annotations

import math

import numpy as np

from platekeeper.sim.render.font import DIN, FontLook
from platekeeper.sim.render.plate_canvas import Color, PlateCanvas

WHITE: Color = (246, 246, 246)
BLACK: Color = (28, 28, 30)
EU_BLUE: Color = (153, 51, 0)
EU_YELLOW: Color = (0, 204, 255)
UZ_BLUE: Color = (181, 153, 0)
UZ_GREEN: Color = (58, 181, 30)
UZ_RED: Color = (38, 17, 206)
RU_BLUE: Color = (166, 57, 0)
RU_RED: Color = (30, 43, 213)
KZ_BLUE: Color = (202, 175, 0)
KZ_YELLOW: Color = (12, 197, 254)
BR_GREEN: Color = (58, 155, 0)
BR_YELLOW: Color = (0, 223, 255)
BR_BLUE: Color = (118, 39, 0)


def star_points(cx: float, cy: float, r: float, rot: float = -90.0) -> list[tuple[float, float]]:
    """A five-pointed star outline."""
    pts = []
    for i in range(10):
        rr = r if i % 2 == 0 else r * 0.4
        a = math.radians(rot + 36 * i)
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def uz_flag(c: PlateCanvas, x: float, y: float, w: float, h: float) -> None:
    """Blue, white and green bands parted by thin red lines; crescent and stars."""
    band = h / 3
    c.rect(x, y, w, band, UZ_BLUE)
    c.rect(x, y + band, w, band, WHITE)
    c.rect(x, y + 2 * band, w, band, UZ_GREEN)
    c.rect(x, y + band - h * 0.03, w, h * 0.06, UZ_RED)
    c.rect(x, y + 2 * band - h * 0.03, w, h * 0.06, UZ_RED)
    r = band * 0.36
    c.ellipse(x + w * 0.16, y + band / 2, r, r, WHITE)
    c.ellipse(x + w * 0.16 + r * 0.35, y + band / 2, r * 0.85, r * 0.85, UZ_BLUE)
    for i in range(4):
        c.ellipse(x + w * (0.34 + 0.12 * i), y + band * 0.5, band * 0.07, band * 0.07, WHITE)


def ru_flag(c: PlateCanvas, x: float, y: float, w: float, h: float) -> None:
    """White, blue, red with a thin dark outline."""
    c.rect(x - 0.4, y - 0.4, w + 0.8, h + 0.8, BLACK)
    c.rect(x, y, w, h / 3, WHITE)
    c.rect(x, y + h / 3, w, h / 3, RU_BLUE)
    c.rect(x, y + 2 * h / 3, w, h / 3, RU_RED)


def kz_flag(c: PlateCanvas, x: float, y: float, w: float, h: float) -> None:
    """Sky blue with a golden sun and a band of ornament at the hoist."""
    c.rect(x, y, w, h, KZ_BLUE)
    c.ellipse(x + w * 0.55, y + h * 0.42, h * 0.2, h * 0.2, KZ_YELLOW)
    for i in range(12):
        a = math.radians(30 * i)
        cx, cy = x + w * 0.55 + math.cos(a) * h * 0.3, y + h * 0.42 + math.sin(a) * h * 0.3
        c.ellipse(cx, cy, h * 0.04, h * 0.04, KZ_YELLOW)
    c.rect(x + w * 0.3, y + h * 0.72, w * 0.5, h * 0.06, KZ_YELLOW)
    c.rect(x + w * 0.05, y + h * 0.08, w * 0.08, h * 0.84, KZ_YELLOW, opacity=0.7)


def br_flag(c: PlateCanvas, x: float, y: float, w: float, h: float) -> None:
    """Green field, yellow rhombus, blue disc."""
    c.rect(x, y, w, h, BR_GREEN)
    c.shape(
        [
            (x + w * 0.08, y + h / 2),
            (x + w / 2, y + h * 0.1),
            (x + w * 0.92, y + h / 2),
            (x + w / 2, y + h * 0.9),
        ],
        BR_YELLOW,
    )
    c.ellipse(x + w / 2, y + h / 2, h * 0.25, h * 0.25, BR_BLUE)


def eu_band(
    c: PlateCanvas,
    x: float,
    y: float,
    w: float,
    h: float,
    code: str,
    *,
    stars: bool = True,
    look: FontLook = DIN,
) -> None:
    """The blue band: a ring of twelve stars over the country code."""
    c.rect(x, y, w, h, EU_BLUE, radius=2.5)
    if stars:
        cx, cy, ring = x + w / 2, y + h * 0.3, min(w, h) * 0.3
        for i in range(12):
            a = math.radians(30 * i)
            c.shape(
                star_points(cx + ring * math.cos(a), cy + ring * math.sin(a), ring * 0.17),
                EU_YELLOW,
            )
    ch = h * (0.22 if len(code) < 3 else 0.18)
    cw = c.text_width(code, look, ch, gap_mm=1.2, cell=False)
    if cw > w * 0.9:
        ch *= w * 0.9 / cw
    c.text(
        code,
        x + w / 2,
        y + h * 0.92 - ch,
        ch,
        look,
        WHITE,
        gap_mm=1.2,
        cell=False,
        record=False,
        relief=0.0,
        align="center",
    )


def sk_shield(c: PlateCanvas, x: float, y: float, w: float, h: float) -> None:
    """Red shield, white double cross on blue hills."""
    c.shape(
        [(x, y), (x + w, y), (x + w, y + h * 0.6), (x + w / 2, y + h), (x, y + h * 0.6)],
        (37, 28, 238),
    )
    c.ellipse(x + w / 2, y + h * 0.8, w * 0.35, h * 0.15, (153, 51, 0))
    c.rect(x + w * 0.45, y + h * 0.12, w * 0.1, h * 0.6, WHITE)
    c.rect(x + w * 0.25, y + h * 0.25, w * 0.5, h * 0.07, WHITE)
    c.rect(x + w * 0.2, y + h * 0.42, w * 0.6, h * 0.07, WHITE)


def de_seals(
    c: PlateCanvas, rng: np.random.Generator, x: float, y: float, d: float, *, inspection: bool
) -> None:
    """The state seal (and, on rear plates, the coloured inspection disc)."""
    c.ellipse(x + d / 2, y + d / 2, d / 2, d / 2, (200, 200, 205), relief=0.3)
    c.ellipse(x + d / 2, y + d / 2, d * 0.34, d * 0.34, (40, 60, 170))
    c.ellipse(x + d / 2, y + d / 2, d * 0.2, d * 0.2, (30, 170, 220))
    if inspection:
        colour = [
            (40, 180, 240),
            (60, 60, 60),
            (30, 30, 200),
            (200, 140, 60),
            (60, 160, 60),
            (180, 100, 200),
        ]
        col = colour[int(rng.integers(0, len(colour)))]
        yy = y + d * 1.12
        c.ellipse(x + d / 2, yy + d / 2, d / 2, d / 2, col, relief=0.3)
        c.ellipse(x + d / 2, yy + d / 2, d * 0.18, d * 0.18, BLACK)


def hologram(
    c: PlateCanvas, rng: np.random.Generator, x: float, y: float, w: float, h: float
) -> None:
    """A small silvery hologram sticker (Poland, many others)."""
    c.rect(x, y, w, h, (200, 200, 196), radius=0.8)
    for i in range(3):
        h0, h1, h2 = (float(v) for v in rng.uniform(0, 255, 3))
        c.rect(
            x + w * 0.1,
            y + h * (0.15 + 0.25 * i),
            w * 0.8,
            h * 0.15,
            (h0, h1, h2),
            opacity=0.25,
        )


def qr_block(c: PlateCanvas, rng: np.random.Generator, x: float, y: float, size: float) -> None:
    """A QR-like square of random modules with finder corners (Mercosur)."""
    n = 13
    cell = size / n
    c.rect(x, y, size, size, WHITE)
    bits = rng.random((n, n)) < 0.45
    for fx, fy in ((0, 0), (n - 4, 0), (0, n - 4)):
        bits[fy : fy + 4, fx : fx + 4] = False
        c.rect(x + fx * cell, y + fy * cell, cell * 4, cell * 4, BLACK)
        c.rect(x + (fx + 0.6) * cell, y + (fy + 0.6) * cell, cell * 2.8, cell * 2.8, WHITE)
        c.rect(x + (fx + 1.2) * cell, y + (fy + 1.2) * cell, cell * 1.6, cell * 1.6, BLACK)
    for j, i in zip(*np.nonzero(bits), strict=True):
        c.rect(x + i * cell, y + j * cell, cell, cell, BLACK)


def bolt(
    c: PlateCanvas, rng: np.random.Generator, x: float, y: float, r: float, *, plate: Color
) -> None:
    """A mounting screw head, a plastic cap, or an empty hole showing the car."""
    kind = rng.random()
    if kind < 0.45:
        metal = float(rng.uniform(120, 200))
        c.ellipse(x, y, r, r, (metal * 0.6, metal * 0.6, metal * 0.62), relief=0.8)
        c.ellipse(x - r * 0.2, y - r * 0.2, r * 0.6, r * 0.6, (metal, metal, metal * 1.02))
        a = rng.uniform(0, math.pi)
        c.line(
            x - math.cos(a) * r * 0.7,
            y - math.sin(a) * r * 0.7,
            x + math.cos(a) * r * 0.7,
            y + math.sin(a) * r * 0.7,
            r * 0.25,
            (40, 40, 40),
        )
    elif kind < 0.7:
        c.ellipse(
            x, y, r * 1.1, r * 1.1, (0.8 * plate[0], 0.8 * plate[1], 0.8 * plate[2]), relief=0.6
        )
        c.ellipse(x, y, r * 0.9, r * 0.9, plate)
    else:
        c.ellipse(x, y, r * 0.75, r * 0.75, (25, 25, 25))

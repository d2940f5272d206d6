"""EU-format plates (520 x 110 mm with the blue band, or 280 x 200 mm square):
Slovakia, Czechia, Poland, Germany and the United Kingdom."""

from __future__ import annotations

import numpy as np

from platekeeper.sim.render import decor
from platekeeper.sim.render.decor import BLACK
from platekeeper.sim.render.font import CONDENSED, DIN, FE, UK, FontLook
from platekeeper.sim.render.plate_canvas import Color, PlateCanvas
from platekeeper.sim.render.plates_cis import ink, sheet

Generator = np.random.Generator

GB_YELLOW: Color = (18, 200, 250)

# Per country: band code, typeface looks to pick from, cap height (mm), digit
# width as a share of the cap height, whether plates are embossed.
_COUNTRY: dict[str, tuple[str, tuple[FontLook, ...], float, float, bool]] = {
    "sk": ("SK", (DIN, FE), 72.0, 0.56, True),
    "cz": ("CZ", (DIN, CONDENSED), 72.0, 0.52, True),
    "pl": ("PL", (CONDENSED, DIN), 72.0, 0.5, True),
    "de": ("D", (FE,), 75.0, 0.59, True),
    "gb": ("UK", (UK,), 79.0, 0.63, False),
}


def _split(fmt: str, fields: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Groups left and right of the stickers/space, as printed."""
    if fmt == "sk":
        return [fields[0]], [fields[1] + fields[2]]
    if fmt == "cz":
        return [fields[0]], [fields[1]]
    if fmt == "pl":
        return [fields[0]], [fields[1]]
    if fmt == "de":
        return [fields[0]], [fields[1], fields[2] + fields[3]]
    return [fields[0] + fields[1]], [fields[2]]


def draw_eu(
    fmt: str, fields: tuple[str, ...], two_line: bool, rng: Generator, s: float
) -> PlateCanvas:
    """One EU-format plate in the manner of its country."""
    code, looks, cap, ratio, embossed = _COUNTRY[fmt]
    look = looks[int(rng.integers(0, len(looks)))]
    bg = sheet(rng)
    if fmt == "gb" and rng.random() < 0.5:
        bg = sheet(rng, GB_YELLOW, 6)  # rear plates are yellow
    fg = ink(rng)
    left, right = _split(fmt, fields)
    band = not (fmt == "gb" and rng.random() < 0.5)
    if fmt == "gb" and band and rng.random() < 0.5:
        code = "GB"
    if two_line:
        return _square(fmt, left, right, rng, s, bg, fg, look, code, band, embossed)
    c = PlateCanvas(520, 110, s, bg, corner_mm=rng.uniform(2.5, 5))
    c.emboss = float(rng.uniform(0.4, 1.0)) if embossed else 0.0
    c.border(rng.uniform(0.8, 2.0), rng.uniform(1.0, 1.8), 3.5, fg, relief=0.6)
    x0 = 8.0
    if band:
        c.stamp(
            ("eu", code),
            3.0,
            3.0,
            42.0,
            104.0,
            lambda sub: decor.eu_band(sub, 0, 0, 42.0, 104.0, code, stars=code != "UK"),
        )
        x0 = 50.0
    h = cap * float(rng.uniform(0.95, 1.02))
    w = h * ratio
    base = 55 + h / 2
    gap = 3.0 if fmt != "gb" else 2.0
    sticker_w = _sticker_width(fmt)
    lw = sum(c.text_width(g, look, h, w_mm=w, gap_mm=gap) for g in left) + 6 * (len(left) - 1)
    rw = sum(c.text_width(g, look, h, w_mm=w, gap_mm=gap) for g in right) + 10 * (len(right) - 1)
    avail = 513 - x0
    need = lw + rw + sticker_w + 12
    squeeze = min(1.0, avail / need)
    x = x0 + (avail - need * squeeze) / 2
    c.groups(
        [(g, h, w * squeeze) for g in left],
        x,
        x + lw * squeeze,
        base,
        look,
        fg,
        gap_mm=gap * squeeze,
    )
    x += lw * squeeze + 6 * squeeze
    _stickers(c, fmt, rng, x, sticker_w * squeeze, base - h, h)
    x += (sticker_w + 6) * squeeze
    c.groups(
        [(g, h, w * squeeze) for g in right],
        x,
        x + rw * squeeze,
        base,
        look,
        fg,
        gap_mm=gap * squeeze,
        min_group_gap=10 * squeeze,
    )
    return c


def _sticker_width(fmt: str) -> float:
    return {"sk": 20.0, "cz": 8.0, "pl": 14.0, "de": 38.0, "gb": 24.0}[fmt]


def _stickers(
    c: PlateCanvas, fmt: str, rng: Generator, x: float, w: float, top: float, h: float
) -> None:
    """What sits between the first and second group."""
    if fmt == "sk":
        c.stamp(
            ("sk",),
            x,
            top + h * 0.3,
            w,
            w * 1.2,
            lambda sub: decor.sk_shield(sub, 0, 0, w, w * 1.2),
        )
    elif fmt == "pl":
        k = int(rng.integers(0, 8))
        c.stamp(
            ("holo", k),
            x,
            top + h * 0.35,
            w,
            w * 1.4,
            lambda sub: decor.hologram(sub, np.random.default_rng(k), 0, 0, w, w * 1.4),
        )
    elif fmt == "de":
        d = min(w * 0.85, h * 0.45)
        k = int(rng.integers(0, 12))
        c.stamp(
            ("seals", k),
            x + (w - d) / 2,
            top + h * 0.04,
            d,
            d * 2.2,
            lambda sub: decor.de_seals(sub, np.random.default_rng(k), 0, 0, d, inspection=k < 6),
        )


def _square(
    fmt: str,
    left: list[str],
    right: list[str],
    rng: Generator,
    s: float,
    bg: Color,
    fg: Color,
    look: FontLook,
    code: str,
    band: bool,
    embossed: bool,
) -> PlateCanvas:
    c = PlateCanvas(280, 200, s, bg, corner_mm=5)
    c.emboss = float(rng.uniform(0.4, 1.0)) if embossed else 0.0
    c.border(1.5, 1.5, 4.0, fg, relief=0.6)
    x0 = 8.0
    if band:
        c.stamp(
            ("eu", code),
            3.0,
            3.0,
            36.0,
            96.0,
            lambda sub: decor.eu_band(sub, 0, 0, 36.0, 96.0, code, stars=code != "UK"),
        )
        x0 = 44.0
    h = 72.0
    w = h * 0.56
    c.groups([(g, h, w) for g in left], x0, 272, 14 + h, look, fg, min_group_gap=10)
    c.groups([(g, h, w) for g in right], 8, 272, 186, look, fg, line=1, min_group_gap=10)
    if fmt == "de":
        c.stamp(
            ("seals", 99),
            232,
            20,
            30,
            30,
            lambda sub: decor.de_seals(sub, rng, 0, 0, 30, inspection=False),
        )
    return c


__all__ = ["BLACK", "draw_eu"]

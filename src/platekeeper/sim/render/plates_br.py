"""Brazilian plates: the grey 1990-2018 plate with its city line, and the
Mercosur plate (white, blue "BRASIL" band, QR code) from 2018."""

from __future__ import annotations

import numpy as np

from platekeeper.sim.render import decor
from platekeeper.sim.render.decor import EU_BLUE, WHITE
from platekeeper.sim.render.font import DIN, FE, GOST, FontLook
from platekeeper.sim.render.plate_canvas import Color, PlateCanvas
from platekeeper.sim.render.plates_cis import ink, sheet

Generator = np.random.Generator

BR_CITIES = (
    "SP-SAO PAULO",
    "RJ-RIO DE JANEIRO",
    "BA-SALVADOR",
    "MG-BELO HORIZONTE",
    "PR-CURITIBA",
    "RS-PORTO ALEGRE",
    "PE-RECIFE",
    "CE-FORTALEZA",
    "DF-BRASILIA",
    "SP-CAMPINAS",
    "GO-GOIANIA",
    "BA-FEIRA DE SANTANA",
    "SC-FLORIANOPOLIS",
    "AM-MANAUS",
)


def draw_br(
    fmt: str, fields: tuple[str, ...], two_line: bool, rng: Generator, s: float
) -> PlateCanvas:
    """A Brazilian plate of either generation."""
    if fmt == "br_old":
        return _old(fields, rng, s)
    return _mercosur(fields, two_line, rng, s)


def _old(fields: tuple[str, ...], rng: Generator, s: float) -> PlateCanvas:
    # Private plates are grey with black characters; commercial ones red with white.
    if rng.random() < 0.85:
        bg, fg = sheet(rng, (178, 178, 174), 14), ink(rng)
    else:
        bg, fg = sheet(rng, (40, 40, 190), 10), sheet(rng, WHITE, 6)
    look: FontLook = [DIN, GOST][int(rng.integers(0, 2))]
    c = PlateCanvas(400, 130, s, bg, corner_mm=rng.uniform(3, 6))
    c.emboss = float(rng.uniform(0.5, 1.1))
    c.border(1.5, 2.0, 4.0, fg, relief=0.8)
    city = BR_CITIES[int(rng.integers(0, len(BR_CITIES)))]
    c.label(city, 200, 9, 11, fg, font="duplex", max_w_mm=300, relief=0.5)
    h = float(rng.uniform(60, 66))
    w = h * 0.6
    base = 32 + h + 8
    lw = c.text_width(fields[0], look, h, w_mm=w, gap_mm=4)
    rw = c.text_width(fields[1], look, h, w_mm=w, gap_mm=4)
    x = (400 - (lw + rw + 22)) / 2
    c.text(fields[0], x, base - h, h, look, fg, w_mm=w, gap_mm=4)
    dot_x = x + lw + 11
    if rng.random() < 0.5:
        c.ellipse(dot_x, base - h / 2, 3.2, 3.2, fg, relief=1.0)
    else:
        c.rect(dot_x - 6, base - h / 2 - 2.5, 12, 5, fg, relief=1.0)
    c.text(fields[1], x + lw + 22, base - h, h, look, fg, w_mm=w, gap_mm=4)
    return c


# Mercosur character colours by vehicle category.
_MERCOSUR_INK: tuple[tuple[Color, float], ...] = (
    ((25, 25, 25), 0.8),  # private
    ((40, 30, 200), 0.1),  # commercial
    ((150, 60, 10), 0.04),  # official
    ((40, 120, 30), 0.03),  # special
    ((30, 150, 200), 0.03),  # diplomatic (gold)
)


def _band(c: PlateCanvas, w: float, h: float) -> None:
    """The blue Mercosur band: BRASIL, the flag, the bloc's stars (own canvas)."""
    c.rect(0, 0, w, h, EU_BLUE, radius=3)
    c.label("BRASIL", w / 2, 6.0, 11.0, WHITE, font="simplex", weight=1.4)
    decor.br_flag(c, w - 32, 5, 24, 15)
    for i in range(5):
        c.ellipse(10 + 4 * (i % 3), 7 + 5 * (i // 3) + (i % 2) * 2, 1.3, 1.3, WHITE)


def _mercosur(fields: tuple[str, ...], two_line: bool, rng: Generator, s: float) -> PlateCanvas:
    colours, weights = zip(*_MERCOSUR_INK, strict=True)
    w_arr = np.array(weights)
    fg = colours[int(rng.choice(len(colours), p=w_arr / w_arr.sum()))]
    bg = sheet(rng)
    w_mm, h_mm = (200.0, 170.0) if two_line else (400.0, 130.0)
    c = PlateCanvas(w_mm, h_mm, s, bg, corner_mm=5)
    c.emboss = 0.0
    band_h = 25.0 if not two_line else 28.0
    c.stamp(
        ("mercosur", w_mm, band_h), 2, 2, w_mm - 4, band_h, lambda sub: _band(sub, w_mm - 4, band_h)
    )
    c.border(1.0, 1.8, 4.0, (20, 20, 20), relief=0.0)
    look = FE
    if two_line:
        h = 56.0
        c.groups([(fields[0], h, h * 0.62)], 8, w_mm - 8, band_h + 10 + h, look, fg, relief=0.0)
        c.groups([(fields[1], h, h * 0.62)], 8, w_mm - 8, h_mm - 10, look, fg, line=1, relief=0.0)
        return c
    k = int(rng.integers(0, 16))
    c.stamp(
        ("qr", k),
        8,
        band_h + 10,
        18,
        18,
        lambda sub: decor.qr_block(sub, np.random.default_rng(k), 0, 0, 18),
    )
    c.label("BR", 17, band_h + 78, 9, (25, 25, 25), font="simplex", weight=1.3)
    h = float(rng.uniform(62, 68))
    c.groups(
        [(fields[0] + fields[1], h, h * 0.66)],
        34,
        w_mm - 10,
        band_h + 8 + h + 6,
        look,
        fg,
        gap_mm=4,
        relief=0.0,
    )
    return c

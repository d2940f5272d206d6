"""Plate styles of Uzbekistan, Russia and Kazakhstan (520 x 112 mm, region field,
flag), one-line and two-line. Layouts are in millimetres after the national
standards as publicly described (see ``syntax_uz.py``); each call varies the
typeface look, character size, emboss depth and sheet tint a little, as real
plates from different makers and years do."""

from __future__ import annotations

import numpy as np

from platekeeper.sim.render import decor
from platekeeper.sim.render.decor import WHITE
from platekeeper.sim.render.font import DIN, FE, GOST, WIDE, FontLook
from platekeeper.sim.render.plate_canvas import Color, PlateCanvas

Generator = np.random.Generator

UZ_GREEN_PLATE: Color = (62, 110, 8)
UZ_YELLOW_PLATE: Color = (20, 196, 244)


def sheet(rng: Generator, base: Color = (244, 244, 242), spread: float = 8.0) -> Color:
    """An off-white (or tinted) retro-reflective sheet colour."""
    shift = float(rng.uniform(-spread, spread / 2))
    t0, t1, t2 = (float(v) for v in rng.uniform(-3, 3, 3))
    return (
        min(255.0, max(0.0, base[0] + shift + t0)),
        min(255.0, max(0.0, base[1] + shift + t1)),
        min(255.0, max(0.0, base[2] + shift + t2)),
    )


_INKS: tuple[Color, ...] = (
    (16.0, 16.0, 18.0),
    (26.0, 26.0, 30.0),
    (34.0, 32.0, 30.0),
    (22.0, 24.0, 34.0),
)


def ink(rng: Generator) -> Color:
    """Near-black print (one of a few, so decoration stamps are shared)."""
    return _INKS[int(rng.integers(0, len(_INKS)))]


def _pick_look(rng: Generator, looks: list[FontLook]) -> FontLook:
    return looks[int(rng.integers(0, len(looks)))]


# -- Uzbekistan ---------------------------------------------------------------------


def _uz_flag_block(
    c: PlateCanvas, x: float, y: float, w: float, color: Color, look: FontLook
) -> None:
    def draw(sub: PlateCanvas) -> None:
        decor.uz_flag(sub, 0, 0, w, w * 0.5)
        sub.text(
            "UZ",
            w / 2,
            w * 0.66,
            w * 0.5,
            look,
            color,
            gap_mm=1.5,
            cell=False,
            record=False,
            relief=0.5,
            align="center",
        )

    c.stamp(("uz_flag", color, look), x, y, w, w * 1.2, draw)


def draw_uz(
    fmt: str, fields: tuple[str, ...], two_line: bool, rng: Generator, s: float
) -> PlateCanvas:
    """Uzbek plates: region field | series | flag and UZ."""
    bg: Color = sheet(rng)
    fg = ink(rng)
    if fmt in ("uz_diplomatic", "uz_foreign_company"):
        bg, fg = sheet(rng, UZ_GREEN_PLATE, 6), sheet(rng, WHITE, 6)
    elif fmt == "uz_foreigner":
        bg = sheet(rng, UZ_YELLOW_PLATE, 6)
    look = _pick_look(rng, [FE, FE, DIN, WIDE])
    if two_line:
        return _uz_two_line(fmt, fields, rng, s, bg, fg, look)
    c = PlateCanvas(520, 112, s, bg, corner_mm=rng.uniform(3, 7))
    c.emboss = float(rng.uniform(0.25, 0.9))
    c.border(rng.uniform(1.5, 3.0), rng.uniform(1.6, 2.6), 5.0, fg, relief=0.7)
    h = float(rng.uniform(62, 72))
    w = h * float(rng.uniform(0.6, 0.68))
    base = 56 + h / 2
    rh = h * float(rng.uniform(0.8, 0.95))
    has_region = fmt not in ("uz_diplomatic",)
    region_right = fmt == "uz_temporary"
    x0, x1 = 9.0, 470.0
    if has_region:
        if region_right:
            region, main = fields[2], [fields[0], fields[1]]
            div = 424.0
            c.groups([(region, rh, w)], div + 4, 512, base, look, fg, relief=1.0)
            x1 = div - 4
        else:
            region, main = fields[0], list(fields[1:])
            div = float(rng.uniform(92, 100))
            c.groups([(region, rh, w * rh / h)], 10, div - 5, base, look, fg, relief=1.0)
            x0 = div + 4
        c.line(div, 5, div, 107, rng.uniform(2.0, 3.2), fg, relief=0.7)
    else:
        main = list(fields)
    if not region_right:
        _uz_flag_block(c, 474, rng.uniform(14, 20), 38, fg, look)
        x1 = 468.0
    c.groups(
        [(g, h, w) for g in main if g], x0, x1, base, look, fg, spread=float(rng.uniform(0.1, 0.4))
    )
    return c


def _uz_two_line(
    fmt: str,
    fields: tuple[str, ...],
    rng: Generator,
    s: float,
    bg: Color,
    fg: Color,
    look: FontLook,
) -> PlateCanvas:
    small = fmt == "uz_moto"
    w_mm, h_mm = (245.0, 160.0) if small else (290.0, 170.0)
    c = PlateCanvas(w_mm, h_mm, s, bg, corner_mm=6)
    c.emboss = float(rng.uniform(0.3, 0.9))
    c.border(2.0, 2.2, 6.0, fg, relief=0.7)
    region, top, bottom = fields[0], fields[1], fields[2]
    h = (h_mm - 34) / 2
    w = h * 0.58
    rh = h * 0.62
    div = 8 + c.text_width(region, look, rh, w_mm=w * 0.62) + 6
    c.groups([(region, rh, w * 0.62)], 6, div - 3, 8 + rh + 4, look, fg)
    c.line(div, 6, div, 14 + h, 2.2, fg, relief=0.7)
    c.groups([(top, h, w)], div + 3, w_mm - 6, 12 + h, look, fg)
    c.groups([(bottom, h, w)], 8, w_mm * 0.72, h_mm - 12, look, fg, line=1)
    _uz_flag_block(c, w_mm * 0.76, h_mm - 12 - h * 0.95, w_mm * 0.18, fg, look)
    return c


# -- Russia -------------------------------------------------------------------------


def _rus(c: PlateCanvas, fg: Color, h: float, fw: float, fh: float) -> None:
    """ "RUS" and the small flag under the region code (on its own canvas)."""
    c.text("RUS", 0, 0, h, DIN, fg, gap_mm=h * 0.08, cell=False, record=False, relief=0.4)
    decor.ru_flag(c, c.w / c.s - fw - 1, 1, fw, fh)


def draw_ru(
    fmt: str, fields: tuple[str, ...], two_line: bool, rng: Generator, s: float
) -> PlateCanvas:
    """Russian GOST R 50577 plates: small letters, tall digits, region field."""
    bg, fg = sheet(rng), ink(rng)
    look = _pick_look(rng, [GOST, GOST, DIN])
    if two_line:
        return _ru_two_line(fmt, fields, rng, s, bg, fg, look)
    c = PlateCanvas(520, 112, s, bg, corner_mm=rng.uniform(3, 6))
    c.emboss = float(rng.uniform(0.4, 1.0))
    c.border(rng.uniform(1.5, 2.5), rng.uniform(1.6, 2.4), 4.0, fg, relief=0.7)
    dh = float(rng.uniform(56, 60))
    lh = dh * 0.74
    w = dh * float(rng.uniform(0.66, 0.74))
    base = 56 + dh / 2
    div = 404.0
    region = fields[-1]
    c.line(div, 4, div, 108, 2.2, fg, relief=0.6)
    rh = 42.0 if len(region) == 2 else 38.0
    c.groups(
        [(region, rh, w * (0.8 if len(region) == 2 else 0.66))], div + 4, 514, 10 + rh, look, fg
    )
    c.stamp(("rus", fg), div + 8, 84, 102, 17, lambda sub: _rus(sub, fg, 17, 24, 15))
    if fmt == "ru_trailer":
        groups = [(fields[0], lh, w), (fields[1], dh, w)]
    else:
        groups = [(fields[0], lh, w), (fields[1], dh, w), (fields[2], lh, w)]
    c.groups(groups, 12, div - 6, base, look, fg, gap_mm=5.0, min_group_gap=9, spread=0.35)
    return c


def _ru_two_line(
    fmt: str,
    fields: tuple[str, ...],
    rng: Generator,
    s: float,
    bg: Color,
    fg: Color,
    look: FontLook,
) -> PlateCanvas:
    c = PlateCanvas(290, 170, s, bg, corner_mm=6)
    c.emboss = float(rng.uniform(0.4, 1.0))
    c.border(2.0, 2.2, 6.0, fg, relief=0.7)
    h, w = 62.0, 40.0
    if fmt == "ru_moto":
        top, bottom, region = fields[0], fields[1], fields[2]
        c.groups([(top, h, w)], 10, 280, 14 + h, look, fg, line=0)
        c.groups([(bottom, h * 0.8, w)], 10, 170, 156, look, fg, line=1)
    else:
        letter, number, tail, region = fields
        c.groups([(letter, h * 0.74, w), (number, h, w)], 10, 280, 14 + h, look, fg)
        c.groups([(tail, h * 0.8, w)], 10, 170, 156, look, fg, line=1)
    c.groups([(region, 34, 24)], 178, 280, 128, look, fg, line=1)
    c.stamp(("rus", fg), 190, 136, 80, 13, lambda sub: _rus(sub, fg, 12, 18, 11))
    return c


# -- Kazakhstan -----------------------------------------------------------------------


def _kz_block(c: PlateCanvas, fg: Color, w: float, fh: float, th: float) -> None:
    """The Kazakh flag with "KZ" under it (on its own canvas)."""
    decor.kz_flag(c, 0, 0, w, fh)
    c.text(
        "KZ",
        w / 2,
        fh + (c.h / c.s - fh - th) / 2 + 1,
        th,
        DIN,
        fg,
        gap_mm=1.4,
        cell=False,
        record=False,
        align="center",
        relief=0.5,
    )


def draw_kz(
    fmt: str, fields: tuple[str, ...], two_line: bool, rng: Generator, s: float
) -> PlateCanvas:
    """Kazakh 2012 plates: flag and KZ at the left, region box at the right."""
    bg, fg = sheet(rng), ink(rng)
    look = _pick_look(rng, [DIN, FE, WIDE])
    number, series, region = fields
    if two_line:
        c = PlateCanvas(290, 170, s, bg, corner_mm=6)
        c.emboss = float(rng.uniform(0.3, 0.9))
        c.border(2.0, 2.2, 6.0, fg, relief=0.7)
        c.stamp(("kz", fg, 40), 10, 14, 40, 48, lambda sub: _kz_block(sub, fg, 40, 22, 18))
        c.groups([(number, 60, 38)], 58, 282, 76, look, fg)
        c.groups([(series, 60, 38)], 10, 200, 156, look, fg, line=1)
        c.line(206, 92, 206, 162, 2.2, fg)
        c.groups([(region, 44, 28)], 210, 282, 146, look, fg, line=1)
        return c
    c = PlateCanvas(520, 112, s, bg, corner_mm=rng.uniform(3, 6))
    c.emboss = float(rng.uniform(0.3, 0.9))
    c.border(rng.uniform(1.5, 2.5), rng.uniform(1.6, 2.4), 4.0, fg, relief=0.7)
    c.stamp(("kz", fg, 42), 9, 16, 42, 66, lambda sub: _kz_block(sub, fg, 42, 24, 30))
    h = float(rng.uniform(60, 68))
    w = h * 0.6
    base = 56 + h / 2
    div = 430.0
    c.line(div, 4, div, 108, 2.4, fg, relief=0.6)
    c.groups([(region, h * 0.9, w * 0.9)], div + 4, 512, base, look, fg)
    c.groups([(number, h, w), (series, h, w)], 58, div - 6, base, look, fg, spread=0.5)
    return c

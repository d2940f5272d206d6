"""``render_plate``: a plate string in, a face-on plate image with character
boxes out, in the style of its country and series."""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from platekeeper.recognition.text import normalise_plate
from platekeeper.sim.render.plate_canvas import DEFER_TEXT, PlateCanvas
from platekeeper.sim.render.plates_br import draw_br
from platekeeper.sim.render.plates_cis import draw_kz, draw_ru, draw_uz
from platekeeper.sim.render.plates_eu import draw_eu
from platekeeper.sim.render.plates_us import draw_us
from platekeeper.sim.render.raster import as_f32, as_u8
from platekeeper.sim.render.records import CharBox, PlateImage
from platekeeper.sim.render.syntax import plate_formats
from platekeeper.sim.render.syntax_base import PlateFormat
from platekeeper.sim.render.wear import PlateEffects, apply_effects

logger = logging.getLogger(__name__)

Generator = np.random.Generator
StyleFn = Callable[[str, tuple[str, ...], bool, Generator, float], PlateCanvas]

_STYLES: dict[str, StyleFn] = {
    "uz": draw_uz,
    "ru": draw_ru,
    "kz": draw_kz,
    "eu": draw_eu,
    "us": draw_us,
    "br": draw_br,
}


def resolve_format(fmt: str | PlateFormat) -> PlateFormat:
    """The :class:`PlateFormat` for a key (ValueError naming the known keys)."""
    if isinstance(fmt, PlateFormat):
        return fmt
    table = plate_formats()
    if fmt not in table:
        raise ValueError(f"unknown plate format {fmt!r}; known: {', '.join(sorted(table))}")
    return table[fmt]


def render_plate(
    text: str,
    fmt: str | PlateFormat,
    rng: Generator,
    *,
    px_per_mm: float = 1.0,
    two_line: bool | None = None,
    effects: PlateEffects | None = None,
    variants: int = 0,
) -> PlateImage:
    """Render ``text`` as a plate of series ``fmt`` (a key of
    :func:`plate_formats`, e.g. ``"uz_private"``).

    ``text`` may carry separators ("01 A 123 BC"); it must match the series'
    syntax once normalised. ``px_per_mm`` sets the resolution (a 520 mm EU-size
    plate is 520 px wide at 1.0). ``two_line`` picks the square layout where the
    series has one (None: at random among the layouts the series is issued
    in). ``effects`` None draws random wear and light; pass
    ``PlateEffects.clean()`` for a pristine plate.

    ``variants`` > 0 draws the plate's design (typeface look, sizes, border,
    decoration) from that many cached designs per series and layout, and only
    its characters, wear and light fresh: several times faster, for bulk
    rendering. 0 draws every design afresh.
    """
    f = resolve_format(fmt)
    canon = normalise_plate(text)
    fields = f.fields(canon)
    if px_per_mm <= 0.05 or px_per_mm > 20:
        raise ValueError("px_per_mm must be in (0.05, 20]")
    if two_line is None:
        two_line = bool(f.lines[int(rng.integers(0, len(f.lines)))] == 2)
    elif two_line and 2 not in f.lines:
        raise ValueError(f"{f.key} plates are not issued in a two-line layout")
    elif not two_line and 1 not in f.lines:
        raise ValueError(f"{f.key} plates are only issued in a two-line layout")
    if variants > 0 and 0.1 <= px_per_mm <= _TEMPLATE_MAX_SCALE:
        canvas = _from_template(
            f, canon, fields, two_line, px_per_mm, int(rng.integers(0, variants))
        )
        # Sheets and inks vary a little between plates of one template.
        cv2.multiply(canvas.img, np.array([*rng.uniform(0.96, 1.03, 3), 1.0]), dst=canvas.img)
    else:
        canvas = _STYLES[f.style](f.key, fields, two_line, rng, px_per_mm)
    img = canvas.finish(canvas.emboss)
    fx = effects if effects is not None else PlateEffects.random(rng)
    apply_effects(img, canvas.ink, fx, rng, px_per_mm)
    out = np.clip(img, 0, 255).astype(np.uint8)
    chars = _order(canvas.chars)
    got = "".join(c.char for c in chars)
    if got != canon:  # a style bug, never bad input: the text was validated above
        raise AssertionError(f"{f.key} style drew {len(got)} characters for {len(canon)}")
    return PlateImage(out, canvas.mask, canon, f.key, f.country, two_line, tuple(chars), px_per_mm)


@dataclass
class _Template:
    canvas: PlateCanvas
    nbytes: int


# Plate designs by (series, layout, resolution, variant, text shape), least
# recently used first, bounded by bytes: a design costs a few hundred kB.
_TEMPLATES: OrderedDict[tuple[object, ...], _Template] = OrderedDict()
_TEMPLATE_BYTES = [0]  # running total of the cache's size
_TEMPLATE_BUDGET = 128 * 1024 * 1024
_TEMPLATE_MAX_SCALE = 1.5


def _shape_of(canon: str, fields: tuple[str, ...]) -> tuple[object, ...]:
    """What a design may depend on: field lengths and where letters and digits are."""
    return (tuple(len(x) for x in fields), "".join("D" if c.isdigit() else "L" for c in canon))


def _from_template(
    f: PlateFormat, canon: str, fields: tuple[str, ...], two_line: bool, s: float, variant: int
) -> PlateCanvas:
    # Designs are kept at resolutions a factor of sqrt(2) apart and scaled down
    # to the one asked for, so that few of them serve every plate size.
    level = float(2 ** (math.ceil(2 * math.log2(s) - 1e-9) / 2))
    key = (f.key, two_line, level, variant, _shape_of(canon, fields))
    tpl = _TEMPLATES.get(key)
    if tpl is None:
        # The design's own generator, seeded from its key, so a design does
        # not depend on which plate happened to need it first.
        seed = zlib.crc32(repr(key).encode())
        token = DEFER_TEXT.set(True)
        try:
            canvas = _STYLES[f.style](f.key, fields, two_line, np.random.default_rng(seed), level)
        finally:
            DEFER_TEXT.reset(token)
        if not canvas.cacheable:
            # A design with proportional text cannot be reused: draw it whole.
            return _STYLES[f.style](f.key, fields, two_line, np.random.default_rng(seed), s)
        nbytes = canvas.img.nbytes + canvas.relief.nbytes + canvas.ink.nbytes + canvas.mask.nbytes
        tpl = _Template(canvas, nbytes)
        _TEMPLATES[key] = tpl
        _TEMPLATE_BYTES[0] += nbytes
        while _TEMPLATE_BYTES[0] > _TEMPLATE_BUDGET and len(_TEMPLATES) > 1:
            _, old = _TEMPLATES.popitem(last=False)
            _TEMPLATE_BYTES[0] -= old.nbytes
    else:
        _TEMPLATES.move_to_end(key)
    return _instantiate(tpl.canvas, f, two_line, s, canon)


def _instantiate(
    tpl: PlateCanvas, f: PlateFormat, two_line: bool, s: float, canon: str
) -> PlateCanvas:
    """A fresh canvas from a design, at resolution ``s``, with ``canon`` written in."""
    out = copy.copy(tpl)
    w_mm, h_mm = plate_size_mm(f, two_line)
    w, h = max(8, round(w_mm * s)), max(4, round(h_mm * s))
    if (w, h) == (tpl.w, tpl.h):
        out.img, out.relief, out.ink = tpl.img.copy(), tpl.relief.copy(), tpl.ink.copy()
    else:
        rx, ry = w / tpl.w, h / tpl.h
        size = (w, h)
        out.img = as_f32(cv2.resize(tpl.img, size, interpolation=cv2.INTER_AREA))
        out.relief = as_f32(cv2.resize(tpl.relief, size, interpolation=cv2.INTER_AREA))
        out.ink = as_f32(cv2.resize(tpl.ink, size, interpolation=cv2.INTER_AREA))
        out.mask = as_u8(cv2.resize(tpl.mask, size, interpolation=cv2.INTER_AREA))
        out.w, out.h, out.s = w, h, s
        out.slots = [
            dataclasses.replace(
                sl,
                x=sl.x * rx,
                y=round(sl.y * ry),
                width=max(1, round(sl.width * rx)),
                h=max(1, round(sl.h * ry)),
            )
            for sl in tpl.slots
        ]
    out.chars = []
    out.deferring = False
    out.fill_slots(canon)
    return out


def plate_size_mm(fmt: str | PlateFormat, two_line: bool) -> tuple[float, float]:
    """Physical (width, height) in millimetres of a series' plate in a layout."""
    f = resolve_format(fmt)
    if f.style == "us":
        return (305.0, 152.0)
    if f.style == "br":
        if f.key == "br_mercosur" and two_line:
            return (200.0, 170.0)
        return (400.0, 130.0)
    if f.style == "eu":
        return (280.0, 200.0) if two_line else (520.0, 110.0)
    if two_line:
        return (245.0, 160.0) if f.key == "uz_moto" else (290.0, 170.0)
    return (520.0, 112.0)


def _order(chars: list[CharBox]) -> list[CharBox]:
    """Characters in reading order: by line, then left to right."""
    return sorted(chars, key=lambda c: (c.line, c.box[0]))

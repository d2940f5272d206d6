"""``render_plate``: a plate string in, a face-on plate image with character
boxes out, in the style of its country and series."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from platekeeper.recognition.text import normalise_plate
from platekeeper.sim.render.plate_canvas import PlateCanvas
from platekeeper.sim.render.plates_br import draw_br
from platekeeper.sim.render.plates_cis import draw_kz, draw_ru, draw_uz
from platekeeper.sim.render.plates_eu import draw_eu
from platekeeper.sim.render.plates_us import draw_us
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
) -> PlateImage:
    """Render ``text`` as a plate of series ``fmt`` (a key of
    :func:`plate_formats`, e.g. ``"uz_private"``).

    ``text`` may carry separators ("01 A 123 BC"); it must match the series'
    syntax once normalised. ``px_per_mm`` sets the resolution (a 520 mm EU-size
    plate is 520 px wide at 1.0). ``two_line`` picks the square layout where the
    series has one (None: at random among the layouts the series is issued
    in). ``effects`` None draws random wear and light; pass
    ``PlateEffects.clean()`` for a pristine plate.
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

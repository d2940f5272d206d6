"""A drawing surface for one plate, laid out in millimetres.

Plate styles draw on a :class:`PlateCanvas`: coloured sheet, bands, flags,
border, characters (each recorded with its box when it is part of the plate
text), small decorative labels. Anything raised (embossed characters, the
rim) also goes into a relief map; :meth:`PlateCanvas.finish` lights that map
from the upper left so the result has the highlights and shadows of a pressed
metal plate rather than print on a flat card.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.font import FontLook, glyph_mask
from platekeeper.sim.render.plate_shapes import fill_poly, label_mask, outline, ring, rounded_rect
from platekeeper.sim.render.raster import fill
from platekeeper.sim.render.records import CharBox

Color = tuple[float, float, float]


# Set while a plate template is drawn: canvases made then defer their text.
DEFER_TEXT: ContextVar[bool] = ContextVar("DEFER_TEXT", default=False)

# Decoration stamps by (key, size, resolution): image, coverage, relief. A
# bounded dict rather than lru_cache because entries are made inside a method.
_STAMPS: dict[
    tuple[object, ...], tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]
] = {}


@dataclass(frozen=True)
class Slot:
    """Where one plate character goes: cell left edge (px), top, cell width,
    cap height, width scale, typeface, ink, relief, line, fixed pitch."""

    x: float
    y: int
    width: int
    h: int
    wscale: float
    look: FontLook
    color: Color
    relief: float
    line: int
    cell: bool


class PlateCanvas:
    """The plate being drawn: float BGR image, relief and text records."""

    def __init__(
        self,
        w_mm: float,
        h_mm: float,
        px_per_mm: float,
        color: Color,
        *,
        corner_mm: float = 4.0,
        track_alpha: bool = False,
    ) -> None:
        self.s = px_per_mm
        self.w = max(8, round(w_mm * px_per_mm))
        self.h = max(4, round(h_mm * px_per_mm))
        self.img = np.empty((self.h, self.w, 3), np.float32)
        fill(self.img, color)
        self.relief = np.zeros((self.h, self.w), np.float32)
        self.ink = np.zeros((self.h, self.w), np.float32)
        self.chars: list[CharBox] = []
        self.emboss = 0.0
        # Template mode: recorded plate text is laid out into slots, not drawn.
        self.deferring = DEFER_TEXT.get() and not track_alpha
        self.cacheable = True
        self.slots: list[Slot] = []
        self.mask = outline(self.w, self.h, round(corner_mm * px_per_mm * 4) / 4)
        # Stamps (decoration drawn once and reused) track what they cover.
        self.alpha = np.zeros((self.h, self.w), np.float32) if track_alpha else None

    def p(self, mm: float) -> float:
        """Millimetres to pixels."""
        return mm * self.s

    # -- primitive blending -------------------------------------------------

    def blend(
        self,
        cover: NDArray[np.uint8],
        x: int,
        y: int,
        color: Color,
        *,
        relief: float = 0.0,
        ink: bool = False,
        opacity: float = 1.0,
    ) -> None:
        """Paint ``color`` through a coverage mask whose top-left is (x, y)."""
        h, w = cover.shape
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.w, x + w), min(self.h, y + h)
        if x1 <= x0 or y1 <= y0:
            return
        a = cover[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32) * np.float32(opacity / 255.0)
        region = self.img[y0:y1, x0:x1]
        solid = np.empty_like(region)
        fill(solid, color)
        region[:] = cv2.blendLinear(solid, region, a, 1.0 - a)
        if self.alpha is not None:
            al = self.alpha[y0:y1, x0:x1]
            np.maximum(al, a, out=al)
        if relief:
            r = self.relief[y0:y1, x0:x1]
            np.maximum(r, a * relief, out=r)
        if ink:
            k = self.ink[y0:y1, x0:x1]
            np.maximum(k, a, out=k)

    def shape(
        self, pts_mm: Sequence[tuple[float, float]] | NDArray[np.float64], color: Color, **kw: float
    ) -> None:
        """A filled polygon given in millimetres."""
        pts = np.asarray(pts_mm, np.float64) * self.s
        x0, y0 = np.floor(pts.min(axis=0)).astype(int) - 1
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + 1
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        fill_poly(m, pts - (x0, y0))
        self.blend(
            m, int(x0), int(y0), color, relief=kw.get("relief", 0.0), opacity=kw.get("opacity", 1.0)
        )

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        color: Color,
        *,
        radius: float = 0.0,
        relief: float = 0.0,
        opacity: float = 1.0,
    ) -> None:
        """A (rounded) rectangle in millimetres."""
        self.shape(rounded_rect(x, y, x + w, y + h, radius), color, relief=relief, opacity=opacity)

    def ellipse(
        self, cx: float, cy: float, rx: float, ry: float, color: Color, *, relief: float = 0.0
    ) -> None:
        """A filled ellipse in millimetres."""
        t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
        pts = np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)
        self.shape(pts, color, relief=relief)

    def border(
        self, inset: float, width: float, radius: float, color: Color, *, relief: float = 0.6
    ) -> None:
        """A rim of ``width`` mm whose outer edge is ``inset`` mm inside the plate."""
        q = 0.25  # quantised so that the ring masks are shared between plates
        m = ring(
            self.w,
            self.h,
            self.s,
            round(inset / q) * q,
            round(width / q) * q,
            round(radius / q) * q,
        )
        self.blend(m, 0, 0, color, relief=relief)

    def line(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        width: float,
        color: Color,
        *,
        relief: float = 0.0,
    ) -> None:
        """A straight bar of ``width`` mm between two points (mm)."""
        d = np.array([x1 - x0, y1 - y0], np.float64)
        n = np.array([-d[1], d[0]]) / max(1e-9, float(np.hypot(*d))) * width / 2
        a, b = np.array([x0, y0]), np.array([x1, y1])
        self.shape([tuple(a + n), tuple(b + n), tuple(b - n), tuple(a - n)], color, relief=relief)

    # -- text -----------------------------------------------------------------

    def glyph_box(
        self, ch: str, look: FontLook, h_mm: float, w_mm: float | None
    ) -> tuple[int, int]:
        """Pixel size of one character drawn at cap height ``h_mm``; ``w_mm`` is the
        width of a full-width character (a digit) when the layout fixes it."""
        h = max(1, round(h_mm * self.s))
        natural = look.width(ch) * h
        if w_mm is not None:
            natural *= w_mm * self.s / (look.width("0") * h)
        return max(1, round(natural)), h

    def text(
        self,
        text: str,
        x_mm: float,
        y_mm: float,
        h_mm: float,
        look: FontLook,
        color: Color,
        *,
        w_mm: float | None = None,
        gap_mm: float = 3.0,
        cell: bool = True,
        record: bool = True,
        line: int = 0,
        relief: float = 1.0,
        align: str = "left",
    ) -> float:
        """Draw a run of plate characters with their tops at ``y_mm``; returns the
        x (mm) where the run ends. ``cell`` puts every character in a cell as wide
        as a digit (fixed pitch, narrow glyphs centred), as plate faces do.
        Spaces advance by half a cell and are never recorded.

        On a deferring canvas (a plate template) recorded fixed-pitch runs are
        only laid out: their slots are kept and filled later by
        :meth:`fill_slots` with whatever text the plate carries."""
        h = max(1, round(h_mm * self.s))
        cell_px = self.glyph_box("0", look, h_mm, w_mm)[0]
        wscale = 1.0 if w_mm is None else w_mm * self.s / (look.width("0") * h)
        gap = gap_mm * self.s
        widths = (
            [0 if ch == " " else self.glyph_box(ch, look, h_mm, w_mm)[0] for ch in text]
            if not cell
            else []
        )
        advances = []
        for i, ch in enumerate(text):
            if ch == " ":
                advances.append(cell_px * 0.5)
            else:
                advances.append((cell_px if cell else widths[i]) + gap)
        total = sum(advances) - (gap if text and text[-1] != " " else 0.0)
        x = x_mm * self.s
        if align == "center":
            x -= total / 2
        elif align == "right":
            x -= total
        y = round(y_mm * self.s)
        defer = self.deferring and record
        if defer and not cell:
            self.cacheable = False  # proportional text would bake its characters in
            defer = False
        slots: list[tuple[Slot, str]] = []
        for i, (ch, adv) in enumerate(zip(text, advances, strict=True)):
            if ch != " ":
                slot = Slot(
                    x, y, cell_px if cell else widths[i], h, wscale, look, color, relief, line, cell
                )
                if defer:
                    self.slots.append(slot)
                else:
                    slots.append((slot, ch))
            x += adv
        if slots:
            self._draw(slots, record)
        return x / self.s

    def _draw(self, slots: list[tuple[Slot, str]], record: bool) -> None:
        """Draw characters into their slots, one blend per ink colour."""
        layers: dict[tuple[Color, float], NDArray[np.uint8]] = {}
        for slot, ch in slots:
            gw = max(1, round(slot.look.width(ch) * slot.h * slot.wscale))
            if slot.cell:
                # Fixed-pitch plate faces draw M and W narrower so they fit the cell.
                gw = min(gw, round(slot.width * 1.06))
            gx = round(slot.x + (slot.width - gw) / 2)
            layer = layers.get((slot.color, slot.relief))
            if layer is None:
                layer = layers[(slot.color, slot.relief)] = np.zeros((self.h, self.w), np.uint8)
            glyph = glyph_mask(ch, slot.look, slot.h, gw)
            x0, y0 = max(0, gx), max(0, slot.y)
            x1, y1 = min(self.w, gx + gw), min(self.h, slot.y + slot.h)
            if x1 > x0 and y1 > y0:
                region = layer[y0:y1, x0:x1]
                np.maximum(region, glyph[y0 - slot.y : y1 - slot.y, x0 - gx : x1 - gx], out=region)
            if record:
                box = (float(gx), float(slot.y), float(gx + gw), float(slot.y + slot.h))
                self.chars.append(CharBox(ch, box, slot.line))
        for (color, relief), layer in layers.items():
            self.blend(layer, 0, 0, color, relief=relief, ink=True)

    def fill_slots(self, text: str) -> None:
        """Draw ``text`` into the deferred slots, in reading order."""
        order = sorted(self.slots, key=lambda sl: (sl.line, sl.x))
        if len(order) != len(text):
            raise ValueError("text does not fit the template's slots")
        self._draw(list(zip(order, text, strict=True)), True)

    def text_width(
        self,
        text: str,
        look: FontLook,
        h_mm: float,
        *,
        w_mm: float | None = None,
        gap_mm: float = 3.0,
        cell: bool = True,
    ) -> float:
        """Width in mm that :meth:`text` would use."""
        cell_w = self.glyph_box("0", look, h_mm, w_mm)[0] / self.s
        total = 0.0
        for ch in text:
            if ch == " ":
                total += cell_w * 0.5
            else:
                total += (
                    cell_w if cell else self.glyph_box(ch, look, h_mm, w_mm)[0] / self.s
                ) + gap_mm
        return total - (gap_mm if text and text[-1] != " " else 0.0)

    def groups(
        self,
        groups: Sequence[tuple[str, float, float | None]],
        x0: float,
        x1: float,
        baseline: float,
        look: FontLook,
        color: Color,
        *,
        gap_mm: float = 3.0,
        min_group_gap: float = 8.0,
        spread: float = 0.5,
        line: int = 0,
        relief: float = 1.0,
    ) -> None:
        """Lay out groups of (text, cap height, digit width) on one baseline
        between x0 and x1 (mm): condensed to fit when too wide, otherwise the
        spare room goes partly between groups (``spread``) and partly to the
        margins, as plate layouts space their fields."""
        widths = [self.text_width(t, look, h, w_mm=w, gap_mm=gap_mm) for t, h, w in groups]
        n = len(groups)
        need = sum(widths) + min_group_gap * (n - 1)
        avail = x1 - x0
        squeeze = min(1.0, avail / need) if need > 0 else 1.0
        if squeeze < 1.0:
            groups = [
                (
                    t,
                    h,
                    (w if w is not None else self.glyph_box("0", look, h, None)[0] / self.s)
                    * squeeze,
                )
                for t, h, w in groups
            ]
            widths = [
                self.text_width(t, look, h, w_mm=w, gap_mm=gap_mm * squeeze) for t, h, w in groups
            ]
            gap_mm *= squeeze
            need = sum(widths) + min_group_gap * squeeze * (n - 1)
        extra = max(0.0, avail - need)
        between = min_group_gap * squeeze + (extra * spread / (n - 1) if n > 1 else 0.0)
        x = x0 + (extra * (1 - spread) / 2 if n > 1 else extra / 2)
        for (t, h, w), width in zip(groups, widths, strict=True):
            self.text(
                t, x, baseline - h, h, look, color, w_mm=w, gap_mm=gap_mm, line=line, relief=relief
            )
            x += width + between

    def stamp(
        self,
        key: tuple[object, ...],
        x_mm: float,
        y_mm: float,
        w_mm: float,
        h_mm: float,
        draw: Callable[[PlateCanvas], None],
    ) -> None:
        """Draw decoration through a cache: ``draw`` paints on a transparent
        canvas of w_mm x h_mm (its own origin) the first time a ``key`` is seen
        at this resolution; later plates blend the cached pixels."""
        full = (*key, round(w_mm, 2), round(h_mm, 2), self.s)
        hit = _STAMPS.get(full)
        if hit is None:
            sub = PlateCanvas(w_mm, h_mm, self.s, (0.0, 0.0, 0.0), corner_mm=0.0, track_alpha=True)
            draw(sub)
            assert sub.alpha is not None
            # Drawn on black, the colours are premultiplied by coverage: undo that.
            straight = sub.img / np.maximum(sub.alpha, 1e-3)[..., None]
            hit = (straight.astype(np.float32), sub.alpha, sub.relief)
            if len(_STAMPS) > 4096:
                _STAMPS.clear()
            _STAMPS[full] = hit
        img, alpha, relief = hit
        x, y = round(x_mm * self.s), round(y_mm * self.s)
        h, w = alpha.shape
        x0, y0, x1, y1 = max(0, x), max(0, y), min(self.w, x + w), min(self.h, y + h)
        if x1 <= x0 or y1 <= y0:
            return
        sl = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
        a = alpha[sl]
        region = self.img[y0:y1, x0:x1]
        region[:] = cv2.blendLinear(
            np.ascontiguousarray(img[sl]), region, np.ascontiguousarray(a), 1.0 - a
        )
        r = self.relief[y0:y1, x0:x1]
        np.maximum(r, relief[sl], out=r)

    def label(
        self,
        text: str,
        x_mm: float,
        y_mm: float,
        h_mm: float,
        color: Color,
        *,
        font: str = "duplex",
        align: str = "center",
        weight: float = 1.0,
        max_w_mm: float | None = None,
        relief: float = 0.0,
    ) -> None:
        """Decorative text (state names, slogans, city lines) in a Hershey face;
        ``y_mm`` is the top of the capitals. Never part of the plate text."""
        h_px = h_mm * self.s
        if h_px < 1.5 or not text:
            return
        max_w = None if max_w_mm is None else round(max_w_mm * self.s)
        small, width, pad = label_mask(text, font, round(h_px * 2) / 2, max_w, round(weight, 2))
        x = x_mm * self.s
        if align == "center":
            x -= width / 2
        elif align == "right":
            x -= width
        self.blend(small, round(x - pad), round(y_mm * self.s - pad), color, relief=relief)

    # -- finishing --------------------------------------------------------------

    def finish(self, emboss: float, light_angle: float = 225.0) -> NDArray[np.float32]:
        """Light the relief (0 = flat print) and return the float image."""
        if emboss > 0 and self.relief.any():
            sigma = max(0.6, 0.7 * self.s)
            r = cv2.GaussianBlur(self.relief, (0, 0), sigma)
            gx = cv2.Sobel(r, cv2.CV_32F, 1, 0, ksize=3)
            gy = cv2.Sobel(r, cv2.CV_32F, 0, 1, ksize=3)
            a = math.radians(light_angle)
            # Light from the upper left: slopes rising to the right/down face it.
            shade = -(gx * math.cos(a) + gy * math.sin(a)) * (emboss * 60.0 / max(sigma, 1.0))
            self.img += shade[..., None]
        return self.img

"""Simple vehicles seen from behind or in front: coloured body, bumper, lamps,
glass, wheels, badges and lettering, and the plate holder. Drawn flat in the
vehicle's own plane (metres, origin at the ground below the centre) into a
patch that the scene then puts in perspective.

The shapes are plain on purpose; what matters for plate finding is that a
plate sits where plates sit (bumper, boot lid, tailgate), among the other
rectangles, lamps and words a vehicle carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.clutter import phone, stroke_text, word
from platekeeper.sim.render.font import CONDENSED, DIN

Generator = np.random.Generator
Image = NDArray[np.uint8]

KINDS = ("sedan", "hatchback", "suv", "van", "truck", "bus")
VIEWS = ("rear", "front")

# (width, height) in metres and the height of the plate centre for rear/front.
_DIMS: dict[str, tuple[float, float, float, float]] = {
    "sedan": (1.76, 1.45, 0.52, 0.42),
    "hatchback": (1.68, 1.5, 0.62, 0.42),
    "suv": (1.9, 1.75, 0.7, 0.5),
    "van": (1.65, 1.95, 0.5, 0.45),
    "truck": (2.48, 3.2, 0.55, 0.55),
    "bus": (2.5, 3.05, 0.55, 0.5),
}

# Body colours with rough shares (white and silver dominate the region's fleet).
_PAINT: tuple[tuple[tuple[int, int, int], float], ...] = (
    ((235, 236, 236), 0.34),
    ((185, 185, 182), 0.16),
    ((120, 120, 118), 0.1),
    ((25, 25, 28), 0.14),
    ((40, 40, 150), 0.06),
    ((130, 70, 20), 0.06),
    ((60, 80, 40), 0.03),
    ((20, 190, 240), 0.02),
    ((70, 55, 45), 0.04),
    ((160, 150, 120), 0.05),
)


@dataclass(frozen=True)
class VehicleShape:
    """The measurements of one vehicle face (metres)."""

    kind: str
    view: str
    width_m: float
    height_m: float
    plate_centre_m: tuple[float, float]


def vehicle_shape(rng: Generator, kind: str, view: str) -> VehicleShape:
    """Draw the size of a vehicle of a kind and where its plate sits."""
    if kind not in _DIMS or view not in VIEWS:
        raise ValueError(f"unknown vehicle kind/view: {kind}/{view}")
    w, h, rear_pv, front_pv = _DIMS[kind]
    w *= float(rng.uniform(0.94, 1.06))
    h *= float(rng.uniform(0.95, 1.05))
    pv = (rear_pv if view == "rear" else front_pv) * float(rng.uniform(0.9, 1.12))
    pu = (
        0.0 if kind not in ("truck", "bus") or rng.random() < 0.6 else float(rng.uniform(-0.5, 0.5))
    )
    return VehicleShape(kind, view, w, h, (pu, pv))


@dataclass
class VehiclePatch:
    """A vehicle drawn face on. ``scale`` is pixels per metre of the patch; the
    patch origin (0, 0) in metres is ``origin_px`` (ground below the centre)."""

    image: Image
    alpha: NDArray[np.uint8]
    scale: float
    origin_px: tuple[float, float]
    kind: str
    view: str
    width_m: float
    height_m: float
    plate_centre_m: tuple[float, float]
    lamps: list[tuple[float, float, float, tuple[int, int, int]]] = field(default_factory=list)

    def to_px(self, u: float, v: float) -> tuple[float, float]:
        """Patch pixel of a point ``u`` m right of centre, ``v`` m above ground."""
        return self.origin_px[0] + u * self.scale, self.origin_px[1] - v * self.scale


def paint(rng: Generator) -> tuple[int, int, int]:
    """A body colour drawn from the fleet's shares, slightly varied."""
    cols, shares = zip(*_PAINT, strict=True)
    p = np.array(shares) / sum(shares)
    base = np.array(cols[int(rng.choice(len(cols), p=p))], float)
    return tuple(int(v) for v in np.clip(base + rng.uniform(-10, 10, 3), 0, 255))  # type: ignore[return-value]


# Unit quarter-circle offsets for rounded boxes: corner centre + r * this.
_ARC = np.radians(np.arange(0, 91, 22.5))
_CORNERS = np.concatenate(
    [
        np.stack([np.cos(_ARC + np.radians(a0)), np.sin(_ARC + np.radians(a0))], axis=1)
        for a0 in (0, 90, 180, 270)
    ]
)
_CORNER_SIGN = np.repeat(
    np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], np.float64), len(_ARC), axis=0
)


class _Pen:
    """Draws polygons given in vehicle metres into the patch and its alpha."""

    def __init__(self, img: Image, alpha: NDArray[np.uint8], patch: VehiclePatch) -> None:
        self.img, self.alpha, self.p = img, alpha, patch
        self.origin = np.array(patch.origin_px, np.float64)
        self.flip = np.array([patch.scale, -patch.scale], np.float64)

    def poly(
        self,
        pts: list[tuple[float, float]] | NDArray[np.float64],
        color: tuple[int, ...],
        *,
        solid: bool = True,
    ) -> None:
        px = (self.origin + np.asarray(pts, np.float64) * self.flip) * 8
        poly = [np.round(px).astype(np.int32)]
        cv2.fillPoly(self.img, poly, color, cv2.LINE_AA, shift=3)
        if solid:
            cv2.fillPoly(self.alpha, poly, 255, cv2.LINE_AA, shift=3)

    def box(
        self,
        u0: float,
        v0: float,
        u1: float,
        v1: float,
        color: tuple[int, ...],
        *,
        round_m: float = 0.0,
        solid: bool = True,
    ) -> None:
        u0, u1 = min(u0, u1), max(u0, u1)
        v0, v1 = min(v0, v1), max(v0, v1)
        if round_m <= 0:
            self.poly([(u0, v0), (u1, v0), (u1, v1), (u0, v1)], color, solid=solid)
            return
        r = min(round_m, (u1 - u0) / 2, (v1 - v0) / 2)
        centre = np.array([(u0 + u1) / 2, (v0 + v1) / 2])
        half = np.array([(u1 - u0) / 2 - r, (v1 - v0) / 2 - r])
        self.poly(centre + _CORNER_SIGN * half + _CORNERS * r, color, solid=solid)


def _shade(c: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(v * k, 0, 255)) for v in c)  # type: ignore[return-value]


def draw_vehicle(
    rng: Generator, shape: VehicleShape, scale: float, plate_size_m: tuple[float, float]
) -> VehiclePatch:
    """Draw a vehicle at ``scale`` px/m with a holder for a plate of
    ``plate_size_m`` (width, height) at the shape's plate centre."""
    kind, view, w, h = shape.kind, shape.view, shape.width_m, shape.height_m
    margin = 0.08
    pw = max(8, round((w + 2 * margin) * scale))
    ph = max(8, round((h + 2 * margin) * scale))
    img = np.zeros((ph, pw, 3), np.uint8)
    alpha = np.zeros((ph, pw), np.uint8)
    patch = VehiclePatch(
        img, alpha, scale, (pw / 2, ph - margin * scale), kind, view, w, h, shape.plate_centre_m
    )
    pen = _Pen(img, alpha, patch)
    body = paint(rng)
    g0, g1, g2 = (int(v) for v in rng.integers(18, 45, 3))
    glass = (g0, g1, g2)
    hw = w / 2
    # Wheels peeking out below the body.
    for side in (-1, 1):
        pen.box(side * (hw - 0.08), 0.0, side * (hw - 0.36), 0.4, (22, 22, 22), round_m=0.05)
    if kind in ("truck", "bus"):
        _big(pen, rng, kind, view, w, h, body, glass, patch)
    else:
        _car(pen, rng, kind, view, w, h, body, glass, patch)
    # The plate holder: a dark recess a little larger than the plate.
    pwm, phm = plate_size_m
    u, v = patch.plate_centre_m
    pen.box(
        u - pwm / 2 - 0.015,
        v - phm / 2 - 0.015,
        u + pwm / 2 + 0.015,
        v + phm / 2 + 0.015,
        (30, 30, 32),
        round_m=0.01,
    )
    # Top surfaces catch the sky, lower ones are in shadow.
    prof = np.linspace(1.12, 0.72, ph, dtype=np.float32)[:, None, None]
    np.multiply(img, prof, out=img, casting="unsafe")
    return patch


def _car(
    pen: _Pen,
    rng: Generator,
    kind: str,
    view: str,
    w: float,
    h: float,
    body: tuple[int, int, int],
    glass: tuple[int, int, int],
    p: VehiclePatch,
) -> None:
    hw = w / 2
    belt = h * (0.56 if kind != "van" else 0.45)
    roof_w = hw * (0.78 if kind != "van" else 0.95)
    # Body below the belt line, cabin (pillars) above it, roof.
    pen.box(-hw, 0.18, hw, belt, body, round_m=0.12)
    pen.poly(
        [
            (-hw * 0.96, belt - 0.02),
            (hw * 0.96, belt - 0.02),
            (roof_w, h - 0.06),
            (-roof_w, h - 0.06),
        ],
        body,
    )
    pen.box(-roof_w, h - 0.12, roof_w, h, _shade(body, 1.1), round_m=0.06)
    win_lo = belt + 0.06
    inset = 0.12 if view == "rear" else 0.06
    pen.poly(
        [
            (-hw * 0.96 + inset, win_lo),
            (hw * 0.96 - inset, win_lo),
            (roof_w - inset * 0.7, h - 0.13),
            (-roof_w + inset * 0.7, h - 0.13),
        ],
        glass,
    )
    # A sky reflection across the glass.
    sheen = _shade(glass, 2.2)
    t = float(rng.uniform(0.2, 0.7))
    pen.poly(
        [
            (-hw * 0.6, win_lo + 0.02),
            (-hw * (0.6 - t * 0.5), win_lo + 0.02),
            (-roof_w * 0.2, h - 0.15),
            (-roof_w * 0.45, h - 0.15),
        ],
        sheen,
        solid=False,
    )
    bumper_col = _shade(body, 0.85) if rng.random() < 0.6 else (35, 35, 36)
    pen.box(-hw * 1.01, 0.2, hw * 1.01, 0.45, bumper_col, round_m=0.08)
    if view == "rear":
        for side in (-1, 1):
            u0, u1 = side * (hw - 0.03), side * (hw - 0.4)
            lamp_v0 = belt - 0.22
            pen.box(min(u0, u1), lamp_v0, max(u0, u1), belt - 0.04, (30, 30, 170), round_m=0.04)
            pen.box(
                min(u0, u1) + 0.05,
                lamp_v0 + 0.03,
                max(u0, u1) - 0.22 if side > 0 else max(u0, u1) - 0.05,
                lamp_v0 + 0.08,
                (170, 170, 175),
            )
            p.lamps.append((side * (hw - 0.2), belt - 0.13, 0.12, (40, 40, 255)))
        pen.box(-0.09, belt - 0.1, 0.09, belt - 0.04, (190, 190, 195), round_m=0.03)
        if rng.random() < 0.8:
            # Model name on the boot lid: text that is not a plate.
            x, y = p.to_px(hw * 0.35, belt - 0.05)
            stroke_text(
                pen.img,
                word(rng),
                x,
                y,
                0.045 * p.scale,
                (200, 200, 205),
                CONDENSED,
                max_w=0.45 * p.scale,
            )
    else:
        grille = (28, 28, 30)
        pen.box(-hw * 0.55, 0.42, hw * 0.55, belt - 0.1, grille, round_m=0.05)
        for side in (-1, 1):
            u0, u1 = side * (hw - 0.05), side * (hw - 0.45)
            pen.box(
                min(u0, u1), belt - 0.2, max(u0, u1), belt - 0.05, (200, 205, 210), round_m=0.05
            )
            p.lamps.append((side * (hw - 0.25), belt - 0.12, 0.14, (235, 245, 255)))
        pen.box(-0.1, belt - 0.16, 0.1, belt - 0.1, (200, 200, 205), round_m=0.03)


def _big(
    pen: _Pen,
    rng: Generator,
    kind: str,
    view: str,
    w: float,
    h: float,
    body: tuple[int, int, int],
    glass: tuple[int, int, int],
    p: VehiclePatch,
) -> None:
    hw = w / 2
    if view == "front":
        pen.box(-hw, 0.3, hw, h, body, round_m=0.1)
        pen.box(-hw * 0.92, h * 0.5, hw * 0.92, h * 0.92, glass, round_m=0.08)
        pen.box(-hw * 0.6, 0.75, hw * 0.6, h * 0.42, (40, 40, 42), round_m=0.05)
        pen.box(-hw, 0.3, hw, 0.7, (45, 45, 48), round_m=0.05)
        for side in (-1, 1):
            pen.box(
                side * (hw - 0.1) - 0.15,
                0.8,
                side * (hw - 0.1) + 0.15,
                1.0,
                (210, 215, 220),
                round_m=0.05,
            )
            p.lamps.append((side * (hw - 0.1), 0.9, 0.16, (235, 245, 255)))
        if kind == "bus":
            x, y = p.to_px(-hw * 0.8, h * 0.97)
            stroke_text(
                pen.img, f"{rng.integers(1, 160)}", x, y, 0.22 * p.scale, (0, 200, 255), DIN
            )
        return
    b0, b1, b2 = (int(v) for v in rng.integers(150, 245, 3))
    box = body if kind == "bus" or rng.random() < 0.5 else (b0, b1, b2)
    pen.box(-hw, 0.45, hw, h, box, round_m=0.04)
    if kind == "truck":
        # Two doors, hinges and a company name with a phone number.
        pen.box(-0.01, 0.5, 0.01, h - 0.05, _shade(box, 0.6))
        for v in (0.9, h * 0.5, h - 0.4):
            for side in (-1, 1):
                pen.box(side * hw * 0.96 - 0.04, v, side * hw * 0.96 + 0.04, v + 0.12, (80, 80, 85))
        ink = (20, 20, 20) if sum(box) > 380 else (240, 240, 240)
        if rng.random() < 0.8:
            x, y = p.to_px(-hw * 0.85, h * 0.8)
            stroke_text(
                pen.img, word(rng), x, y, 0.28 * p.scale, ink, DIN, max_w=w * 0.85 * p.scale
            )
            x, y = p.to_px(-hw * 0.85, h * 0.55)
            stroke_text(
                pen.img,
                phone(rng).replace("+", ""),
                x,
                y,
                0.16 * p.scale,
                ink,
                CONDENSED,
                max_w=w * 0.85 * p.scale,
            )
        pen.box(-hw * 0.95, 0.35, hw * 0.95, 0.45, (40, 40, 40))
    else:
        pen.box(-hw * 0.9, h * 0.62, hw * 0.9, h * 0.9, glass, round_m=0.06)
        pen.box(-hw * 0.8, 0.7, hw * 0.8, h * 0.5, _shade(box, 0.7), round_m=0.04)
        x, y = p.to_px(-hw * 0.7, h * 0.58)
        stroke_text(
            pen.img, word(rng), x, y, 0.14 * p.scale, (240, 240, 240), DIN, max_w=w * 0.7 * p.scale
        )
    for side in (-1, 1):
        pen.box(
            side * (hw - 0.05) - 0.12,
            0.55,
            side * (hw - 0.05) + 0.12,
            0.8,
            (30, 30, 170),
            round_m=0.03,
        )
        p.lamps.append((side * (hw - 0.05), 0.68, 0.12, (40, 40, 255)))

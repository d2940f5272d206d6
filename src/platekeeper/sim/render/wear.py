"""Ageing and lighting of a plate face: dirt, worn print, scratches, cast
shadows, uneven light, gloss. Applied to the float image of a finished plate
before it is placed in a scene or cropped."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Generator = np.random.Generator


@dataclass(frozen=True)
class PlateEffects:
    """How weathered and how lit a plate is; every field 0 means pristine."""

    dirt: float = 0.0
    wear: float = 0.0
    scratches: int = 0
    shadow: float = 0.0
    light_gradient: float = 0.0
    gloss: float = 0.0
    grain: float = 0.3

    @classmethod
    def clean(cls) -> PlateEffects:
        """A new plate in flat light."""
        return cls(grain=0.0)

    @classmethod
    def random(cls, rng: Generator, severity: float = 0.5) -> PlateEffects:
        """Effects drawn at random; ``severity`` 0..1 scales how bad they get."""
        sv = float(np.clip(severity, 0.0, 1.0))

        def amount(p: float, hi: float) -> float:
            return float(rng.uniform(0, hi) * sv * 2) if rng.random() < p else 0.0

        return cls(
            dirt=min(1.0, amount(0.5, 0.6)),
            wear=min(1.0, amount(0.3, 0.5)),
            scratches=int(rng.integers(0, 6)) if rng.random() < 0.3 * sv * 2 else 0,
            shadow=min(0.9, amount(0.25, 0.5)),
            light_gradient=min(1.0, amount(0.6, 0.5)),
            gloss=min(1.0, amount(0.2, 0.4)),
            grain=float(rng.uniform(0.1, 0.6)),
        )


def _smooth_noise(rng: Generator, h: int, w: int, cells: int) -> NDArray[np.float32]:
    """Blotchy noise in 0..1 with about ``cells`` features across the width."""
    gh = max(2, round(cells * h / max(w, 1)))
    grid = rng.random((gh, cells)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def apply_effects(
    img: NDArray[np.float32],
    ink: NDArray[np.float32],
    fx: PlateEffects,
    rng: Generator,
    px_per_mm: float,
) -> NDArray[np.float32]:
    """Weather a plate image in place and return it (float BGR, 0..255)."""
    h, w = img.shape[:2]
    if fx.wear > 0:
        # Worn print: the ink thins in patches towards the sheet colour.
        patches = np.clip((_smooth_noise(rng, h, w, 10) - (1 - fx.wear)) * 3, 0, 1)
        bg = cv2.dilate(img, np.ones((3, 3), np.uint8)) if ink.any() else img
        lift = (ink * patches * 0.7)[..., None]
        img += (bg - img) * lift
    if fx.dirt > 0:
        blot = _smooth_noise(rng, h, w, 14) * _smooth_noise(rng, h, w, 4)
        # Road grime collects towards the bottom edge.
        ramp = np.linspace(0.4, 1.0, h, dtype=np.float32)[:, None]
        d = np.clip(blot * ramp * fx.dirt * 1.6, 0, 0.85)[..., None]
        grime = np.array(rng.uniform([40, 55, 70], [80, 95, 110]), np.float32)
        img += (grime - img) * d
        specks = rng.random((h, w)) < 0.0008 * fx.dirt
        img[specks] *= 0.5
    for _ in range(fx.scratches):
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        length = rng.uniform(0.1, 0.5) * w
        ang = rng.uniform(-0.5, 0.5)
        x1, y1 = x0 + np.cos(ang) * length, y0 + np.sin(ang) * length
        val = float(rng.choice([200.0, 60.0]))
        layer = np.zeros((h, w), np.float32)
        cv2.line(layer, (int(x0), int(y0)), (int(x1), int(y1)), 1.0, max(1, round(0.4 * px_per_mm)), cv2.LINE_AA)
        a = layer[..., None] * rng.uniform(0.2, 0.5)
        img += (val - img) * a
    if fx.light_gradient > 0:
        ang = rng.uniform(0, 2 * np.pi)
        xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
        ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
        ramp = 1.0 + fx.light_gradient * 0.35 * (np.cos(ang) * xs + np.sin(ang) * ys * 0.5)
        img *= ramp[..., None]
    if fx.shadow > 0:
        # A straight-edged shadow cast by the bumper, boot lid or plate frame.
        mask = np.zeros((h, w), np.float32)
        y_edge = rng.uniform(0.1, 0.6) * h
        slope = rng.uniform(-0.3, 0.3) * h
        pts = np.array([[0, 0], [w, 0], [w, y_edge + slope], [0, y_edge - slope]], np.int32)
        if rng.random() < 0.5:
            pts = np.array([[0, 0], [rng.uniform(0.1, 0.5) * w, 0], [rng.uniform(0.05, 0.4) * w, h], [0, h]], np.int32)
        cv2.fillPoly(mask, [pts], 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, 2.0 * px_per_mm))
        img *= (1.0 - fx.shadow * 0.7 * mask)[..., None]
    if fx.gloss > 0:
        # A soft specular band from a reflected sky or lamp.
        xs = np.arange(w, dtype=np.float32)[None, :]
        ys = np.arange(h, dtype=np.float32)[:, None]
        cx = rng.uniform(0, w)
        tilt = rng.uniform(-1.5, 1.5)
        dist = np.abs(xs - cx - tilt * (ys - h / 2))
        band = np.exp(-((dist / (0.12 * w)) ** 2)) * fx.gloss * 90.0
        img += band[..., None]
    if fx.grain > 0:
        gh, gw = max(2, h // 2), max(2, w // 2)
        g = rng.standard_normal((gh, gw), np.float32)
        g = cv2.resize(g, (w, h), interpolation=cv2.INTER_LINEAR)
        img += (g * (fx.grain * 6.0))[..., None]
    return img

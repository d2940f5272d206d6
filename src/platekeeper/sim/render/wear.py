"""Ageing and lighting of a plate face: dirt, worn print, scratches, cast
shadows, uneven light, gloss. Applied to the float image of a finished plate
before it is placed in a scene or cropped."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.raster import as_f32, fill

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
    grid = rng.random((gh, cells), dtype=np.float32)
    return as_f32(cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC))


@lru_cache(maxsize=1)
def _grain_field() -> NDArray[np.float32]:
    """Fixed fine grain (unit variance) that plates take windows of."""
    cv2.setRNGSeed(0x6A1)
    field = np.empty((512, 1024), np.float32)
    cv2.randn(field, np.zeros(1), np.ones(1))
    field = as_f32(cv2.GaussianBlur(field, (0, 0), 0.6))
    field /= max(float(field.std()), 1e-6)
    field.setflags(write=False)
    return field


def _towards(
    img: NDArray[np.float32],
    target: NDArray[np.float32] | tuple[float, float, float],
    amount: NDArray[np.float32],
) -> None:
    """img <- img + (target - img) * amount, per pixel, in place."""
    if isinstance(target, tuple):
        solid = np.empty_like(img)
        fill(solid, target)
        target = solid
    a = np.ascontiguousarray(np.clip(amount, 0.0, 1.0), np.float32)
    img[:] = cv2.blendLinear(target, img, a, 1.0 - a)


def _gain(img: NDArray[np.float32], gain: NDArray[np.float32]) -> None:
    """Multiply every channel by a per-pixel gain, in place."""
    cv2.multiply(img, cv2.merge([gain, gain, gain]), dst=img)


def _scratch(img: NDArray[np.float32], rng: Generator, px_per_mm: float) -> None:
    """A thin light or dark line across the plate."""
    h, w = img.shape[:2]
    x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
    length = rng.uniform(0.1, 0.5) * w
    ang = rng.uniform(-0.5, 0.5)
    x1, y1 = x0 + np.cos(ang) * length, y0 + np.sin(ang) * length
    val = float(rng.choice([200.0, 60.0]))
    layer = np.zeros((h, w), np.float32)
    width = max(1, round(0.4 * px_per_mm))
    cv2.line(
        layer,
        (int(x0), int(y0)),
        (int(x1), int(y1)),
        float(rng.uniform(0.2, 0.5)),
        width,
        cv2.LINE_AA,
    )
    _towards(img, (val, val, val), layer)


def _shadow(img: NDArray[np.float32], rng: Generator, strength: float, px_per_mm: float) -> None:
    """A straight-edged shadow cast by the bumper, boot lid or plate frame."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.float32)
    y_edge = rng.uniform(0.1, 0.6) * h
    slope = rng.uniform(-0.3, 0.3) * h
    pts = np.array([[0, 0], [w, 0], [w, y_edge + slope], [0, y_edge - slope]], np.int32)
    if rng.random() < 0.5:
        pts = np.array(
            [[0, 0], [rng.uniform(0.1, 0.5) * w, 0], [rng.uniform(0.05, 0.4) * w, h], [0, h]],
            np.int32,
        )
    cv2.fillPoly(mask, [pts], 1.0)
    mask = as_f32(cv2.GaussianBlur(mask, (0, 0), max(1.0, 2.0 * px_per_mm)))
    _gain(img, 1.0 - strength * 0.7 * mask)


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
        sheet = as_f32(cv2.dilate(img, np.ones((5, 5), np.uint8)))
        _towards(img, sheet, ink * patches * 0.7)
    if fx.dirt > 0:
        blot = _smooth_noise(rng, h, w, 14) * _smooth_noise(rng, h, w, 4)
        # Road grime collects towards the bottom edge.
        ramp = np.linspace(0.4, 1.0, h, dtype=np.float32)[:, None]
        grime = tuple(float(v) for v in rng.uniform([40, 55, 70], [80, 95, 110]))
        _towards(img, grime, np.minimum(blot * ramp * (fx.dirt * 1.6), 0.85))  # type: ignore[arg-type]
    for _ in range(fx.scratches):
        _scratch(img, rng, px_per_mm)
    if fx.light_gradient > 0:
        ang = rng.uniform(0, 2 * np.pi)
        k = fx.light_gradient * 0.35
        corners = np.array([[-1, 1], [-1, 1]], np.float32)
        ramp = 1.0 + k * (np.cos(ang) * corners + np.sin(ang) * 0.5 * corners.T)
        _gain(img, cv2.resize(ramp.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR))
    if fx.shadow > 0:
        _shadow(img, rng, fx.shadow, px_per_mm)
    if fx.gloss > 0:
        # A soft specular band from a reflected sky or lamp, built coarse.
        gh, gw = max(2, h // 4), max(2, w // 4)
        xs = np.arange(gw, dtype=np.float32)[None, :]
        ys = np.arange(gh, dtype=np.float32)[:, None]
        cx, tilt = rng.uniform(0, gw), rng.uniform(-1.5, 1.5)
        band = np.exp(-(((xs - cx - tilt * (ys - gh / 2)) / (0.12 * gw)) ** 2)) * (fx.gloss * 90.0)
        big = cv2.resize(band.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        cv2.add(img, cv2.merge([big, big, big]), dst=img)
    if fx.grain > 0:
        field = _grain_field()
        oy, ox = int(rng.integers(0, max(1, 512 - h))), int(rng.integers(0, max(1, 1024 - w)))
        g = field[oy : oy + h, ox : ox + w]
        if g.shape != (h, w):
            g = as_f32(cv2.resize(field, (w, h)))
        g = g * np.float32(fx.grain * 6.0)
        cv2.add(img, cv2.merge([g, g, g]), dst=img)
    return img

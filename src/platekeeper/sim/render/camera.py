"""Light and camera: how each layer of a scene is lit (day, dusk, night, infrared
night) and what the camera does to the frame (defocus, sensor noise, JPEG).

Lighting is applied per layer before composition, because a plate is
retro-reflective: under a camera's illuminator at night it stays bright while
the car and the road around it go dark. Everything here works on uint8 images
with lookup tables and cached noise fields, so a full-HD frame costs a few
milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.raster import as_f32, as_u8

Generator = np.random.Generator
Image = NDArray[np.uint8]

LIGHTING_MODES = ("day", "dusk", "night", "night_ir")


@dataclass(frozen=True)
class Lighting:
    """How one frame is lit. Gains multiply linear-ish intensity per layer."""

    mode: str
    background_gain: float
    body_gain: float
    plate_gain: float
    tint: tuple[float, float, float]
    gamma: float
    haze: float
    noise: float
    lights_on: bool
    grey: bool

    def lut(self, layer: str) -> NDArray[np.uint8]:
        """A 256x1x3 lookup table for a layer: background, body or plate."""
        return _lut(self, layer)

    def apply(self, img: Image, layer: str) -> Image:
        """Light one layer (BGR uint8); infrared frames come back grey in 3 channels."""
        if self.grey:
            g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            g = cv2.LUT(g, np.ascontiguousarray(_lut(self, layer)[:, :, 1]))
            return as_u8(cv2.cvtColor(g, cv2.COLOR_GRAY2BGR))
        return as_u8(cv2.LUT(img, _lut(self, layer)))


@lru_cache(maxsize=64)
def _lut(light: Lighting, layer: str) -> NDArray[np.uint8]:
    gain = {
        "background": light.background_gain,
        "body": light.body_gain,
        "plate": light.plate_gain,
    }[layer]
    x = np.arange(256, dtype=np.float32)[:, None] / np.float32(255.0)
    y = np.clip(
        x * (np.asarray(light.tint, np.float32) * np.float32(gain)), 0.0, 1.0
    ) ** np.float32(light.gamma)
    # Haze lifts the blacks and flattens contrast towards a grey veil.
    veil = 0.55 if light.mode == "day" else 0.25
    y = y * np.float32(1 - light.haze) + np.float32(veil * light.haze)
    return np.ascontiguousarray((y * 255 + 0.5).astype(np.uint8)[:, None, :])


def make_lighting(rng: Generator, mode: str | None = None) -> Lighting:
    """Draw a lighting condition (``mode`` None: day 55%, dusk 15%, night 15%,
    infrared night 15%)."""
    if mode is None:
        mode = str(rng.choice(LIGHTING_MODES, p=[0.55, 0.15, 0.15, 0.15]))
    if mode not in LIGHTING_MODES:
        raise ValueError(f"lighting must be one of {', '.join(LIGHTING_MODES)}")
    haze = float(rng.uniform(0, 0.35)) if rng.random() < 0.25 else 0.0
    if mode == "day":
        g = float(rng.uniform(0.8, 1.15))
        warm = float(rng.uniform(-0.06, 0.06))
        return Lighting(
            mode,
            g,
            g,
            g * float(rng.uniform(0.9, 1.1)),
            (1 - warm, 1.0, 1 + warm),
            float(rng.uniform(0.85, 1.15)),
            haze,
            float(rng.uniform(0.5, 1.5)),
            False,
            False,
        )
    if mode == "dusk":
        g = float(rng.uniform(0.35, 0.6))
        return Lighting(
            mode,
            g,
            g,
            g * float(rng.uniform(1.1, 1.6)),
            (1.1, 0.98, 0.92) if rng.random() < 0.5 else (0.92, 0.96, 1.08),
            float(rng.uniform(1.0, 1.3)),
            haze * 0.5,
            float(rng.uniform(1.5, 3.0)),
            True,
            False,
        )
    if mode == "night":
        g = float(rng.uniform(0.12, 0.3))
        return Lighting(
            mode,
            g,
            g * 1.2,
            float(rng.uniform(0.55, 0.95)),
            (0.8, 0.95, 1.15),
            float(rng.uniform(1.1, 1.5)),
            0.0,
            float(rng.uniform(2.5, 4.5)),
            True,
            False,
        )
    g = float(rng.uniform(0.15, 0.35))
    return Lighting(
        mode,
        g,
        g * 1.6,
        float(rng.uniform(0.9, 1.4)),
        (1.0, 1.0, 1.0),
        float(rng.uniform(0.9, 1.3)),
        0.0,
        float(rng.uniform(2.0, 4.0)),
        True,
        True,
    )


# -- camera -----------------------------------------------------------------------------


_TILE = 1024
_NOISE_LEVELS = (1.5, 3.0, 5.0, 8.0)


@lru_cache(maxsize=len(_NOISE_LEVELS) * 2)
def _noise_tiles(level: float, channels: int) -> tuple[Image, Image]:
    """A fixed tile of sensor noise of one strength, split into its positive
    and negative parts so that it can be applied with two saturating uint8
    additions. Made once per process from a constant seed."""
    size = _TILE + 64
    field = np.empty((size, size, channels), np.float32)
    cv2.setRNGSeed(0x5EED + int(level * 10) + channels)
    cv2.randn(field, np.zeros(channels), np.ones(channels))
    # Demosaicing and in-camera denoising make real noise a little blotchy.
    field = as_f32(cv2.GaussianBlur(field, (0, 0), 0.7)).reshape(size, size, channels)
    field *= np.float32(level / max(float(field.std()), 1e-6))
    pos = np.clip(field, 0, 255).astype(np.uint8)
    neg = np.clip(-field, 0, 255).astype(np.uint8)
    if channels == 1:
        pos, neg = pos[..., 0], neg[..., 0]
    pos.setflags(write=False)
    neg.setflags(write=False)
    return pos, neg


def add_noise(img: Image, rng: Generator, sigma: float, *, mono: bool = False) -> Image:
    """Sensor noise of about ``sigma`` grey levels (``mono``: the same in every
    channel, as on a monochrome infrared sensor). The frame is covered with
    tiles of a fixed noise field, each at its own random offset."""
    if sigma <= 0.5:
        return img
    level = min(_NOISE_LEVELS, key=lambda v: abs(v - sigma))
    pos, neg = _noise_tiles(level, 1 if mono else 3)
    # A monochrome frame gets its noise in one channel, then is spread back.
    out = as_u8(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)) if mono else img.copy()
    h, w = out.shape[:2]
    for y in range(0, h, _TILE):
        for x in range(0, w, _TILE):
            th, tw = min(_TILE, h - y), min(_TILE, w - x)
            oy, ox = int(rng.integers(0, 64)), int(rng.integers(0, 64))
            region = out[y : y + th, x : x + tw]
            cv2.add(region, pos[oy : oy + th, ox : ox + tw], dst=region)
            cv2.subtract(region, neg[oy : oy + th, ox : ox + tw], dst=region)
    return as_u8(cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)) if mono else out


def defocus(img: Image, sigma: float) -> Image:
    """Out-of-focus blur of about ``sigma`` pixels. Blurring at half size and
    scaling back costs a quarter of a full-size blur and looks the same once
    the detail is gone anyway."""
    if sigma < 0.4:
        return img
    h, w = img.shape[:2]
    if sigma < 1.2:
        return as_u8(cv2.GaussianBlur(img, (0, 0), sigma))
    small = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(0.3, (sigma**2 - 1.0) ** 0.5 / 2))
    return as_u8(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))


def motion_blur(img: Image, length: float, angle_deg: float) -> Image:
    """Linear motion blur of ``length`` pixels along ``angle_deg``."""
    if length < 1.5:
        return img
    n = int(np.ceil(length)) | 1
    kernel = np.zeros((n, n), np.float32)
    c = n // 2
    a = np.radians(angle_deg)
    dx, dy = np.cos(a) * (length / 2), np.sin(a) * (length / 2)
    cv2.line(
        kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA
    )
    kernel /= max(float(kernel.sum()), 1e-6)
    return as_u8(cv2.filter2D(img, -1, kernel))


def jpeg_roundtrip(img: Image, quality: int) -> tuple[Image, bytes]:
    """Compress and decompress; also returns the JPEG bytes."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 BGR image
        raise RuntimeError("JPEG encoding failed")
    data = buf.tobytes()
    out = as_u8(cv2.imdecode(buf, cv2.IMREAD_COLOR))
    return out, data


@lru_cache(maxsize=4)
def _falloff(h: int, w: int) -> Image:
    """Illuminator falloff: bright centre, darker corners (uint8, 255 = 1.0)."""
    ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    r2 = xs**2 * 0.8 + ys**2
    f = np.clip(1.15 - 0.55 * r2, 0.35, 1.0)
    out = as_u8(cv2.cvtColor((f * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))
    out.setflags(write=False)
    return out


def illuminator_falloff(img: Image) -> Image:
    """Darken towards the corners as an infrared illuminator does."""
    h, w = img.shape[:2]
    return as_u8(cv2.multiply(img, _falloff(h, w), scale=1.0 / 255.0))

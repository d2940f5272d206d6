"""``render_plate_crop``: the kind of image a plate detector hands to OCR - a
plate cut out of a frame with a little (or too little) margin, slightly off in
perspective, lit and degraded like the frame it came from - with its text
and geometry. Made directly, without rendering a whole scene."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.camera import add_noise, jpeg_roundtrip, make_lighting, motion_blur
from platekeeper.sim.render.compose import map_boxes
from platekeeper.sim.render.plate import plate_size_mm, render_plate, resolve_format
from platekeeper.sim.render.raster import as_u8, vertical_gradient
from platekeeper.sim.render.records import PlateCrop
from platekeeper.sim.render.scene import quantised_scale
from platekeeper.sim.render.syntax import random_format
from platekeeper.sim.render.vehicle import paint
from platekeeper.sim.render.wear import PlateEffects

Generator = np.random.Generator


@dataclass(frozen=True)
class CropOptions:
    """How crops are made. Ranges are (low, high), drawn uniformly per crop.
    ``plate_variants`` is the number of cached plate designs per series (see
    :func:`render_plate`; 0 draws every design afresh, slower)."""

    out_height: int = 64
    out_width: int | None = None
    formats: tuple[str, ...] | None = None
    lighting: str | None = None
    margin: tuple[float, float] = (-0.01, 0.2)
    jitter: float = 0.04
    max_roll_deg: float = 8.0
    resolution: tuple[float, float] = (0.35, 1.0)
    blur: float = 0.35
    noise: tuple[float, float] = (0.0, 8.0)
    jpeg_quality: tuple[int, int] | None = (35, 95)
    plate_wear: float = 0.5
    plate_variants: int = 16

    def __post_init__(self) -> None:
        if not 8 <= self.out_height <= 512:
            raise ValueError("out_height must be between 8 and 512")
        if self.out_width is not None and not 8 <= self.out_width <= 2048:
            raise ValueError("out_width must be between 8 and 2048")
        if not 0.05 <= self.resolution[0] <= self.resolution[1] <= 1.0:
            raise ValueError("resolution must be a range within [0.05, 1]")


def _context(rng: Generator, w: int, h: int) -> NDArray[np.uint8]:
    """What surrounds a plate in a crop: body paint, the bumper's edge, shadow."""
    body = paint(rng)
    top = tuple(min(255.0, c * 1.15) for c in body)
    bottom = tuple(c * 0.55 for c in body)
    img = vertical_gradient(h, w, top, bottom).astype(np.uint8)
    if rng.random() < 0.6:
        y = int(rng.uniform(0.0, 1.0) * h)
        cv2.rectangle(img, (0, y), (w, min(h, y + max(1, h // 10))), (25, 25, 28), -1)
    return img


def _layout(
    rng: Generator, opts: CropOptions, aspect: float
) -> tuple[int, int, int, int, NDArray[np.float64]]:
    """Output size, working size (smaller for distant plates) and where the
    plate's corners fall in the working image."""
    margin = rng.uniform(opts.margin[0], opts.margin[1], 4)  # left, top, right, bottom
    out_h = opts.out_height
    span_w = aspect * (1 + margin[0] + margin[2]) / (1 + margin[1] + margin[3])
    out_w = opts.out_width or max(8, round(out_h * span_w))
    res = float(rng.uniform(*opts.resolution))
    work_w, work_h = max(8, round(out_w * res)), max(6, round(out_h * res))
    plate_h = work_h / (1 + margin[1] + margin[3])
    plate_w = plate_h * aspect
    if opts.out_width is not None:
        plate_w = min(plate_w, work_w / (1 + margin[0] + margin[2]))
        plate_h = plate_w / aspect
    x0 = margin[0] * plate_w + (work_w - plate_w * (1 + margin[0] + margin[2])) / 2
    y0 = margin[1] * plate_h + (work_h - plate_h * (1 + margin[1] + margin[3])) / 2
    quad = np.array(
        [[x0, y0], [x0 + plate_w, y0], [x0 + plate_w, y0 + plate_h], [x0, y0 + plate_h]], np.float64
    )
    # Perspective and roll about the plate centre.
    quad += rng.uniform(-opts.jitter, opts.jitter, (4, 2)) * (plate_w, plate_h)
    centre = quad.mean(axis=0)
    r = math.radians(float(rng.uniform(-opts.max_roll_deg, opts.max_roll_deg)))
    rot = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    return out_w, out_h, work_w, work_h, (quad - centre) @ rot.T + centre


def render_plate_crop(
    rng: Generator,
    options: CropOptions | None = None,
    *,
    text: str | None = None,
    fmt: str | None = None,
) -> PlateCrop:
    """One degraded plate crop. ``fmt`` (a series key) and ``text`` fix the
    plate; otherwise a series is drawn from ``options.formats`` (all when None)
    and a random valid text from it."""
    opts = options or CropOptions()
    f = resolve_format(fmt) if fmt else random_format(rng, opts.formats)
    if text is None:
        text = f.generate(rng)
    two_line = bool(f.lines[int(rng.integers(0, len(f.lines)))] == 2)
    w_mm, h_mm = plate_size_mm(f, two_line)
    out_w, out_h, work_w, work_h, quad = _layout(rng, opts, w_mm / h_mm)
    plate_w_px = float(np.hypot(*(quad[1] - quad[0])))
    light = make_lighting(rng, opts.lighting)
    raster = quantised_scale(plate_w_px / w_mm * 1.4)
    plate = render_plate(
        text,
        f,
        rng,
        px_per_mm=raster,
        two_line=two_line,
        effects=PlateEffects.random(rng, opts.plate_wear),
        variants=opts.plate_variants,
    )
    lit = light.apply(plate.image, "plate")
    ctx = light.apply(_context(rng, work_w, work_h), "body")
    ph, pw = lit.shape[:2]
    src = np.array(
        [[-0.5, -0.5], [pw - 0.5, -0.5], [pw - 0.5, ph - 0.5], [-0.5, ph - 0.5]], np.float32
    )
    hmat = cv2.getPerspectiveTransform(src, (quad - 0.5).astype(np.float32))
    warped = cv2.warpPerspective(
        lit,
        hmat,
        (work_w, work_h),
        flags=cv2.INTER_AREA if raster > 1 else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    alpha = (
        cv2.warpPerspective(plate.mask, hmat, (work_w, work_h), flags=cv2.INTER_LINEAR).astype(
            np.float32
        )
        / 255.0
    )
    img = as_u8(cv2.blendLinear(warped, ctx, alpha, 1.0 - alpha))
    if rng.random() < opts.blur:
        if rng.random() < 0.5:
            img = motion_blur(
                img, float(rng.uniform(1.5, max(2.0, 0.04 * work_w))), float(rng.normal(90, 25))
            )
        else:
            img = as_u8(cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.4, 1.2))))
    if (work_w, work_h) != (out_w, out_h):
        img = as_u8(
            cv2.resize(
                img,
                (out_w, out_h),
                interpolation=cv2.INTER_LINEAR if rng.random() < 0.7 else cv2.INTER_CUBIC,
            )
        )
        quad = quad * (out_w / work_w, out_h / work_h)
        hmat = np.diag([out_w / work_w, out_h / work_h, 1.0]) @ np.asarray(hmat, np.float64)
    sigma = float(rng.uniform(*opts.noise)) * (2.0 if light.mode.startswith("night") else 1.0)
    img = add_noise(img, rng, sigma)
    if opts.jpeg_quality is not None:
        img, _ = jpeg_roundtrip(
            img, int(rng.integers(opts.jpeg_quality[0], opts.jpeg_quality[1] + 1))
        )
    return PlateCrop(
        img,
        plate.text,
        f.key,
        f.country,
        two_line,
        quad.astype(np.float32),
        map_boxes(plate.chars, np.asarray(hmat, np.float64)),
    )

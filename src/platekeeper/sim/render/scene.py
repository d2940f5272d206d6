"""``render_scene``: a camera frame of a road with vehicles carrying plates,
under a chosen light, with the camera's blur, noise and compression, and the
ground truth of every plate in it."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from platekeeper.sim.render.background import (
    RoadGeometry,
    Sign,
    draw_backdrop,
    draw_signs,
    make_geometry,
)
from platekeeper.sim.render.camera import (
    Lighting,
    add_noise,
    defocus,
    illuminator_falloff,
    jpeg_roundtrip,
    make_lighting,
)
from platekeeper.sim.render.compose import (
    Mounted,
    Pose,
    Rig,
    add_lamps,
    composite_body,
    composite_plate,
    plate_chars,
    plate_quad,
    vehicle_box,
)
from platekeeper.sim.render.plate import plate_size_mm, render_plate, resolve_format
from platekeeper.sim.render.raster import as_u8
from platekeeper.sim.render.records import Scene, ScenePlate
from platekeeper.sim.render.syntax import random_format
from platekeeper.sim.render.vehicle import KINDS, draw_vehicle, vehicle_shape
from platekeeper.sim.render.wear import PlateEffects

logger = logging.getLogger(__name__)

Generator = np.random.Generator
_KIND_SHARES = (0.4, 0.2, 0.15, 0.1, 0.1, 0.05)


@dataclass(frozen=True)
class SceneOptions:
    """What kind of frame to render. ``None`` fields are drawn at random.

    ``plate_width_px`` is the range of widths of a 520 mm plate (smaller plates,
    US or square ones, look smaller at the same distance). ``plate_variants``
    is the number of cached plate designs per series (see :func:`render_plate`;
    0 draws every design afresh, slower)."""

    width: int = 1920
    height: int = 1080
    lighting: str | None = None
    vehicles: tuple[int, int] = (1, 3)
    formats: tuple[str, ...] | None = None
    plate_width_px: tuple[float, float] | None = None
    view: str | None = None
    max_yaw_deg: float = 25.0
    max_roll_deg: float = 6.0
    motion_blur: float = 0.35
    defocus: float = 0.25
    noise: float = 1.0
    jpeg_quality: tuple[int, int] | None = None
    clutter: bool = True
    plate_wear: float = 0.5
    plate_variants: int = 0

    def __post_init__(self) -> None:
        if not (64 <= self.width <= 8192 and 64 <= self.height <= 8192):
            raise ValueError("frame size must be between 64 and 8192 pixels a side")
        if self.vehicles[0] < 0 or self.vehicles[1] < self.vehicles[0]:
            raise ValueError("vehicles must be a (min, max) range with 0 <= min <= max")
        if self.view not in (None, "rear", "front"):
            raise ValueError("view must be 'rear', 'front' or None")
        if self.formats is not None:
            for key in self.formats:
                resolve_format(key)

    def plate_range(self) -> tuple[float, float]:
        """Plate widths in pixels: given, or 4.5-13% of the frame width."""
        if self.plate_width_px is not None:
            return self.plate_width_px
        return (self.width * 0.045, self.width * 0.13)


def quantised_scale(px_per_mm: float) -> float:
    """Round a plate raster scale up to a step of 2^(1/4) so glyph caches hit."""
    return float(2 ** (math.ceil(4 * math.log2(max(px_per_mm, 0.06))) / 4))


def make_rig(rng: Generator, fmt: str, two_line: bool, kind: str, view: str) -> Rig:
    """Vehicle measurements and how its plate of series ``fmt`` is mounted."""
    w_mm, h_mm = plate_size_mm(fmt, two_line)
    return Rig(
        vehicle_shape(rng, kind, view),
        (w_mm / 1000, h_mm / 1000),
        math.radians(float(rng.uniform(-4, 14))),
        math.radians(float(rng.normal(0, 1.2))),
    )


def mount_vehicle(
    rng: Generator,
    rig: Rig,
    fmt: str,
    text: str,
    two_line: bool,
    frame_scale: float,
    light: Lighting,
    wear: float,
    variants: int = 0,
) -> Mounted:
    """Render the plate and the vehicle of a rig for a frame scale (px per metre
    at the vehicle's depth), lit for ``light``."""
    raster = quantised_scale(frame_scale / 1000.0 * 1.3)
    plate = render_plate(
        text,
        fmt,
        rng,
        px_per_mm=raster,
        two_line=two_line,
        effects=PlateEffects.random(rng, wear),
        variants=variants,
    )
    # Bodies are composited at half resolution; draw them at that scale.
    patch = draw_vehicle(rng, rig.shape, frame_scale * 0.5, rig.plate_size_m)
    patch.image = light.apply(patch.image, "body")
    return Mounted(rig, patch, plate, light.apply(plate.image, "plate"))


def _pick_kind(rng: Generator) -> str:
    p = np.array(_KIND_SHARES) / sum(_KIND_SHARES)
    return str(KINDS[int(rng.choice(len(KINDS), p=p))])


def _inside(quad: np.ndarray, w: int, h: int, margin: float) -> bool:
    return bool(
        quad[:, 0].min() >= margin
        and quad[:, 1].min() >= margin
        and quad[:, 0].max() <= w - margin
        and quad[:, 1].max() <= h - margin
    )


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def render_scene(
    rng: Generator,
    options: SceneOptions | None = None,
    plates: Sequence[tuple[str, str]] = (),
) -> Scene:
    """Render one frame. ``plates`` fixes (text, format key) for the first
    vehicles; the rest get random plates of ``options.formats``. Every plate in
    the ground truth lies entirely inside the frame and is not hidden by
    another vehicle; a random vehicle that cannot be placed so is left out, a
    requested plate that cannot be placed raises ValueError."""
    opts = options or SceneOptions()
    w, h = opts.width, opts.height
    light = make_lighting(rng, opts.lighting)
    pw0, pw1 = opts.plate_range()
    # The frame's zoom: how wide a 520 mm plate is at the bottom row.
    bottom = float(np.exp(rng.uniform(np.log(pw0 * 1.2), np.log(pw1 * 1.15))))
    g = make_geometry(rng, w, h, bottom / 0.52)
    backdrop = draw_backdrop(rng, g, light, clutter=opts.clutter)
    n = max(int(rng.integers(opts.vehicles[0], opts.vehicles[1] + 1)), len(plates))
    placed: list[_Placed] = []
    for i in range(n):
        if i < len(plates):
            text, key = plates[i]
            fmt = resolve_format(key)
        else:
            fmt = random_format(rng, opts.formats)
            text = fmt.generate(rng)
        # The first vehicle gets more tries so that a frame rarely comes out empty.
        got = _place(rng, g, opts, light, fmt.key, text, placed, pw0, pw1, 48 if not placed else 16)
        if got is None:
            if i < len(plates):
                raise ValueError(
                    "could not fit the requested plates into the frame; use fewer or smaller plates"
                )
            continue
        placed.append(got)
    placed.sort(key=lambda item: item.pose.depth, reverse=True)  # far first
    for item in placed:
        if rng.random() < opts.motion_blur:
            item.blur = float(
                rng.uniform(1.5, max(2.0, 0.06 * float(np.hypot(*(item.quad[1] - item.quad[0])))))
            )
            item.angle = (
                float(rng.normal(90, 15)) if rng.random() < 0.8 else float(rng.normal(0, 10))
            )
    # Signs hidden behind a nearer vehicle go on the half-resolution layer under
    # the vehicles; the rest are drawn sharp at full resolution afterwards.
    behind = [
        s
        for s in backdrop.signs
        if any(p.pose.depth < s.depth and _overlap(p.vbox, _sign_box(s)) for p in placed)
    ]
    clear = [s for s in backdrop.signs if s not in behind]
    half = backdrop.half
    draw_signs(half, behind, light, 0.5)
    for item in placed:
        composite_body(
            half, g, item.mounted, item.pose, light, blur_len=item.blur, blur_angle=item.angle
        )
    frame = as_u8(cv2.resize(half, (w, h), interpolation=cv2.INTER_LINEAR))
    draw_signs(frame, clear, light, 1.0)
    truth: list[ScenePlate] = []
    for item in placed:
        m = item.mounted
        quad = composite_plate(frame, g, m, item.pose, blur_len=item.blur, blur_angle=item.angle)
        add_lamps(frame, g, m, item.pose, light)
        truth.append(
            ScenePlate(
                m.plate.text,
                m.plate.format,
                m.plate.country,
                m.plate.two_line,
                quad,
                item.vbox,
                m.patch.kind,
                m.patch.view,
                plate_chars(m, quad),
            )
        )
    frame, params, jpeg = finish_frame(frame, rng, light, opts)
    truth.sort(key=lambda p: float(p.quad[:, 0].min()))
    return Scene(frame, tuple(truth), light.mode, params, jpeg)


def finish_frame(
    frame: np.ndarray, rng: Generator, light: Lighting, opts: SceneOptions
) -> tuple[np.ndarray, dict[str, float | int | str], bytes | None]:
    """The camera's share: defocus, illuminator falloff, sensor noise, JPEG."""
    params: dict[str, float | int | str] = {"lighting": light.mode}
    if rng.random() < opts.defocus:
        sigma = float(rng.uniform(0.5, 1.8)) * opts.width / 1920
        frame = defocus(frame, sigma)
        params["defocus"] = round(sigma, 3)
    if light.grey:
        frame = illuminator_falloff(frame)
    sigma_n = light.noise * opts.noise * float(rng.uniform(0.6, 1.4))
    frame = add_noise(frame, rng, sigma_n, mono=light.grey)
    params["noise"] = round(sigma_n, 3)
    jpeg = None
    if opts.jpeg_quality is not None:
        q = int(rng.integers(opts.jpeg_quality[0], opts.jpeg_quality[1] + 1))
        frame, jpeg = jpeg_roundtrip(frame, q)
        params["jpeg_quality"] = q
    return frame, params, jpeg


def _sign_box(s: Sign) -> tuple[int, int, int, int]:
    x, y, w, _ = s.box
    return x, y, x + w, s.pole[3]


@dataclass
class _Placed:
    mounted: Mounted
    pose: Pose
    vbox: tuple[int, int, int, int]
    quad: np.ndarray
    blur: float = 0.0
    angle: float = 90.0


def _place(
    rng: Generator,
    g: RoadGeometry,
    opts: SceneOptions,
    light: Lighting,
    key: str,
    text: str,
    placed: list[_Placed],
    pw0: float,
    pw1: float,
    attempts: int = 16,
) -> _Placed | None:
    """Find a free spot for one vehicle whose plate is fully in view."""
    kind = _pick_kind(rng)
    view = opts.view or ("rear" if rng.random() < 0.6 else "front")
    f = resolve_format(key)
    two_line = bool(f.lines[int(rng.integers(0, len(f.lines)))] == 2)
    rig = make_rig(rng, key, two_line, kind, view)
    # Scales (px per metre) at which a plate can show: the frame's depth range
    # cut to the asked plate sizes (of a 520 mm plate).
    s_hi = min(pw1 / 0.52, g.scale(g.height) * 1.1)
    s_lo = max(pw0 / 0.52, g.scale(0.0) * 0.95, 1.0)
    if s_lo >= s_hi:
        s_lo = s_hi * 0.9
    for _attempt in range(attempts):
        scale = float(np.exp(rng.uniform(np.log(s_lo), np.log(s_hi))))
        depth = g.focal / scale
        lanes = g.lanes_left + g.lanes_right
        lateral = g.lane_centre(int(rng.integers(0, lanes))) + float(rng.uniform(-0.5, 0.5))
        pose = Pose(
            lateral,
            depth,
            float(rng.uniform(-opts.max_yaw_deg, opts.max_yaw_deg)),
            float(rng.uniform(0, 25)),
            float(rng.uniform(-opts.max_roll_deg, opts.max_roll_deg)),
        )
        quad = plate_quad(g, rig, pose)
        if not _inside(quad, g.width, g.height, 2.0):
            continue
        vbox = vehicle_box(g, rig, pose)
        if _clashes(vbox, _box_of(quad), depth, placed):
            continue
        m = mount_vehicle(
            rng, rig, key, text, two_line, scale, light, opts.plate_wear, opts.plate_variants
        )
        return _Placed(m, pose, vbox, quad)
    return None


def _box_of(quad: np.ndarray) -> tuple[int, int, int, int]:
    return (
        int(quad[:, 0].min()),
        int(quad[:, 1].min()),
        int(quad[:, 0].max()) + 1,
        int(quad[:, 1].max()) + 1,
    )


def _clashes(
    vbox: tuple[int, int, int, int],
    pbox: tuple[int, int, int, int],
    depth: float,
    placed: list[_Placed],
) -> bool:
    """A nearer vehicle may not cover a plate, nor two vehicles share a place."""
    for item in placed:
        opose, obox, oquad = item.pose, item.vbox, item.quad
        if opose.depth < depth and _overlap(obox, pbox):
            return True
        if depth < opose.depth and _overlap(vbox, _box_of(oquad)):
            return True
        if abs(opose.depth - depth) < 6 and _overlap(obox, vbox):
            return True
    return False

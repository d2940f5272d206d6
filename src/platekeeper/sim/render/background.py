"""The road a camera looks at: asphalt with lane markings and a crossing,
kerbs, pavements, building fronts, poles with signs and boards, sky when the
horizon is in view.

Geometry is a pinhole camera at height ``cam_h`` over flat ground: at image
row y (below the horizon row ``horizon``) one metre across the road spans
``(y - horizon) / cam_h`` pixels, whatever the focal length. Roadside
cameras are pitched down with long lenses, so the horizon usually lies far
above the frame. The base layer is drawn at half resolution (it is smooth)
and scaled up; signs with text are drawn at full resolution on top so that
their text is as sharp as a plate's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.camera import Lighting
from platekeeper.sim.render.clutter import draw_sign, stroke_text
from platekeeper.sim.render.font import CONDENSED
from platekeeper.sim.render.raster import fill, vertical_gradient

Generator = np.random.Generator
Image = NDArray[np.uint8]


@dataclass(frozen=True)
class RoadGeometry:
    """Where the road is in the frame."""

    width: int
    height: int
    horizon: float
    vp_x: float
    cam_h: float
    focal: float
    lane_w: float
    lanes_left: int
    lanes_right: int

    def scale(self, y: float) -> float:
        """Pixels per metre at a ground row."""
        return max(1e-3, (y - self.horizon) / self.cam_h)

    def row_for_scale(self, s: float) -> float:
        """The ground row at which one metre spans ``s`` pixels."""
        return self.horizon + s * self.cam_h

    def depth(self, y: float) -> float:
        """Distance (m) along the road of the ground seen at row y."""
        return self.focal / self.scale(y)

    def row_at_depth(self, z: float) -> float:
        """The ground row at distance ``z`` metres."""
        return self.horizon + self.focal * self.cam_h / max(z, 1e-3)

    def project(self, lateral: float, height: float, z: float) -> tuple[float, float]:
        """Image point of a 3-D point (metres right, metres up, metres ahead)."""
        k = self.focal / max(z, 1e-3)
        return self.vp_x + lateral * k, self.horizon + (self.cam_h - height) * k

    def x_at(self, lateral: float, y: float) -> float:
        """Image x of a ground point ``lateral`` metres right of the camera axis."""
        return self.vp_x + lateral * self.scale(y)

    @property
    def road_left(self) -> float:
        """Lateral position (m) of the left kerb."""
        return -self.lanes_left * self.lane_w

    @property
    def road_right(self) -> float:
        """Lateral position (m) of the right kerb."""
        return self.lanes_right * self.lane_w

    def lane_centre(self, lane: int) -> float:
        """Lateral centre (m) of a lane counted from the left kerb (0-based)."""
        return self.road_left + (lane + 0.5) * self.lane_w


def make_geometry(
    rng: Generator, width: int, height: int, max_scale: float, *, cam_h: float | None = None
) -> RoadGeometry:
    """A camera whose bottom row sees ``max_scale`` pixels per metre (mounted
    ``cam_h`` metres high, drawn at random when None)."""
    cam_h = float(rng.uniform(4.5, 9.0)) if cam_h is None else cam_h
    horizon = height - cam_h * max_scale
    lanes = int(rng.integers(2, 5))
    left = int(rng.integers(1, lanes))
    fov = np.radians(rng.uniform(20, 55))
    return RoadGeometry(
        width,
        height,
        horizon,
        width * float(rng.uniform(0.35, 0.65)),
        cam_h,
        width / (2 * float(np.tan(fov / 2))),
        float(rng.uniform(3.2, 3.8)),
        left,
        lanes - left,
    )


@lru_cache(maxsize=4)
def _texture(h: int, w: int) -> Image:
    """Asphalt mottling (mean 128), fixed per size; scenes use random windows."""
    cv2.setRNGSeed(0xA5F)
    small = np.empty((h // 6 + 8, w // 6 + 8), np.float32)
    cv2.randn(small, np.zeros(1), np.ones(1))
    coarse = cv2.resize(small, (w + 48, h + 48), interpolation=cv2.INTER_CUBIC)
    fine = np.empty_like(coarse)
    cv2.randn(fine, np.zeros(1), np.ones(1))
    field = coarse * 14 + cv2.GaussianBlur(fine, (0, 0), 0.8) * 10
    out: Image = np.clip(field + 128, 0, 255).astype(np.uint8)
    out.setflags(write=False)
    return out


def _poly(img: Image, pts: list[tuple[float, float]], color: tuple[int, ...]) -> None:
    cv2.fillPoly(img, [np.round(np.asarray(pts) * 8).astype(np.int32)], color, cv2.LINE_AA, shift=3)


def _band(
    g: RoadGeometry, a: float, b: float, y0: float, y1: float, f: float
) -> list[tuple[float, float]]:
    """Ground strip between lateral positions a and b, rows y0..y1, scaled by f."""
    return [
        (g.x_at(a, y0) * f, y0 * f),
        (g.x_at(b, y0) * f, y0 * f),
        (g.x_at(b, y1) * f, y1 * f),
        (g.x_at(a, y1) * f, y1 * f),
    ]


# Believable materials (BGR): concrete, sand-coloured stone, brick, painted render.
_WALLS = (
    (175, 180, 185),
    (150, 175, 200),
    (70, 90, 150),
    (200, 205, 210),
    (120, 125, 130),
    (110, 150, 190),
    (185, 190, 160),
)
_PAVEMENTS = ((140, 142, 145), (120, 128, 135), (150, 160, 170), (95, 130, 110), (110, 118, 122))


def _tone(rng: Generator, palette: tuple[tuple[int, int, int], ...]) -> tuple[int, int, int]:
    base = palette[int(rng.integers(0, len(palette)))]
    return tuple(int(np.clip(c + rng.uniform(-15, 15), 0, 255)) for c in base)  # type: ignore[return-value]


@dataclass(frozen=True)
class Sign:
    """A board on a pole at the roadside: its box (x, y, w, h) and pole (x0, y0,
    x1, y1) in full-resolution pixels, its distance, and the seed it is drawn from."""

    box: tuple[int, int, int, int]
    pole: tuple[int, int, int, int]
    depth: float
    seed: int


@dataclass
class Backdrop:
    """The lit road at half resolution and the signs to draw over it."""

    half: Image
    signs: list[Sign]


def draw_backdrop(
    rng: Generator, g: RoadGeometry, light: Lighting, *, clutter: bool = True
) -> Backdrop:
    """The lit road scene without vehicles, at half resolution, and its signs."""
    f = 0.5
    hw, hh = max(8, round(g.width * f)), max(8, round(g.height * f))
    img = np.empty((hh, hw, 3), np.uint8)
    top = max(0.0, g.horizon + 2)
    # Pavement / verge colour everywhere below the horizon, sky above it.
    fill(img, _tone(rng, _PAVEMENTS))
    if g.horizon > 0:
        sky_rows = min(hh, int(g.horizon * f) + 1)
        sky_top = [float(v) for v in rng.uniform([200, 160, 120], [250, 215, 190])]
        sky_bot = [float(v) for v in rng.uniform([215, 205, 195], [250, 245, 240])]
        img[:sky_rows] = vertical_gradient(sky_rows, hw, sky_top, sky_bot)
    y_bot = g.height + 2
    # Building fronts beyond the pavements: planes along the road.
    for side in (-1, 1):
        kerb = g.road_left if side < 0 else g.road_right
        face = kerb + side * float(rng.uniform(3, 8))
        wall = _tone(rng, _WALLS)
        height = float(rng.uniform(8, 25))
        facade = [
            g.project(face, height, 0.5),
            g.project(face, height, 400.0),
            g.project(face, 0.0, 400.0),
            g.project(face, 0.0, 0.5),
        ]
        _poly(img, [(x * f, y * f) for x, y in facade], wall)
        _windows(img, rng, g, face, f, top, height)
    # Asphalt with its mottling.
    asphalt = int(rng.integers(70, 120))
    mask = np.zeros((hh, hw), np.uint8)
    _poly(mask, _band(g, g.road_left, g.road_right, top, y_bot, f), (255,))
    tex = _texture(hh, hw)
    oy, ox = int(rng.integers(0, 48)), int(rng.integers(0, 48))
    grey = tex[oy : oy + hh, ox : ox + hw]
    tinted = cv2.cvtColor(
        cv2.convertScaleAbs(grey, alpha=0.5, beta=asphalt - 64), cv2.COLOR_GRAY2BGR
    )
    cv2.copyTo(tinted, mask, img)
    for kerb, side in ((g.road_left, -1), (g.road_right, 1)):
        _poly(img, _band(g, kerb, kerb + side * 0.25, top, y_bot, f), (175, 175, 172))
    _markings(img, rng, g, f, top)
    lit = light.apply(img, "background")
    if light.lights_on and not light.grey:
        _lamps(lit, rng)
    signs = _plan_signs(rng, g) if clutter else []
    return Backdrop(lit, signs)


def draw_stop_line(backdrop: Backdrop, g: RoadGeometry, light: Lighting, depth: float) -> None:
    """Paint a stop line (0.4 m of white across the road, lit as the road)
    on the backdrop, its near edge ``depth`` metres ahead of the camera."""
    f = 0.5
    near, far = g.row_at_depth(depth), g.row_at_depth(depth + 0.4)
    paint = np.zeros_like(backdrop.half)
    _poly(paint, _band(g, g.road_left, g.road_right, far, near, f), (225, 225, 222))
    mask = cv2.inRange(paint, (1, 1, 1), (255, 255, 255))
    cv2.copyTo(light.apply(paint, "background"), mask, backdrop.half)


def draw_signs(target: Image, signs: list[Sign], light: Lighting, scale: float = 1.0) -> None:
    """Draw signs (lit) into a frame of the given scale (1 full, 0.5 half)."""
    th, tw = target.shape[:2]
    for sign in signs:
        px0, py0, px1, py1 = (round(v * scale) for v in sign.pole)
        x, y, w, h = (round(v * scale) for v in sign.box)
        bx0, by0 = max(0, min(x, px0)), max(0, min(y, py0))
        bx1, by1 = min(tw, max(x + w, px1 + 1)), min(th, max(y + h, py1))
        if bx1 - bx0 < 2 or by1 - by0 < 2:
            continue
        # Draw on a sentinel colour, light, then keep only what was drawn.
        canvas = np.empty((by1 - by0, bx1 - bx0, 3), np.uint8)
        fill(canvas, (1, 2, 3))
        cv2.rectangle(canvas, (px0 - bx0, py0 - by0), (px1 - bx0, py1 - by0), (90, 90, 95), -1)
        draw_sign(canvas, np.random.default_rng(sign.seed), x - bx0, y - by0, w, h)
        drawn = cv2.bitwise_not(cv2.inRange(canvas, (1, 2, 3), (1, 2, 3)))
        lit = light.apply(canvas, "background")
        cv2.copyTo(lit, drawn, target[by0:by1, bx0:bx1])


def _windows(
    img: Image, rng: Generator, g: RoadGeometry, face: float, f: float, top: float, height: float
) -> None:
    """Rows of dark windows on a building face, where the face is in view."""
    z0 = g.depth(g.height + 2)
    z_far = min(g.depth(max(top, 1.0) + 2), z0 + 60.0)
    storey = float(rng.uniform(3.0, 3.6))
    n = int(min(14, max(0.0, (z_far - z0) / 3.0)))
    if n == 0:
        return
    starts = z0 + np.cumsum(rng.uniform(2.2, 5.5, n))
    widths = rng.uniform(1.2, 2.5, n)
    storeys = int(max(1, (height - 1.0) // storey))
    # Glass: dark, slightly blue or green.
    shade = rng.integers(30, 80, (n, storeys, 1))
    cols = np.clip(shade + rng.integers(0, 16, (n, storeys, 3)) * np.array([1.0, 0.6, 0.3]), 0, 255)
    for i in range(n):
        za, zb = float(starts[i]), float(starts[i] + widths[i])
        ka, kb = g.focal / za, g.focal / zb
        xa, xb = g.vp_x + face * ka, g.vp_x + face * kb
        if not (-g.width * 0.5 < xa < g.width * 1.5):
            continue
        for level in range(storeys):
            y0, y1 = level * storey + 1.0, level * storey + 2.6
            quad = [
                (xa * f, (g.horizon + (g.cam_h - y1) * ka) * f),
                (xb * f, (g.horizon + (g.cam_h - y1) * kb) * f),
                (xb * f, (g.horizon + (g.cam_h - y0) * kb) * f),
                (xa * f, (g.horizon + (g.cam_h - y0) * ka) * f),
            ]
            _poly(img, quad, tuple(int(c) for c in cols[i, level]))


def _markings(img: Image, rng: Generator, g: RoadGeometry, f: float, top: float) -> None:
    """Dashed lane lines (3 m paint, 6 m gap), sometimes a zebra crossing."""
    white = (225, 225, 222)
    z_near, z_far = g.depth(g.height + 2), min(g.depth(max(top, 1.0) + 2), 300.0)
    phase = float(rng.uniform(0, 9))
    for i in range(1, g.lanes_left + g.lanes_right):
        lat = g.road_left + i * g.lane_w
        solid = i == g.lanes_left and rng.random() < 0.5
        z = z_near - phase
        while z < z_far:
            z1 = z + (3.0 if not solid else 9.0)
            y0, y1 = g.row_at_depth(min(z1, z_far)), g.row_at_depth(max(z, 0.5))
            if y1 - y0 >= 0.5:
                _poly(img, _band(g, lat - 0.07, lat + 0.07, y0, y1, f), white)
            z = z1 + (6.0 if not solid else 0.0)
    if rng.random() < 0.35:
        _road_word(img, rng, g, f, z_near, z_far)
    if rng.random() < 0.3:
        zc = float(rng.uniform(z_near, min(z_far, z_near + 25)))
        y0, y1 = g.row_at_depth(zc + 3.0), g.row_at_depth(zc)
        lat = g.road_left + 0.3
        while lat < g.road_right - 0.5:
            _poly(img, _band(g, lat, lat + 0.5, y0, y1, f), white)
            lat += 1.0


_ROAD_WORDS = ("BUS", "STOP", "TAXI", "SLOW", "40", "60", "AVTOBUS", "X")


def _road_word(
    img: Image, rng: Generator, g: RoadGeometry, f: float, z_near: float, z_far: float
) -> None:
    """A word painted in a lane, stretched along the road as road paint is."""
    word = _ROAD_WORDS[int(rng.integers(0, len(_ROAD_WORDS)))]
    lane = int(rng.integers(0, g.lanes_left + g.lanes_right))
    lat = g.lane_centre(lane)
    z0 = float(rng.uniform(z_near, max(z_near + 0.1, min(z_far - 6, z_near + 20))))
    length = 1.2 * len(word) + 1.0
    # Painted letters are about 2.5 m long and 0.6 m wide: draw them squat and
    # let the ground's foreshortening do the rest.
    canvas = np.zeros((64, 40 * len(word), 3), np.uint8)
    stroke_text(canvas, word, 2, 4, 56, (255, 255, 255), CONDENSED, max_w=40 * len(word) - 4)
    half_w = 0.3 * len(word)
    quad = np.array(
        [
            g.project(lat - half_w, 0.0, z0 + length),
            g.project(lat + half_w, 0.0, z0 + length),
            g.project(lat + half_w, 0.0, z0),
            g.project(lat - half_w, 0.0, z0),
        ],
        np.float32,
    ) * np.float32(f)
    h, w = img.shape[:2]
    src = np.array([[0, 0], [canvas.shape[1], 0], [canvas.shape[1], 64], [0, 64]], np.float32)
    hmat = cv2.getPerspectiveTransform(src, quad)
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    paint = cv2.warpPerspective(
        np.ascontiguousarray(canvas[..., 0]), shift @ hmat, (x1 - x0, y1 - y0)
    )
    a = paint.astype(np.float32) * np.float32(0.85 / 255)
    region = img[y0:y1, x0:x1]
    white = np.empty_like(region)
    fill(white, (215, 215, 212))
    region[:] = cv2.blendLinear(white, region, a, 1.0 - a)


def _plan_signs(rng: Generator, g: RoadGeometry) -> list[Sign]:
    """Boards on poles at the pavement edge, facing the traffic."""
    out = []
    for _ in range(int(rng.integers(2, 7))):
        y = float(rng.uniform(max(g.horizon, 0) + 5, g.height * 1.05))
        s = g.scale(y)
        side = -1 if rng.random() < 0.5 else 1
        kerb = g.road_left if side < 0 else g.road_right
        x = g.x_at(kerb + side * float(rng.uniform(0.5, 4.0)), y)
        w = float(rng.uniform(0.6, 2.2)) * s
        h = w * float(rng.uniform(0.25, 0.8))
        mount = float(rng.uniform(1.8, 4.0)) * s
        seed = int(rng.integers(0, 2**31))
        if h < 8 or w > g.width * 0.45 or x + w < 0 or x - w > g.width or y - mount > g.height:
            continue
        pole = max(1, round(0.08 * s))
        out.append(
            Sign(
                (round(x - w / 2), round(y - mount - h), round(w), round(h)),
                (round(x - pole / 2), round(y - mount), round(x + pole / 2), round(y)),
                g.depth(y),
                seed,
            )
        )
    return out


@lru_cache(maxsize=1)
def _glow_profile() -> Image:
    ys, xs = np.mgrid[-32:33, -32:33].astype(np.float32) / 32.0
    out: Image = (np.clip(1 - (xs**2 + ys**2), 0, 1) ** 2 * 255).astype(np.uint8)
    out.setflags(write=False)
    return out


def _lamps(img: Image, rng: Generator) -> None:
    """Pools of street-lamp light on the road at night (sodium orange or LED white)."""
    h, w = img.shape[:2]
    colour = np.array((40, 140, 255) if rng.random() < 0.5 else (230, 235, 240), np.float64)
    for _ in range(int(rng.integers(1, 4))):
        cx, cy = float(rng.uniform(0, w)), float(rng.uniform(0, h))
        rx = float(rng.uniform(0.15, 0.4)) * w
        ry = rx * 0.6
        x0, y0 = int(cx - rx), int(cy - ry)
        gw, gh = max(2, int(2 * rx)), max(2, int(2 * ry))
        xa, ya, xb, yb = max(0, x0), max(0, y0), min(w, x0 + gw), min(h, y0 + gh)
        if xb <= xa or yb <= ya:
            continue
        glow = cv2.resize(_glow_profile(), (gw, gh), interpolation=cv2.INTER_LINEAR)[
            ya - y0 : yb - y0, xa - x0 : xb - x0
        ]
        add = cv2.multiply(
            cv2.cvtColor(glow, cv2.COLOR_GRAY2BGR),
            np.array([*(colour * 0.18 / 255.0), 0.0]),
        )
        region = img[ya:yb, xa:xb]
        region[:] = cv2.add(region, add)

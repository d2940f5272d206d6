"""Putting a vehicle and its plate into a frame in perspective.

A vehicle face is a vertical plane at some depth ahead of the camera; its
pose adds a yaw (vehicle or camera turned), a pitch (the camera looks down, so
vertical edges converge) and a roll (camera not level). The body patch and the
plate image are each warped straight into the frame by the homography of
their own corners, so the plate is resampled once, from a raster a little
larger than its size in the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.background import RoadGeometry
from platekeeper.sim.render.camera import Lighting, motion_blur
from platekeeper.sim.render.raster import as_u8
from platekeeper.sim.render.records import CharBox, PlateImage, Quad
from platekeeper.sim.render.vehicle import VehiclePatch, VehicleShape

Image = NDArray[np.uint8]


@dataclass(frozen=True)
class Pose:
    """Where a vehicle face is: lateral offset and depth (m) of its centre line,
    yaw, pitch and roll (degrees)."""

    lateral: float
    depth: float
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


@dataclass(frozen=True)
class Rig:
    """The geometry of a vehicle face and its plate (metres, radians)."""

    shape: VehicleShape
    plate_size_m: tuple[float, float]
    plate_tilt: float
    plate_rot: float


@dataclass
class Mounted:
    """A lit vehicle patch with its lit plate, ready to be composited."""

    rig: Rig
    patch: VehiclePatch
    plate: PlateImage
    plate_image: Image


def _face_points(
    g: RoadGeometry, rig: Rig, pose: Pose, pts: list[tuple[float, float, float]]
) -> NDArray[np.float64]:
    """Image points of face points (u, v, extra depth)."""
    th, be = math.radians(pose.yaw), math.radians(pose.pitch)
    v_ref = rig.shape.plate_centre_m[1]
    p = np.asarray(pts, np.float64).reshape(-1, 3)
    u, v, dz = p[:, 0], p[:, 1], p[:, 2]
    x3 = pose.lateral + u * math.cos(th)
    z3 = np.maximum(pose.depth + u * math.sin(th) - (v - v_ref) * math.sin(be) + dz, 1e-3)
    k = g.focal / z3
    arr = np.stack([g.vp_x + x3 * k, g.horizon + (g.cam_h - v) * k], axis=1)
    if pose.roll:
        pu, pv = rig.shape.plate_centre_m
        cx, cy = g.project(pose.lateral + pu * math.cos(th), pv, pose.depth + pu * math.sin(th))
        r = math.radians(pose.roll)
        c, s = math.cos(r), math.sin(r)
        d = arr - (cx, cy)
        arr = np.stack([cx + d[:, 0] * c - d[:, 1] * s, cy + d[:, 0] * s + d[:, 1] * c], axis=1)
    return arr


def plate_quad(g: RoadGeometry, rig: Rig, pose: Pose) -> Quad:
    """The plate's corners in the frame: TL, TR, BR, BL."""
    pu, pv = rig.shape.plate_centre_m
    pw, ph = rig.plate_size_m
    c, s = math.cos(rig.plate_rot), math.sin(rig.plate_rot)
    pts = []
    for du, dv in ((-pw / 2, ph / 2), (pw / 2, ph / 2), (pw / 2, -ph / 2), (-pw / 2, -ph / 2)):
        ru, rv = du * c - dv * s, du * s + dv * c
        pts.append((pu + ru, pv + rv, rv * math.sin(rig.plate_tilt)))
    return _face_points(g, rig, pose, pts).astype(np.float32)


def body_quad(g: RoadGeometry, m: Mounted, pose: Pose) -> Quad:
    """The corners of the whole patch (with its margin) in the frame."""
    p = m.patch
    h, w = p.image.shape[:2]
    corners = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    pts = [
        ((x - p.origin_px[0]) / p.scale, (p.origin_px[1] - y) / p.scale, 0.0) for x, y in corners
    ]
    return _face_points(g, m.rig, pose, pts).astype(np.float32)


def vehicle_box(g: RoadGeometry, rig: Rig, pose: Pose) -> tuple[int, int, int, int]:
    """Axis-aligned box of the vehicle body in the frame (may extend outside it)."""
    sh = rig.shape
    hw = sh.width_m / 2
    pts = _face_points(
        g, rig, pose, [(-hw, 0, 0), (hw, 0, 0), (hw, sh.height_m, 0), (-hw, sh.height_m, 0)]
    )
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def _roi(
    quad: NDArray[np.float64] | Quad, w: int, h: int, pad: int
) -> tuple[int, int, int, int] | None:
    x0 = max(0, math.floor(float(quad[:, 0].min())) - pad)
    y0 = max(0, math.floor(float(quad[:, 1].min())) - pad)
    x1 = min(w, math.ceil(float(quad[:, 0].max())) + pad)
    y1 = min(h, math.ceil(float(quad[:, 1].max())) + pad)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1, y1


def _raster_corners(w: int, h: int) -> NDArray[np.float32]:
    """Outer corners of a raster in OpenCV's pixel-centre coordinates."""
    return np.array(
        [[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], np.float32
    )


def _warp_into(
    target: Image,
    src: Image,
    src_alpha: NDArray[np.uint8],
    quad: NDArray[np.float64] | Quad,
    *,
    blur_len: float = 0.0,
    blur_angle: float = 90.0,
) -> tuple[int, int, int, int] | None:
    """Warp ``src`` so its outer corners land on ``quad`` (continuous
    coordinates of ``target``) and blend it in through its alpha, smeared by
    motion blur when asked. Returns the region touched."""
    th, tw = target.shape[:2]
    pad = int(blur_len) + 2
    roi = _roi(quad, tw, th, pad)
    if roi is None:
        return None
    x0, y0, x1, y1 = roi
    dst = np.asarray(quad, np.float32) - np.float32(0.5) - np.array([x0, y0], np.float32)
    hmat = cv2.getPerspectiveTransform(_raster_corners(src.shape[1], src.shape[0]), dst)
    size = (x1 - x0, y1 - y0)
    layer = cv2.warpPerspective(
        src, hmat, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    alpha = cv2.warpPerspective(
        src_alpha, hmat, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    if blur_len >= 1.5:
        layer = motion_blur(as_u8(layer), blur_len, blur_angle)
        alpha = motion_blur(as_u8(alpha), blur_len, blur_angle)
    region = target[y0:y1, x0:x1]
    wa = alpha.astype(np.float32) * np.float32(1 / 255)
    region[:] = cv2.blendLinear(layer, region, wa, 1.0 - wa)
    return roi


def composite_body(
    half: Image,
    g: RoadGeometry,
    m: Mounted,
    pose: Pose,
    light: Lighting,
    *,
    blur_len: float = 0.0,
    blur_angle: float = 90.0,
) -> None:
    """Shadow and body of a vehicle into the half-resolution layer."""
    _shadow(half, g, m, pose, light)
    bq = body_quad(g, m, pose) * 0.5
    _warp_into(half, m.patch.image, m.patch.alpha, bq, blur_len=blur_len / 2, blur_angle=blur_angle)


def composite_plate(
    frame: Image,
    g: RoadGeometry,
    m: Mounted,
    pose: Pose,
    *,
    blur_len: float = 0.0,
    blur_angle: float = 90.0,
) -> Quad:
    """The plate into the full-resolution frame; returns its quad."""
    pq = plate_quad(g, m.rig, pose)
    _warp_into(frame, m.plate_image, m.plate.mask, pq, blur_len=blur_len, blur_angle=blur_angle)
    return pq


def _shadow(half: Image, g: RoadGeometry, m: Mounted, pose: Pose, light: Lighting) -> None:
    """The dark patch of road under the vehicle (half resolution)."""
    hw = m.rig.shape.width_m / 2
    pts = (
        _face_points(
            g, m.rig, pose, [(-hw, 0, -0.2), (hw, 0, -0.2), (hw * 0.9, 0, 1.5), (-hw * 0.9, 0, 1.5)]
        )
        * 0.5
    )
    h, w = half.shape[:2]
    k = max(3, int(m.patch.scale * 0.08) | 1)
    roi = _roi(pts, w, h, k)
    if roi is None:
        return
    x0, y0, x1, y1 = roi
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round((pts - (x0, y0)) * 8).astype(np.int32)], 255, cv2.LINE_AA, shift=3)
    mask = as_u8(cv2.blur(mask, (k, k)))
    dark = 0.55 if light.mode == "day" else 0.3
    keep = 255 - (mask.astype(np.float32) * dark).astype(np.uint8)
    region = half[y0:y1, x0:x1]
    region[:] = cv2.multiply(region, cv2.cvtColor(keep, cv2.COLOR_GRAY2BGR), scale=1 / 255)


@lru_cache(maxsize=1)
def _bloom_profile() -> NDArray[np.uint8]:
    """A unit glare profile (sharp core, wide halo) as uint8 on a 65x65 grid."""
    ys, xs = np.mgrid[-32:33, -32:33].astype(np.float32) / 16.0
    d2 = xs**2 + ys**2
    # The halo is windowed to zero at the grid edge so no square shows.
    window = np.clip(1.0 - d2 / 4.0, 0.0, 1.0) ** 2
    prof = np.exp(-d2 / (2 * 0.3**2)) * 1.5 + np.exp(-d2 / 1.2) * 0.45 * window
    out: Image = np.clip(prof / 1.95 * 255, 0, 255).astype(np.uint8)
    out.setflags(write=False)
    return out


def add_lamps(frame: Image, g: RoadGeometry, m: Mounted, pose: Pose, light: Lighting) -> None:
    """Lamps lit at dusk and night: a bright core and a bloom that can spill
    over the plate (glare), at full resolution."""
    strength = {"dusk": 0.6, "night": 1.0, "night_ir": 1.3}.get(light.mode, 0.0)
    if strength == 0 or not light.lights_on:
        return
    h, w = frame.shape[:2]
    pq = plate_quad(g, m.rig, pose)
    scale_px = float(np.hypot(*(pq[1] - pq[0]))) / m.rig.plate_size_m[0]
    for u, v, r_m, colour in m.patch.lamps:
        ((cx, cy),) = _face_points(g, m.rig, pose, [(u, v, 0.0)])
        halo = max(2.0, r_m * scale_px * (3.0 if m.patch.view == "front" else 1.8) * strength)
        size = max(3, int(halo * 4) | 1)
        x0, y0 = int(cx - size / 2), int(cy - size / 2)
        xa, ya, xb, yb = max(0, x0), max(0, y0), min(w, x0 + size), min(h, y0 + size)
        if xb <= xa or yb <= ya:
            continue
        glow = cv2.resize(_bloom_profile(), (size, size), interpolation=cv2.INTER_LINEAR)[
            ya - y0 : yb - y0, xa - x0 : xb - x0
        ]
        col = (255.0, 255.0, 255.0) if light.grey else colour
        gain = [min(4.0, c / 255.0 * strength * 1.95) for c in col]
        add = cv2.multiply(cv2.cvtColor(glow, cv2.COLOR_GRAY2BGR), np.array([*gain, 0.0]))
        region = frame[ya:yb, xa:xb]
        region[:] = cv2.add(region, add)


def map_boxes(chars: tuple[CharBox, ...], hmat: NDArray[np.float64]) -> tuple[CharBox, ...]:
    """Character boxes carried through a homography (axis-aligned hulls)."""
    if not chars:
        return ()
    b = np.array([c.box for c in chars], np.float64) - 0.5
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1).reshape(
        1, -1, 2
    )
    out = cv2.perspectiveTransform(corners, hmat)[0].reshape(-1, 4, 2) + 0.5
    lo, hi = out.min(axis=1), out.max(axis=1)
    return tuple(
        CharBox(
            c.char, (float(lo[i, 0]), float(lo[i, 1]), float(hi[i, 0]), float(hi[i, 1])), c.line
        )
        for i, c in enumerate(chars)
    )


def plate_chars(m: Mounted, quad: Quad) -> tuple[CharBox, ...]:
    """The plate's character boxes in frame pixels for a plate drawn on ``quad``."""
    h, w = m.plate_image.shape[:2]
    hmat = cv2.getPerspectiveTransform(
        _raster_corners(w, h), np.asarray(quad, np.float32) - np.float32(0.5)
    )
    scale = np.diag([w / m.plate.image.shape[1], h / m.plate.image.shape[0], 1.0])
    return map_boxes(m.plate.chars, np.asarray(hmat, np.float64) @ scale)

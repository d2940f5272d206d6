"""Synthetic road video: vehicles drive through a fixed camera's view, each
plate readable for a second or two, written as H.264 MP4 with PyAV, with the
ground truth of every vehicle (text, the frames its plate is visible in, its
track). Deterministic for a seed.

The camera is placed so that the frame spans the asked range of plate sizes:
a plate enters at the top small and leaves at the bottom large (vehicles
coming towards the camera, seen from the front) or the reverse (going away,
seen from behind).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.background import (
    Backdrop,
    RoadGeometry,
    Sign,
    draw_backdrop,
    draw_signs,
    draw_stop_line,
    make_geometry,
)
from platekeeper.sim.render.camera import Lighting, make_lighting
from platekeeper.sim.render.compose import (
    Mounted,
    Pose,
    add_lamps,
    composite_body,
    composite_plate,
    plate_quad,
    vehicle_box,
)
from platekeeper.sim.render.plate import resolve_format
from platekeeper.sim.render.raster import as_u8
from platekeeper.sim.render.records import Quad
from platekeeper.sim.render.scene import SceneOptions, finish_frame, make_rig, mount_vehicle
from platekeeper.sim.render.syntax import random_format
from platekeeper.sim.render.vehicle import KINDS
from platekeeper.video.encode import write_h264

logger = logging.getLogger(__name__)

Generator = np.random.Generator
Image = NDArray[np.uint8]

CROSSING_IN_VIEW_S = 2.0
"""Least time a vehicle that crosses a stop line is in view with its whole
plate: the red-light evidence shows it before, at and past the line, 0.6 s
apart, and a still at either end must not cut the plate."""


@dataclass(frozen=True)
class VideoOptions:
    """What to film. ``plate_width_px`` is the range of widths of a 520 mm plate
    between the top and the bottom of the frame."""

    width: int = 1280
    height: int = 720
    fps: float = 25.0
    seconds: float = 8.0
    vehicles: int = 5
    lighting: str | None = None
    formats: tuple[str, ...] | None = ("uz_private", "uz_company")
    plate_width_px: tuple[float, float] | None = None
    view: str | None = None
    speed_mps: tuple[float, float] = (5.0, 11.0)
    readable_px: float = 60.0
    crf: int = 23
    preset: str = "veryfast"
    noise: float = 1.0
    clutter: bool = True
    plates: tuple[tuple[str, str], ...] = ()
    """Plate text and series key of the first vehicles (the rest drawn at random)."""
    crossing_s: float | None = None
    """When set, the first vehicle's front crosses a stop line painted across
    the road at this instant, halfway along its way through the view."""

    def __post_init__(self) -> None:
        if (
            not (64 <= self.width <= 4096 and 64 <= self.height <= 4096)
            or self.width % 2
            or self.height % 2
        ):
            raise ValueError("video size must be even and between 64 and 4096 pixels a side")
        if not 1.0 <= self.fps <= 120.0:
            raise ValueError("fps must be between 1 and 120")
        if not 0.2 <= self.seconds <= 600.0:
            raise ValueError("seconds must be between 0.2 and 600")
        if not 0 <= self.vehicles <= 200:
            raise ValueError("vehicles must be between 0 and 200")
        if self.view not in (None, "rear", "front"):
            raise ValueError("view must be 'rear', 'front' or None")
        if len(self.plates) > self.vehicles:
            raise ValueError("more plates than vehicles")
        crossing = self.crossing_s
        if crossing is not None and not (self.vehicles and 0 <= crossing <= self.seconds):
            raise ValueError("a stop-line crossing needs a vehicle and an instant within the video")

    @property
    def frame_count(self) -> int:
        """Number of frames the video has."""
        return max(1, round(self.seconds * self.fps))


@dataclass(frozen=True)
class TrackPoint:
    """Where a vehicle's plate is in one frame."""

    frame: int
    quad: Quad
    vehicle_box: tuple[int, int, int, int]
    visible: bool
    readable: bool


@dataclass(frozen=True)
class VehicleTrack:
    """Ground truth of one vehicle pass."""

    text: str
    format: str
    country: str
    two_line: bool
    kind: str
    view: str
    points: tuple[TrackPoint, ...]

    @property
    def visible_frames(self) -> tuple[int, ...]:
        """Frames in which the whole plate is in view and not hidden."""
        return tuple(p.frame for p in self.points if p.visible)

    @property
    def readable_frames(self) -> tuple[int, ...]:
        """Visible frames in which the plate is at least ``readable_px`` wide."""
        return tuple(p.frame for p in self.points if p.readable)


@dataclass(frozen=True)
class VideoTruth:
    """What a rendered video shows."""

    width: int
    height: int
    fps: float
    frame_count: int
    lighting: str
    vehicles: tuple[VehicleTrack, ...]


@dataclass
class _Actor:
    levels: list[tuple[float, Mounted]]  # (frame scale the level suits, mounted)
    lateral: float
    z0: float
    z1: float
    t0: float
    speed: float
    yaw: float
    pitch: float
    roll: float

    def depth(self, t: float) -> float | None:
        """Depth at time t, or None when off the road segment."""
        d = (t - self.t0) * self.speed
        span = abs(self.z1 - self.z0)
        if d < 0 or d > span:
            return None
        return self.z0 + math.copysign(d, self.z1 - self.z0)


def _scaled(m: Mounted, k: float) -> Mounted:
    """The same vehicle with its rasters shrunk by k (for distant frames)."""
    p = m.patch
    h, w = p.image.shape[:2]
    size = (max(2, round(w * k)), max(2, round(h * k)))
    patch = dataclasses.replace(
        p,
        image=as_u8(cv2.resize(p.image, size, interpolation=cv2.INTER_AREA)),
        alpha=as_u8(cv2.resize(p.alpha, size, interpolation=cv2.INTER_AREA)),
        scale=p.scale * size[0] / w,
        origin_px=(p.origin_px[0] * size[0] / w, p.origin_px[1] * size[1] / h),
    )
    ph, pw = m.plate_image.shape[:2]
    psize = (max(2, round(pw * k)), max(2, round(ph * k)))
    plate = dataclasses.replace(
        m.plate, mask=as_u8(cv2.resize(m.plate.mask, psize, interpolation=cv2.INTER_AREA))
    )
    return Mounted(
        m.rig, patch, plate, as_u8(cv2.resize(m.plate_image, psize, interpolation=cv2.INTER_AREA))
    )


def _level(actor: _Actor, scale: float) -> Mounted:
    """The smallest raster level still at least as detailed as the frame needs."""
    best = actor.levels[0][1]
    for suits, m in actor.levels:
        if suits >= scale:
            best = m
    return best


def _cast(
    rng: Generator, g: RoadGeometry, opts: VideoOptions, light: Lighting, s_lo: float, s_hi: float
) -> list[_Actor]:
    """Vehicles, their plates and their schedule through the view."""
    duration = opts.frame_count / opts.fps
    lanes = g.lanes_left + g.lanes_right
    actors: list[_Actor] = []
    lane_free = [0.0] * lanes
    z_far, z_near = g.focal / s_lo, g.focal / (s_hi * 1.25)
    for i in range(opts.vehicles):
        if i < len(opts.plates):
            text, key = opts.plates[i]
            fmt = resolve_format(key)
        else:
            fmt = random_format(rng, opts.formats)
            text = fmt.generate(rng)
        two_line = bool(fmt.lines[int(rng.integers(0, len(fmt.lines)))] == 2)
        view = opts.view or ("front" if rng.random() < 0.5 else "rear")
        kind = str(KINDS[int(rng.choice(len(KINDS), p=np.array([0.4, 0.2, 0.15, 0.1, 0.1, 0.05])))])
        rig = make_rig(rng, fmt.key, two_line, kind, view)
        speed = float(rng.uniform(*opts.speed_mps))
        travel = (z_far - z_near) / speed
        lane = int(rng.integers(0, lanes))
        # Spread arrivals over the clip; one vehicle per lane at a time.
        start = max(
            lane_free[lane],
            (i / max(1, opts.vehicles)) * max(0.0, duration - travel * 0.8)
            + float(rng.uniform(0, 0.5)),
        )
        if i == 0 and opts.crossing_s is not None:
            # The road's far end is the top row, where a plate is still above
            # the frame: the plate shows whole from about where a point 1.2 m
            # up is 8 px down. Halfway from there at the crossing; a vehicle
            # too fast for the view to hold it before and after is slowed.
            z_seen = min(z_far, g.focal * max(g.cam_h - 1.2, 0.1) / max(8.0 - g.horizon, 1.0))
            speed = min(speed, max(z_seen - z_near, 0.5) / CROSSING_IN_VIEW_S)
            start = opts.crossing_s - (z_far - z_seen) / speed - (z_seen - z_near) / speed / 2
        lane_free[lane] = start + travel * 0.6
        frame_scale = s_hi * 1.25 * rig.plate_size_m[0] / 0.52 * 1.0
        full = mount_vehicle(rng, rig, fmt.key, text, two_line, frame_scale, light, 0.4)
        levels = [(frame_scale, full)]
        k = 0.5
        while frame_scale * k > s_lo * 0.5 * rig.plate_size_m[0] / 0.52:
            levels.append((frame_scale * k, _scaled(full, k)))
            k *= 0.5
        z0, z1 = (z_far, z_near) if view == "front" else (z_near, z_far)
        # A roadside ALPR camera is aimed at its lane: keep vehicles near its
        # axis so that the plate stays in view from top to bottom.
        reach = (g.width / 2) / s_hi
        actors.append(
            _Actor(
                levels,
                (g.width / 2 - g.vp_x) / s_hi + float(rng.uniform(-0.45, 0.45)) * reach,
                z0,
                z1,
                start,
                speed,
                float(rng.uniform(-8, 8)),
                float(rng.uniform(5, 20)),
                float(rng.uniform(-2, 2)),
            )
        )
    return actors


def _prepare(
    rng: Generator, opts: VideoOptions
) -> tuple[RoadGeometry, Lighting, Backdrop, list[_Actor]]:
    light = make_lighting(rng, opts.lighting)
    pw0, pw1 = opts.plate_width_px or (opts.width * 0.035, opts.width * 0.14)
    s_lo, s_hi = pw0 / 0.52, pw1 / 0.52
    # Mount the camera so the frame spans exactly that range of scales.
    cam_h = opts.height / max(s_hi - s_lo, 1.0)
    g = make_geometry(rng, opts.width, opts.height, s_hi, cam_h=cam_h)
    backdrop = draw_backdrop(rng, g, light, clutter=opts.clutter)
    actors = _cast(rng, g, opts, light, s_lo, s_hi)
    return g, light, backdrop, actors


def iter_video(
    seed: int, options: VideoOptions | None = None
) -> tuple[VideoTruth, Iterator[Image]]:
    """The ground truth and an iterator over the frames (BGR uint8) of the
    video for ``seed``; nothing is encoded."""
    opts = options or VideoOptions()
    rng = np.random.default_rng(seed)
    g, light, backdrop, actors = _prepare(rng, opts)
    frame_seed = int(rng.integers(0, 2**63))
    if opts.crossing_s is not None:
        crossing = actors[0].depth(opts.crossing_s)
        if crossing is not None:
            draw_stop_line(backdrop, g, light, crossing)
    n = opts.frame_count
    schedule: list[list[tuple[int, Pose]]] = []
    for f in range(n):
        t = f / opts.fps
        active = []
        for i, a in enumerate(actors):
            z = a.depth(t)
            if z is not None:
                active.append((i, Pose(a.lateral, z, a.yaw, a.pitch, a.roll)))
        active.sort(key=lambda item: item[1].depth, reverse=True)  # far first
        schedule.append(active)
    truth = VideoTruth(
        opts.width, opts.height, opts.fps, n, light.mode, _tracks(g, opts, actors, schedule)
    )
    return truth, _frames(g, light, backdrop, actors, schedule, opts, frame_seed)


def _tracks(
    g: RoadGeometry,
    opts: VideoOptions,
    actors: list[_Actor],
    schedule: list[list[tuple[int, Pose]]],
) -> tuple[VehicleTrack, ...]:
    """Per vehicle, where its plate is in each frame it is on the road."""
    points: list[list[TrackPoint]] = [[] for _ in actors]
    for f, active in enumerate(schedule):
        boxes = {i: vehicle_box(g, actors[i].levels[0][1].rig, p) for i, p in active}
        for i, pose in active:
            quad = plate_quad(g, actors[i].levels[0][1].rig, pose)
            x0, y0 = float(quad[:, 0].min()), float(quad[:, 1].min())
            x1, y1 = float(quad[:, 0].max()), float(quad[:, 1].max())
            inside = x0 >= 0 and y0 >= 0 and x1 <= g.width and y1 <= g.height
            hidden = any(
                pj.depth < pose.depth
                and boxes[j][0] < x1
                and x0 < boxes[j][2]
                and boxes[j][1] < y1
                and y0 < boxes[j][3]
                for j, pj in active
                if j != i
            )
            visible = inside and not hidden
            width = float(np.hypot(*(quad[1] - quad[0])))
            points[i].append(
                TrackPoint(f, quad, boxes[i], visible, visible and width >= opts.readable_px)
            )
    tracks = []
    for a, pts in zip(actors, points, strict=True):
        m = a.levels[0][1]
        tracks.append(
            VehicleTrack(
                m.plate.text,
                m.plate.format,
                m.plate.country,
                m.plate.two_line,
                m.patch.kind,
                m.patch.view,
                tuple(pts),
            )
        )
    return tuple(tracks)


def _frames(
    g: RoadGeometry,
    light: Lighting,
    backdrop: Backdrop,
    actors: list[_Actor],
    schedule: list[list[tuple[int, Pose]]],
    opts: VideoOptions,
    seed: int,
) -> Iterator[Image]:
    """Render the frames one by one."""
    frng = np.random.default_rng(seed)
    scene_opts = SceneOptions(
        width=opts.width, height=opts.height, noise=opts.noise, defocus=0.0, jpeg_quality=None
    )
    prev: dict[int, NDArray[np.float32]] = {}
    for active in schedule:
        half = backdrop.half.copy()
        behind, clear = _split_signs(backdrop.signs, g, actors, active)
        draw_signs(half, behind, light, 0.5)
        drawn: list[tuple[Mounted, Pose, float, float]] = []
        for i, pose in active:
            rig = actors[i].levels[0][1].rig
            quad = plate_quad(g, rig, pose)
            centre = quad.mean(axis=0)
            blur, angle = 0.0, 90.0
            if i in prev:
                d = centre - prev[i]
                # The shutter is open for about a third of the frame time.
                blur, angle = float(np.hypot(*d)) * 0.35, float(np.degrees(np.arctan2(d[1], d[0])))
            prev[i] = centre
            m = _level(actors[i], float(np.hypot(*(quad[1] - quad[0]))) / rig.plate_size_m[0])
            composite_body(half, g, m, pose, light, blur_len=blur, blur_angle=angle)
            drawn.append((m, pose, blur, angle))
        frame = as_u8(cv2.resize(half, (g.width, g.height), interpolation=cv2.INTER_LINEAR))
        draw_signs(frame, clear, light, 1.0)
        for m, pose, blur, angle in drawn:
            composite_plate(frame, g, m, pose, blur_len=blur, blur_angle=angle)
            add_lamps(frame, g, m, pose, light)
        out, _, _ = finish_frame(frame, frng, light, scene_opts)
        yield out


def _split_signs(
    signs: list[Sign], g: RoadGeometry, actors: list[_Actor], active: list[tuple[int, Pose]]
) -> tuple[list[Sign], list[Sign]]:
    """Signs hidden behind a vehicle in this frame, and the rest."""
    boxes = [(pose.depth, vehicle_box(g, actors[i].levels[0][1].rig, pose)) for i, pose in active]
    behind, clear = [], []
    for s in signs:
        x, y, w, _ = s.box
        sb = (x, y, x + w, s.pole[3])
        if any(
            d < s.depth and b[0] < sb[2] and sb[0] < b[2] and b[1] < sb[3] and sb[1] < b[3]
            for d, b in boxes
        ):
            behind.append(s)
        else:
            clear.append(s)
    return behind, clear


def render_video(path: str | Path, seed: int, options: VideoOptions | None = None) -> VideoTruth:
    """Render and encode a video to ``path`` (H.264 in MP4); returns its truth."""
    opts = options or VideoOptions()
    for key in opts.formats or ():
        resolve_format(key)
    truth, frames = iter_video(seed, opts)
    out = Path(path)
    write_h264(
        str(out),
        frames,
        width=opts.width,
        height=opts.height,
        fps=opts.fps,
        crf=opts.crf,
        preset=opts.preset,
    )
    logger.info("rendered %d frames to %s", truth.frame_count, out.name)
    return truth

"""Training patches for the plate detector, cut from rendered scenes.

Each scene (``platekeeper.sim.render.render_scene``) is rescaled so that a
chosen plate appears between 18 and 260 pixels wide, cut into a square
patch, then degraded further (colour, blur, noise, JPEG) so the network
learns plates rather than the renderer's habits. Targets follow CenterNet:
a Gaussian bump at each plate's centre cell and, around it, the corners of
the plate and of its character block relative to the cell, in cells.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.random import Generator

from platekeeper.sim.render import SceneOptions, render_scene
from textures import paste_distractors, real_patch

PATCH = 320
STRIDE = 8
GRID = PATCH // STRIDE
SIZES = ((1280, 720), (960, 540), (1024, 768), (1600, 900))


def text_quad(plate) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Corners (TL, TR, BR, BL) of the rectangle around the characters."""
    if not plate.chars:
        return np.asarray(plate.quad, np.float32)
    pts = []
    for c in plate.chars:
        x0, y0, x1, y1 = c.box
        pts += [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    rect = cv2.minAreaRect(np.asarray(pts, np.float32))
    return order(cv2.boxPoints(rect))


def order(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float32).reshape(4, 2)
    by_x = pts[np.argsort(pts[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], np.float32)


def degrade(img: np.ndarray, rng: Generator) -> np.ndarray:
    out = img.astype(np.float32)
    if rng.random() < 0.8:
        gain = rng.uniform(0.5, 1.4, size=3) if rng.random() < 0.3 else rng.uniform(0.6, 1.4)
        out = out * gain + rng.uniform(-40, 40)
    if rng.random() < 0.3:
        mean = out.mean()
        out = (out - mean) * rng.uniform(0.4, 1.2) + mean
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.15:
        out = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if rng.random() < 0.3:
        k = int(rng.choice([3, 5]))
        out = cv2.GaussianBlur(out, (k, k), rng.uniform(0.5, 1.5))
    if rng.random() < 0.4:
        noise = rng.normal(0, rng.uniform(2, 12), out.shape)
        out = np.clip(out + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.4:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 90))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out


def patches_from_scene(rng: Generator, k: int) -> list[tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]]:
    w, h = SIZES[int(rng.integers(len(SIZES)))]
    scene = render_scene(rng, SceneOptions(width=w, height=h))
    plates = [(np.asarray(p.quad, np.float32), text_quad(p), p.width_px) for p in scene.plates]
    out = []
    for _ in range(k):
        target_w = float(np.exp(rng.uniform(np.log(18), np.log(220))))
        if plates and rng.random() < 0.9:
            quad, _, width = plates[int(rng.integers(len(plates)))]
            scale = target_w / max(width, 1.0)
            centre = quad.mean(axis=0) * scale
        else:
            scale = rng.uniform(0.3, 1.0)
            centre = np.array([rng.uniform(0, w * scale), rng.uniform(0, h * scale)])
        scale = float(np.clip(scale, 0.3, 3.0))
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        img = cv2.resize(scene.image, (sw, sh), interpolation=interp)
        ox = int(centre[0] - rng.uniform(0.15, 0.85) * PATCH)
        oy = int(centre[1] - rng.uniform(0.15, 0.85) * PATCH)
        canvas = np.full((PATCH, PATCH, 3), int(rng.integers(0, 255)), np.uint8)
        sx0, sy0 = max(0, ox), max(0, oy)
        sx1, sy1 = min(sw, ox + PATCH), min(sh, oy + PATCH)
        if sx1 > sx0 and sy1 > sy0:
            canvas[sy0 - oy : sy1 - oy, sx0 - ox : sx1 - ox] = img[sy0:sy1, sx0:sx1]
        shift = np.array([ox, oy], np.float32)
        objs = [(q * scale - shift, t * scale - shift) for q, t, _ in plates]
        if rng.random() < 0.4:
            canvas = paste_distractors(canvas, [q for q, _ in objs], rng, int(rng.integers(1, 4)))
        out.append((degrade(canvas, rng), objs))
    return out


def targets(objs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    heat = np.zeros((GRID, GRID), np.float32)
    reg = np.zeros((16, GRID, GRID), np.float32)
    mask = np.zeros((GRID, GRID), np.float32)
    ys, xs = np.mgrid[0:GRID, 0:GRID]
    for plate, text in objs:
        centre = plate.mean(axis=0) / STRIDE
        cx, cy = int(centre[0]), int(centre[1])
        if not (0 <= cx < GRID and 0 <= cy < GRID):
            continue
        pw = float(np.linalg.norm(plate[1] - plate[0])) / STRIDE
        ph = float(np.linalg.norm(plate[3] - plate[0])) / STRIDE
        if pw < 1.5:
            continue
        sx, sy = max(0.5, pw / 5), max(0.4, ph / 5)
        bump = np.exp(-(((xs + 0.5 - centre[0]) / sx) ** 2 + ((ys + 0.5 - centre[1]) / sy) ** 2) / 2)
        heat = np.maximum(heat, bump)
        heat[cy, cx] = 1.0
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                gx, gy = cx + dx, cy + dy
                if 0 <= gx < GRID and 0 <= gy < GRID:
                    cell = np.array([gx + 0.5, gy + 0.5], np.float32) * STRIDE
                    reg[:8, gy, gx] = ((plate - cell) / STRIDE).reshape(-1)
                    reg[8:, gy, gx] = ((text - cell) / STRIDE).reshape(-1)
                    mask[gy, gx] = 1.0 if (dx, dy) == (0, 0) else 0.5
    return heat, reg, mask


def to_tensor(img: np.ndarray) -> np.ndarray:
    rgb = img[:, :, ::-1].astype(np.float32)
    return ((rgb - 127.5) / 64.0).transpose(2, 0, 1)


def make_batch(rng: Generator, batch: int) -> tuple[np.ndarray, ...]:
    images, heats, regs, masks = [], [], [], []
    while len(images) < batch:
        samples = patches_from_scene(rng, 10)
        # Real photographs with no plate: scenery the renderer cannot draw.
        samples += [(degrade(real_patch(rng, PATCH, PATCH), rng), []) for _ in range(2)]
        for img, objs in samples:
            heat, reg, mask = targets(objs)
            images.append(to_tensor(img))
            heats.append(heat)
            regs.append(reg)
            masks.append(mask)
    return (
        np.stack(images[:batch]),
        np.stack(heats[:batch]),
        np.stack(regs[:batch]),
        np.stack(masks[:batch]),
    )

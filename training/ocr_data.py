"""Training lines for the plate OCR, cut from rendered plate crops.

``platekeeper.sim.render.render_plate_crop`` gives a degraded plate with the
box of every character. Each text line becomes one sample: the rectangle
around its characters, grown by a random margin and jittered the way a
detector's box is, rectified to 48 pixels high. Two-line plates give two
samples. Labels are the canonical characters of that line.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.random import Generator

from platekeeper.recognition.text import ALPHABET
from platekeeper.sim.render import CropOptions, render_plate_crop

HEIGHT = 48
MAX_WIDTH = 320
_INDEX = {c: i + 1 for i, c in enumerate(ALPHABET)}  # 0 is the CTC blank


def line_quad(boxes: list[tuple[float, float, float, float]], rng: Generator) -> np.ndarray:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    w, h = x1 - x0, y1 - y0
    grow_x = rng.uniform(0.0, 0.12) * w + rng.uniform(0, 0.3) * h
    if rng.random() < 0.5:
        # A text detector's box often takes in what flanks the characters on
        # the plate (a flag, a country band, the border): the model must pass
        # over it.
        grow_x += rng.uniform(0.1, 0.45) * w
    grow_y = rng.uniform(0.05, 0.35) * h
    jx, jy = rng.normal(0, 0.02 * w), rng.normal(0, 0.05 * h)
    x0, x1 = x0 - grow_x / 2 + jx, x1 + grow_x / 2 + jx
    y0, y1 = y0 - grow_y / 2 + jy, y1 + grow_y / 2 + jy
    quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    quad += rng.normal(0, 0.03 * h, quad.shape).astype(np.float32)
    return quad


def rectify(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    w = max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3]))
    h = max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1]))
    out_w = int(np.clip(round(HEIGHT * w / max(h, 1.0)), 16, MAX_WIDTH))
    dst = np.array([[0, 0], [out_w, 0], [out_w, HEIGHT], [0, HEIGHT]], np.float32)
    m = cv2.getPerspectiveTransform(quad, dst)
    return cv2.warpPerspective(image, m, (out_w, HEIGHT), borderMode=cv2.BORDER_REPLICATE)


def degrade(img: np.ndarray, rng: Generator) -> np.ndarray:
    out = img.astype(np.float32)
    if rng.random() < 0.5:
        out = out * rng.uniform(0.6, 1.3) + rng.uniform(-30, 30)
    if rng.random() < 0.2:
        mean = out.mean()
        out = (out - mean) * rng.uniform(0.35, 0.9) + mean
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.1:
        out = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if rng.random() < 0.25:
        # Seen from further away: lose resolution, then scale back up.
        f = rng.uniform(0.3, 0.7)
        small = cv2.resize(out, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LINEAR)
    return out


def samples(rng: Generator) -> list[tuple[np.ndarray, str]]:
    crop = render_plate_crop(rng, CropOptions(out_height=int(rng.integers(40, 120))))
    lines: dict[int, list] = {}
    for box in crop.chars:
        lines.setdefault(box.line, []).append(box)
    out = []
    for index in sorted(lines):
        boxes = lines[index]
        text = "".join(b.char for b in boxes)
        if not text or any(c not in _INDEX for c in text):
            continue
        quad = line_quad([b.box for b in boxes], rng)
        out.append((degrade(rectify(crop.image, quad), rng), text))
    return out


def to_tensor(img: np.ndarray) -> np.ndarray:
    return (img.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)


def make_batch(rng: Generator, batch: int) -> tuple[np.ndarray, ...]:
    items: list[tuple[np.ndarray, str]] = []
    while len(items) < batch:
        items.extend(samples(rng))
    items = items[:batch]
    width = max(img.shape[1] for img, _ in items)
    width = -(-width // 8) * 8
    images = np.zeros((batch, 3, HEIGHT, width), np.float32)
    steps = np.zeros(batch, np.int64)
    labels: list[int] = []
    lengths = np.zeros(batch, np.int64)
    for i, (img, text) in enumerate(items):
        images[i, :, :, : img.shape[1]] = to_tensor(img)
        steps[i] = width // 8
        labels.extend(_INDEX[c] for c in text)
        lengths[i] = len(text)
    return images, np.array(labels, np.int64), steps, lengths

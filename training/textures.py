"""Real photographs used as negative examples: scenery with no plate in it.

The sample images that ship inside the scikit-image and scikit-learn wheels
(grass, gravel, brick, a motorcycle, a coffee cup, a Chinese temple, …) give
the detector real-world texture — foliage, masonry, faces, printed text —
to learn that these are not plates. They are read from the installed
packages at training time, never copied into this repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
from numpy.random import Generator

SKIMAGE_FILES = (
    "astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png", "coins.png",
    "grass.png", "gravel.png", "motorcycle_left.png", "motorcycle_right.png", "rocket.jpg",
    "text.png", "page.png", "clock_motion.png", "color.png", "logo.png",
)
SKLEARN_FILES = ("china.jpg", "flower.jpg")


@cache
def photographs() -> tuple[np.ndarray, ...]:
    import skimage
    import sklearn

    paths = [Path(skimage.__file__).parent / "data" / f for f in SKIMAGE_FILES]
    paths += [Path(sklearn.__file__).parent / "datasets" / "images" / f for f in SKLEARN_FILES]
    images = []
    for path in paths:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is not None:
            images.append(img)
    if not images:
        raise RuntimeError("no sample photographs found; install training/requirements.txt")
    return tuple(images)


def real_patch(rng: Generator, width: int, height: int) -> np.ndarray:
    """A random crop of a random photograph, rescaled, flipped and recoloured."""
    photos = photographs()
    img = photos[int(rng.integers(len(photos)))]
    scale = float(np.exp(rng.uniform(np.log(0.3), np.log(2.5))))
    h, w = img.shape[:2]
    sw, sh = max(8, int(w * scale)), max(8, int(h * scale))
    img = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    reps_y, reps_x = -(-height // sh), -(-width // sw)
    if reps_x > 1 or reps_y > 1:
        img = np.tile(img, (reps_y + 1, reps_x + 1, 1))
    y = int(rng.integers(0, img.shape[0] - height + 1))
    x = int(rng.integers(0, img.shape[1] - width + 1))
    crop = img[y : y + height, x : x + width].astype(np.float32)
    crop = crop * rng.uniform(0.6, 1.3, size=3) + rng.uniform(-30, 30)
    return np.clip(crop, 0, 255).astype(np.uint8)


def paste_distractors(
    img: np.ndarray, keep_out: list[np.ndarray], rng: Generator, count: int
) -> np.ndarray:
    """Blend pieces of photographs into ``img`` away from the plates in ``keep_out``."""
    out = img.copy()
    h, w = img.shape[:2]
    guard = np.zeros((h, w), np.uint8)
    for quad in keep_out:
        cv2.fillPoly(guard, [quad.astype(np.int32)], 1)
    guard = cv2.dilate(guard, np.ones((9, 9), np.uint8))
    for _ in range(count):
        pw, ph = int(rng.integers(24, w // 2)), int(rng.integers(16, h // 2))
        x, y = int(rng.integers(0, w - pw)), int(rng.integers(0, h - ph))
        if guard[y : y + ph, x : x + pw].any():
            continue
        piece = real_patch(rng, pw, ph)
        mask = np.zeros((ph, pw), np.float32)
        if rng.random() < 0.5:
            cv2.ellipse(mask, (pw // 2, ph // 2), (pw // 2, ph // 2), 0, 0, 360, 1.0, -1)
        else:
            mask[:] = 1.0
        mask = cv2.GaussianBlur(mask, (0, 0), 2.0)[..., None]
        region = out[y : y + ph, x : x + pw].astype(np.float32)
        out[y : y + ph, x : x + pw] = (region * (1 - mask) + piece * mask).astype(np.uint8)
    return out

"""Contact sheets of synthetic plates, scenes and OCR crops, for looking at.

    .venv/bin/python bench/render_samples.py [--out test-artifacts] [--seed 1]

Writes plates.png (every series and layout), scenes_<lighting>.png (a grid of
frames under each light, plate quads outlined in a copy), crops.png, and
plates_in_scenes.png (the plates cut out of rendered frames at their real
resolution, enlarged), and prints where they went.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from platekeeper.sim.render import (
    LIGHTING_MODES,
    CropOptions,
    SceneOptions,
    plate_formats,
    random_plate,
    render_plate,
    render_plate_crop,
    render_scene,
)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    out = np.full((img.shape[0] + 20, img.shape[1], 3), 40, np.uint8)
    out[: img.shape[0]] = img
    cv2.putText(
        out,
        text,
        (4, img.shape[0] + 15),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.45,
        (0, 230, 0),
        1,
        cv2.LINE_AA,
    )
    return out


def _pack(tiles: list[np.ndarray], width: int) -> np.ndarray:
    rows, row, used = [], [], 0
    for t in tiles:
        if row and used + t.shape[1] > width:
            rows.append(row)
            row, used = [], 0
        row.append(t)
        used += t.shape[1] + 6
    if row:
        rows.append(row)
    lines = []
    for r in rows:
        h = max(t.shape[0] for t in r)
        line = np.full((h + 6, width, 3), 25, np.uint8)
        x = 0
        for t in r:
            line[: t.shape[0], x : x + t.shape[1]] = t
            x += t.shape[1] + 6
        lines.append(line)
    return np.vstack(lines)


def plates_sheet(rng: np.random.Generator) -> np.ndarray:
    tiles = []
    for key, fmt in sorted(plate_formats().items()):
        for lines in fmt.lines:
            for _ in range(2):
                p = render_plate(
                    random_plate(rng, key), key, rng, px_per_mm=0.8, two_line=lines == 2
                )
                img = p.image.copy()
                img[p.mask < 128] = (25, 25, 25)
                img = cv2.resize(
                    img,
                    (round(img.shape[1] * 110 / img.shape[0]), 110),
                    interpolation=cv2.INTER_AREA,
                )
                tiles.append(_label(img, f"{key} {p.text}"))
    return _pack(tiles, 1900)


def scenes_sheet(
    rng: np.random.Generator, lighting: str, n: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    opts = SceneOptions(width=1280, height=720, lighting=lighting, jpeg_quality=(60, 92))
    plain, marked = [], []
    for _ in range(n):
        s = render_scene(rng, opts)
        small = cv2.resize(s.image, (640, 360), interpolation=cv2.INTER_AREA)
        dbg = s.image.copy()
        for p in s.plates:
            cv2.polylines(dbg, [np.round(p.quad).astype(np.int32)], True, (0, 255, 0), 2)
            x0, y0, x1, y1 = p.vehicle_box
            cv2.rectangle(dbg, (x0, y0), (x1, y1), (255, 128, 0), 1)
        texts = " ".join(p.text for p in s.plates)
        plain.append(_label(small, texts))
        marked.append(_label(cv2.resize(dbg, (640, 360), interpolation=cv2.INTER_AREA), texts))
    return _pack(plain, 1940), _pack(marked, 1940)


def crops_sheet(rng: np.random.Generator) -> np.ndarray:
    tiles = []
    for _ in range(60):
        c = render_plate_crop(rng, CropOptions(out_height=48))
        tiles.append(
            _label(cv2.resize(c.image, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST), c.text)
        )
    return _pack(tiles, 1900)


def plates_in_scenes(rng: np.random.Generator) -> np.ndarray:
    tiles: list[np.ndarray] = []
    while len(tiles) < 30:
        s = render_scene(rng, SceneOptions(jpeg_quality=(60, 92)))
        for p in s.plates:
            x0, y0, x1, y1 = p.box
            w, h = x1 - x0, y1 - y0
            crop = s.image[max(0, y0 - h) : y1 + h, max(0, x0 - w // 3) : x1 + w // 3]
            crop = cv2.resize(crop, (300, 150), interpolation=cv2.INTER_LINEAR)
            tiles.append(_label(crop, f"{s.lighting} {p.text} {p.width_px:.0f}px"))
    return _pack(tiles, 1900)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="test-artifacts", help="folder for the PNG sheets")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    cv2.imwrite(str(out / "plates.png"), plates_sheet(rng))
    for mode in LIGHTING_MODES:
        plain, marked = scenes_sheet(rng, mode)
        cv2.imwrite(str(out / f"scenes_{mode}.png"), plain)
        cv2.imwrite(str(out / f"scenes_{mode}_truth.png"), marked)
    cv2.imwrite(str(out / "crops.png"), crops_sheet(rng))
    cv2.imwrite(str(out / "plates_in_scenes.png"), plates_in_scenes(rng))
    print(f"contact sheets written to {out.resolve()}")


if __name__ == "__main__":
    main()

"""How fast the synthetic renderer is on one core.

    .venv/bin/python bench/render_speed.py [--quick]

OpenCV is held to one thread and times are CPU seconds of this process
(time.process_time), so other work on a shared machine does not inflate them.
Each measurement follows a warm-up (glyph, stamp and plate-design caches fill
during the first few hundred items of a process; the warm-up cost is printed
too). Prints milliseconds per scene at 720p, 1080p and 4K with and without
JPEG, plate crops per second, plates per second and video frames per second
(render and H.264 encode).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from platekeeper.sim.render import (
    CropOptions,
    SceneOptions,
    VideoOptions,
    random_format,
    render_plate,
    render_plate_crop,
    render_scene,
    render_video,
)


def _cpu(fn: object, n: int) -> float:
    """CPU milliseconds per call of fn() over n calls."""
    assert callable(fn)
    t = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    k = 0.25 if args.quick else 1.0
    cv2.setNumThreads(1)
    rng = np.random.default_rng(2024)

    t = time.process_time()
    for _ in range(int(300 * k)):
        render_scene(rng, SceneOptions())
    print(f"warm-up: {int(300 * k)} scenes in {time.process_time() - t:.1f} s CPU")

    for (w, h), n in (((1280, 720), 80), ((1920, 1080), 80), ((3840, 2160), 30)):
        for jpeg in (None, (70, 92)):
            opts = SceneOptions(width=w, height=h, jpeg_quality=jpeg)
            for _ in range(int(10 * k) + 1):
                render_scene(rng, opts)
            ms = _cpu(lambda o=opts: render_scene(rng, o), max(5, int(n * k)))
            label = "with JPEG" if jpeg else "no JPEG  "
            print(f"scene {w}x{h} {label}: {ms:6.1f} ms CPU per frame")

    for light in ("day", "night_ir"):
        opts = SceneOptions(lighting=light)
        ms = _cpu(lambda o=opts: render_scene(rng, o), max(5, int(40 * k)))
        print(f"scene 1920x1080 {light:9s}: {ms:6.1f} ms CPU per frame")

    copts = CropOptions(out_height=48)
    t = time.process_time()
    for _ in range(int(3000 * k)):
        render_plate_crop(rng, copts)
    print(f"crop warm-up: {int(3000 * k)} crops in {time.process_time() - t:.1f} s CPU")
    ms = _cpu(lambda: render_plate_crop(rng, copts), int(1000 * k))
    print(f"plate crops (48 px high): {1000 / ms:6.0f} per second per core ({ms:.2f} ms)")
    fresh = CropOptions(out_height=48, plate_variants=0)
    ms = _cpu(lambda: render_plate_crop(rng, fresh), int(400 * k))
    print(f"plate crops, every design fresh: {1000 / ms:6.0f} per second per core ({ms:.2f} ms)")

    def plate() -> None:
        f = random_format(rng)
        render_plate(f.generate(rng), f, rng, px_per_mm=0.5)

    ms = _cpu(plate, int(400 * k))
    print(f"plates (0.5 px/mm, fresh design): {1000 / ms:6.0f} per second per core")

    with tempfile.TemporaryDirectory() as tmp:
        for (w, h), secs in (((1280, 720), 4.0), ((1920, 1080), 2.0)):
            vopts = VideoOptions(
                width=w, height=h, fps=25.0, seconds=secs * k if args.quick else secs, vehicles=3
            )
            t = time.process_time()
            truth = render_video(Path(tmp) / "v.mp4", 5, vopts)
            dt = time.process_time() - t
            fps = truth.frame_count / dt
            print(f"video {w}x{h}: {fps:5.1f} frames per CPU second (render + H.264)")


if __name__ == "__main__":
    main()

"""Recognition speed on 4K roadside stills (3840x2160), where a plate is small.

    python bench/recognition_4k.py [--frames 30] [--seed 4] [--json OUT.json]

Renders frames with Uzbek plates (``platekeeper.sim.render``), then times
``Recognizer.read`` per frame twice: from the decoded frame (what a video
decoder hands over) and from the JPEG bytes (decoding included). Prints
median and p95 milliseconds and the share of plates read exactly.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from platekeeper.recognition import RecognitionSettings, Recognizer
from platekeeper.recognition.geometry import box_iou, quad_box
from platekeeper.sim.render import SceneOptions, render_scene


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    options = SceneOptions(
        width=3840, height=2160, formats=("uz_private", "uz_company"), vehicles=(1, 3)
    )
    scenes = [render_scene(rng, options) for _ in range(args.frames)]
    jpegs = [
        cv2.imencode(".jpg", s.image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes() for s in scenes
    ]

    recognizer = Recognizer(RecognitionSettings(countries=("UZ",)))
    recognizer.read(scenes[0].image)  # warm-up

    decoded_ms, jpeg_ms = [], []
    plates = exact = 0
    for scene, data in zip(scenes, jpegs, strict=True):
        start = time.perf_counter()
        reads = recognizer.read(scene.image)
        decoded_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        recognizer.read_bytes(data)
        jpeg_ms.append((time.perf_counter() - start) * 1000)
        for truth in scene.plates:
            plates += 1
            near = [
                r.text
                for r in reads
                if box_iou(quad_box(np.asarray(r.quad, np.float32)), quad_box(truth.quad)) > 0.2
            ]
            exact += truth.text in near

    figures = {
        "frames": len(scenes),
        "plates": plates,
        "exact": exact / max(1, plates),
        "decoded_median_ms": statistics.median(decoded_ms),
        "decoded_p95_ms": percentile(decoded_ms, 0.95),
        "jpeg_median_ms": statistics.median(jpeg_ms),
        "jpeg_p95_ms": percentile(jpeg_ms, 0.95),
        "median_plate_width_px": statistics.median(p.width_px for s in scenes for p in s.plates),
    }
    print(f"4K frames: {figures['frames']}, plates: {plates}, read exactly: {figures['exact']:.1%}")
    print(
        f"from decoded frames: median {figures['decoded_median_ms']:.1f} ms, "
        f"p95 {figures['decoded_p95_ms']:.1f} ms"
    )
    print(
        f"from JPEG bytes:     median {figures['jpeg_median_ms']:.1f} ms, "
        f"p95 {figures['jpeg_p95_ms']:.1f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

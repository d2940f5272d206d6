"""Video at the edge: vehicle passes read from rendered road videos, and how
fast, as ``platekeeper edge run --video`` does it (without the upload).

For each seed a video is rendered (day, the given size, plates 100-200 px
wide at 1280 wide, scaled with the frame), then read at the sampling rate:
prints vehicles, passes found, passes whose text is a vehicle's plate, and
the real-time factor (video seconds per second of processing, one process).

    .venv/bin/python bench/video_edge.py [--seeds 1-8] [--size 1280x720] [--fps 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from platekeeper.edge.outbox import Outbox
from platekeeper.edge.video import process_video
from platekeeper.recognition import RecognitionSettings, Recognizer
from platekeeper.sim.render.video import VideoOptions, render_video


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1-8")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    lo, hi = (int(v) for v in args.seeds.split("-"))
    width, height = (int(v) for v in args.size.split("x"))
    scale = width / 1280
    recognizer = Recognizer(RecognitionSettings(countries=("UZ",)))
    totals = {"vehicles": 0, "passes": 0, "right": 0, "video": 0.0, "work": 0.0}
    with tempfile.TemporaryDirectory(prefix="pk-video-") as tmp:
        for seed in range(lo, hi + 1):
            path = Path(tmp) / f"v{seed}.mp4"
            options = VideoOptions(
                width=width,
                height=height,
                seconds=args.seconds,
                vehicles=3,
                lighting="day",
                plate_width_px=(100 * scale, 200 * scale),
                speed_mps=(2.0, 4.0),
            )
            truth = render_video(path, seed, options)
            outbox = Outbox(Path(tmp) / f"outbox{seed}")
            started = time.perf_counter()
            process_video(
                str(path),
                recognizer,
                outbox,
                started_at=datetime.now(UTC),
                countries=["UZ"],
                sample_fps=args.fps,
            )
            work = time.perf_counter() - started
            found = [str(e.read["plate"]) for e in outbox.peek(1000, max_bytes=1 << 40)]
            plates = {v.text for v in truth.vehicles}
            right = sum(1 for text in found if text in plates)
            print(
                f"seed {seed}: {len(plates)} vehicles, {len(found)} passes, {right} right; "
                f"{args.seconds / work:.2f}x real time"
            )
            totals["vehicles"] += len(plates)
            totals["passes"] += len(found)
            totals["right"] += right
            totals["video"] += args.seconds
            totals["work"] += work
            outbox.close()
    print(
        f"all: {totals['right']}/{totals['vehicles']} vehicles read right, "
        f"{totals['passes']} passes; {totals['video'] / totals['work']:.2f}x real time "
        f"at {width}x{height}, {args.fps:g} frames/s sampled, one process"
    )


if __name__ == "__main__":
    main()

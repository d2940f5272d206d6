"""What a junction pass's clip costs the simulated feed: CPU per clip (render,
H.264 and, on red, the three stills) and its size.

    .venv/bin/python bench/junction_clip.py [--clips 20] [--seed 0]

Films the first ``--clips`` junction captures with a readable plate of a
simulated day of the demo's fleet (a third of them on red, with stills),
as the feed does for a rendered junction capture. Times are CPU seconds of
this process (time.process_time) with OpenCV on one thread, so other work
on a shared machine does not inflate them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import cv2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cv2.setNumThreads(1)

    from platekeeper.sim.camera_view import lighting_at
    from platekeeper.sim.junction_clip import CLIP_FPS, CLIP_S, CLIP_SIZE, film_pass
    from platekeeper.sim.network import Network
    from platekeeper.sim.population import Population
    from platekeeper.sim.signals import Phase
    from platekeeper.sim.simulator import TripSimulator

    network = Network.load()
    day = date(2026, 3, 3)
    population = Population.generate(network, 4000, args.seed, reference=day)
    start = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    junction = [
        c
        for c in TripSimulator(network, population, args.seed).captures(
            start, start + timedelta(hours=12)
        )
        if c.stop_line and c.plate
    ]
    red = [c for c in junction if c.phase is Phase.RED][: args.clips // 3]
    chosen = red + [c for c in junction if c.phase is not Phase.RED][: args.clips - len(red)]
    # The first clip fills the renderer's caches (fonts, plate designs).
    film_pass(chosen[0], "uz_private", "day", seed=args.seed, stills=True)
    times, sizes = [], []
    for capture in chosen:
        bank = network.banks[capture.bank_id]
        light = lighting_at(capture.ts, network.utc_offset_s, bank.lat, False)
        fmt = population[capture.vehicle_id].plate_format.value.replace("-", "_")
        t = time.process_time()
        clip = film_pass(capture, fmt, light, seed=args.seed, stills=capture.phase is Phase.RED)
        times.append(time.process_time() - t)
        sizes.append(len(clip.mp4) + sum(len(s or b"") for s in clip.stills))
    w, h = CLIP_SIZE
    print(
        f"{len(chosen)} junction passes filmed ({len(red)} on red, with 3 stills), "
        f"{CLIP_S:g} s of {w}x{h} at {CLIP_FPS:g} frames/s:"
    )
    print(
        f"  CPU per clip: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms; size median {statistics.median(sizes) / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()

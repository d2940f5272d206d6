"""A junction pass filmed for the evidence: a short H.264 clip of the
vehicle driving over the stop line, and stills of its track points."""

from __future__ import annotations

import io

import av
import numpy as np

from platekeeper.sim.captures import Capture
from platekeeper.sim.junction_clip import (
    CLIP_FPS,
    CLIP_S,
    CLIP_SIZE,
    clip_seed,
    film_pass,
    pass_options,
    track_frames,
)
from platekeeper.sim.population import Population
from platekeeper.sim.render.video import iter_video
from platekeeper.sim.signals import Phase


def _series(population: Population, capture: Capture) -> str:
    return population[capture.vehicle_id].plate_format.value.replace("-", "_")


def test_a_red_light_pass_is_filmed_crossing_the_line_with_its_three_stills(
    week: list[Capture], population: Population
) -> None:
    runner = next(c for c in week if c.stop_line and c.plate and c.phase is Phase.RED)
    series = _series(population, runner)
    clip = film_pass(runner, series, "dusk", seed=3, stills=True)
    with av.open(io.BytesIO(clip.mp4)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == round(CLIP_S * CLIP_FPS)
    assert (frames[0].width, frames[0].height) == CLIP_SIZE
    assert len(clip.stills) == len(runner.stop_line) == 3
    assert all(s is not None and s[:3] == b"\xff\xd8\xff" for s in clip.stills)
    assert film_pass(runner, series, "dusk", seed=3, stills=True) == clip  # deterministic

    # The drawn vehicle carries the capture's plate and is in view at every
    # track point, nearer the camera (lower in the frame) at each.
    truth, _frames = iter_video(clip_seed(3, runner.id), pass_options(runner, series, "dusk"))
    (car,) = truth.vehicles
    assert car.text == runner.plate
    at = {p.frame: p for p in car.points}
    shown = [at[f] for f in track_frames(runner)]
    assert all(p.visible for p in shown)
    heights = [float(np.asarray(p.quad)[:, 1].mean()) for p in shown]
    assert heights == sorted(heights)
    assert heights[0] < heights[-1]


def test_a_pass_on_green_is_filmed_without_stills(
    week: list[Capture], population: Population
) -> None:
    green = next(c for c in week if c.stop_line and c.plate and c.phase is Phase.GREEN)
    clip = film_pass(green, _series(population, green), "night_ir", seed=3, stills=False)
    assert clip.stills == ()
    assert clip.mp4[4:8] == b"ftyp"

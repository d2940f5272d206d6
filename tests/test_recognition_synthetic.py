"""Recognition on rendered Uzbek scenes: plates of both series, day, dusk and
night, perspective, blur and noise, several plates per frame, two-line plates,
4K frames with lane regions, and several threads at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from platekeeper.recognition import PlateRead, RecognitionSettings, Recognizer
from platekeeper.recognition.geometry import box_iou, quad_box
from platekeeper.sim.render import Scene, SceneOptions, render_scene

UZ = ("uz_private", "uz_company")


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer(RecognitionSettings(countries=("UZ",)))


def scenes(seed: int, count: int, options: SceneOptions) -> list[Scene]:
    rng = np.random.default_rng(seed)
    return [render_scene(rng, options) for _ in range(count)]


def read_at(reads: list[PlateRead], quad: np.ndarray) -> list[str]:
    box = quad_box(np.asarray(quad, np.float32))
    return [r.text for r in reads if box_iou(quad_box(np.asarray(r.quad, np.float32)), box) > 0.2]


TARGET = 0.98
"""The issue's target for exact reads of rendered Uzbek plates."""
FLOOR = 0.72
"""What the engine measurably reaches today on the set below (61 of 81 plates, 75%, with the
default PP-OCRv6 recogniser); a drop under it is a regression.
The gap to ``TARGET`` is real and open: most misses are plates under ~90 pixels
wide or smeared by motion blur or defocus, and region codes whose first or
second digit merges with the bar beside it (``60`` read as ``0``)."""


@pytest.fixture(scope="module")
def uzbek_frames() -> list[Scene]:
    """60 rendered frames of every lighting, one or two plates each."""
    return scenes(2026, 60, SceneOptions(width=1280, height=720, formats=UZ, vehicles=(1, 2)))


@pytest.fixture(scope="module")
def uzbek_results(
    recognizer: Recognizer, uzbek_frames: list[Scene]
) -> tuple[int, list[tuple[int, str, str, list[str]]]]:
    """(plates, misses) over the rendered frames."""
    frames = uzbek_frames
    plates = sum(len(s.plates) for s in frames)
    misses = []
    for index, scene in enumerate(frames):
        reads = recognizer.read(scene.image)
        for truth in scene.plates:
            if truth.text not in read_at(reads, truth.quad):
                misses.append((index, truth.text, scene.lighting, read_at(reads, truth.quad)))
    return plates, misses


def test_rendered_uzbek_plates_read_no_worse_than_measured(
    uzbek_results: tuple[int, list[tuple[int, str, str, list[str]]]],
) -> None:
    plates, misses = uzbek_results
    assert plates >= 60
    assert (plates - len(misses)) / plates >= FLOOR, misses


def test_the_fast_path_reads_rendered_uzbek_plates_no_worse_than_measured(
    uzbek_frames: list[Scene],
) -> None:
    """The plate detector trained here (``detector: fast``) on the same frames:
    measured 62 of 81 (77%), at about half the time per frame."""
    fast = Recognizer(RecognitionSettings(countries=("UZ",), detector="fast"))
    plates = found = 0
    for scene in uzbek_frames:
        reads = fast.read(scene.image)
        for truth in scene.plates:
            plates += 1
            found += truth.text in read_at(reads, truth.quad)
    assert found / plates >= FLOOR


@pytest.mark.xfail(strict=True, reason="open: the 98% target is not met yet (see FLOOR)")
def test_reads_at_least_98_percent_of_rendered_uzbek_plates(
    uzbek_results: tuple[int, list[tuple[int, str, str, list[str]]]],
) -> None:
    plates, misses = uzbek_results
    assert (plates - len(misses)) / plates >= TARGET, misses


def test_read_carries_format_quad_candidates_and_crop(recognizer: Recognizer) -> None:
    """The fields of a read, on a plate at a camera's design size (150-190 px wide)."""
    (scene,) = scenes(
        8,
        1,
        SceneOptions(
            width=1280,
            height=720,
            formats=("uz_private",),
            vehicles=(1, 1),
            lighting="day",
            plate_width_px=(150, 190),
        ),
    )
    (truth,) = scene.plates
    (read,) = [r for r in recognizer.read(scene.image) if r.text == truth.text]
    assert read.country == "UZ"
    assert read.format == "uz-private"
    assert read.display == f"{truth.text[:2]} {truth.text[2]} {truth.text[3:6]} {truth.text[6:]}"
    assert box_iou(quad_box(np.asarray(read.quad, np.float32)), quad_box(truth.quad)) > 0.4
    assert read.candidates[0].text == read.text
    assert read.crop.ndim == 3
    assert read.crop.shape[1] > read.crop.shape[0]


def test_two_line_plates_at_design_size_no_worse_than_measured(recognizer: Recognizer) -> None:
    """Motorcycle plates (two lines) where a camera is designed to read them
    (a 520 mm plate would be 150-190 px wide; these square ones are 70-100):
    measured 7 of 12, each read as two lines in the motorcycle series."""
    frames = scenes(
        11,
        12,
        SceneOptions(
            width=1280,
            height=720,
            formats=("uz_moto",),
            vehicles=(1, 1),
            plate_width_px=(150, 190),
        ),
    )
    found = 0
    for scene in frames:
        (truth,) = scene.plates
        hits = [r for r in recognizer.read(scene.image) if r.text == truth.text]
        found += bool(hits)
        assert all(r.two_line and r.format == "uz-moto" for r in hits)
    assert found >= 6


@pytest.mark.xfail(
    strict=True,
    reason="open: two-line plates 26-40 px wide (each line under 10 px) are not read",
)
def test_two_line_plates(recognizer: Recognizer) -> None:
    frames = scenes(
        11,
        6,
        SceneOptions(width=1280, height=720, formats=("uz_moto",), vehicles=(1, 1), lighting="day"),
    )
    found = 0
    for scene in frames:
        reads = recognizer.read(scene.image)
        for truth in scene.plates:
            near = [r for r in reads if r.text == truth.text]
            found += bool(near and near[0].two_line)
    assert found >= 5


def several_plate_frames() -> list[Scene]:
    return scenes(
        5, 4, SceneOptions(width=1920, height=1080, formats=UZ, vehicles=(3, 3), lighting="day")
    )


def test_several_plates_in_one_frame_no_worse_than_measured(recognizer: Recognizer) -> None:
    """Measured: 7 of the 12 plates, at least one in every frame."""
    found = 0
    for scene in several_plate_frames():
        reads = {r.text for r in recognizer.read(scene.image)}
        hits = len({p.text for p in scene.plates} & reads)
        assert hits >= 1
        found += hits
    assert found >= 6


@pytest.mark.xfail(strict=True, reason="open: small plates are missed (see FLOOR)")
def test_several_plates_in_one_frame(recognizer: Recognizer) -> None:
    for scene in several_plate_frames():
        reads = {r.text for r in recognizer.read(scene.image)}
        assert len({p.text for p in scene.plates} & reads) >= len(scene.plates) - 1


def test_4k_frame_with_lane_regions(recognizer: Recognizer) -> None:
    (scene,) = scenes(
        3, 1, SceneOptions(width=3840, height=2160, formats=UZ, vehicles=(2, 2), lighting="day")
    )
    first, second = scene.plates
    x0, y0, x1, y1 = first.box
    lane = (x0 - 150, y0 - 150, x1 - x0 + 300, y1 - y0 + 300)
    texts = {r.text for r in recognizer.read(scene.image, rois=[lane])}
    assert first.text in texts
    sx0, sy0, sx1, sy1 = second.box
    outside = sx1 < lane[0] or sx0 > lane[0] + lane[2] or sy1 < lane[1] or sy0 > lane[1] + lane[3]
    if outside:
        assert second.text not in texts


def test_greyscale_and_sixteen_bit_frames(recognizer: Recognizer) -> None:
    (scene,) = scenes(
        8,
        1,
        SceneOptions(
            width=1280,
            height=720,
            formats=UZ,
            vehicles=(1, 1),
            lighting="day",
            plate_width_px=(150, 190),
        ),
    )
    grey = scene.image.mean(axis=2).astype(np.uint8)
    deep = grey.astype(np.uint16) * 257
    for variant in (grey, deep):
        assert scene.plates[0].text in {r.text for r in recognizer.read(variant)}


def test_threads_share_one_recognizer(recognizer: Recognizer) -> None:
    frames = scenes(
        9, 6, SceneOptions(width=1280, height=720, formats=UZ, vehicles=(1, 1), lighting="day")
    )
    alone = [[r.text for r in recognizer.read(s.image)] for s in frames]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(lambda s: [r.text for r in recognizer.read(s.image)], frames))
    assert together == alone
    batch = recognizer.read_batch([s.image for s in frames])
    assert [[r.text for r in reads] for reads in batch] == alone

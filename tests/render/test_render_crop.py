"""render_plate_crop: OCR crops of the asked height with their text, quad and
character boxes, reproducible by seed."""

from __future__ import annotations

import numpy as np
import pytest

from platekeeper.sim.render import CropOptions, plate_formats, render_plate_crop


def test_crops_have_the_asked_size_and_valid_text() -> None:
    rng = np.random.default_rng(0)
    opts = CropOptions(out_height=48)
    for _ in range(60):
        c = render_plate_crop(rng, opts)
        h, w = c.image.shape[:2]
        assert h == 48
        assert 8 <= w <= 48 * 8
        assert plate_formats()[c.format].matches(c.text)
        assert "".join(ch.char for ch in c.chars) == c.text
        # The plate's centre is inside the crop, its corners about the edges.
        cx, cy = c.quad.mean(axis=0)
        assert 0 < cx < w
        assert 0 < cy < h
        assert (c.quad[:, 0] > -0.2 * w).all()
        assert (c.quad[:, 0] < 1.2 * w).all()


def test_fixed_size_crops() -> None:
    c = render_plate_crop(
        np.random.default_rng(1), CropOptions(out_height=32, out_width=128), fmt="uz_company"
    )
    assert c.image.shape == (32, 128, 3)
    assert c.format == "uz_company"
    assert c.country == "UZ"


def test_same_seed_same_crop() -> None:
    a = render_plate_crop(np.random.default_rng(5), text="01A123BC", fmt="uz_private")
    b = render_plate_crop(np.random.default_rng(5), text="01A123BC", fmt="uz_private")
    assert np.array_equal(a.image, b.image)
    assert a.text == "01A123BC"
    assert np.array_equal(a.quad, b.quad)


def test_clean_crop_characters_are_in_their_boxes() -> None:
    opts = CropOptions(
        out_height=64,
        margin=(0.05, 0.1),
        jitter=0.0,
        max_roll_deg=0.0,
        resolution=(1.0, 1.0),
        blur=0.0,
        noise=(0.0, 0.0),
        jpeg_quality=None,
        lighting="day",
        plate_wear=0.0,
    )
    c = render_plate_crop(np.random.default_rng(2), opts, fmt="uz_private")
    grey = c.image.mean(axis=2)
    h, w = grey.shape
    for ch in c.chars:
        x0, y0, x1, y1 = (round(v) for v in ch.box)
        assert 0 <= x0 < x1 <= w
        assert 0 <= y0 < y1 <= h
        assert grey[y0:y1, x0:x1].std() > 20


def test_crop_options_are_validated() -> None:
    with pytest.raises(ValueError, match="out_height"):
        CropOptions(out_height=2)
    with pytest.raises(ValueError, match="resolution"):
        CropOptions(resolution=(0.9, 0.5))

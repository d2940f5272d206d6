"""render_plate: every series renders in each of its layouts, the character
boxes hold exactly the plate text in reading order, and the same seed gives
the same pixels."""

from __future__ import annotations

import numpy as np
import pytest

from platekeeper.sim.render import (
    PlateEffects,
    plate_formats,
    plate_size_mm,
    random_plate,
    render_plate,
)

LAYOUTS = [(k, lines) for k, f in sorted(plate_formats().items()) for lines in f.lines]


@pytest.mark.parametrize(("key", "lines"), LAYOUTS, ids=[f"{k}-{n}" for k, n in LAYOUTS])
def test_every_series_and_layout_renders(key: str, lines: int) -> None:
    rng = np.random.default_rng(5)
    text = random_plate(rng, key)
    p = render_plate(
        text, key, rng, px_per_mm=0.6, two_line=lines == 2, effects=PlateEffects.clean()
    )
    w_mm, h_mm = plate_size_mm(key, lines == 2)
    assert p.size == (round(w_mm * 0.6), round(h_mm * 0.6))
    assert p.image.dtype == np.uint8
    assert p.image.shape == (*p.mask.shape, 3)
    assert p.text == text
    assert p.two_line == (lines == 2)
    assert "".join(c.char for c in p.chars) == text
    w, h = p.size
    for c in p.chars:
        x0, y0, x1, y1 = c.box
        assert 0 <= x0 < x1 <= w, (key, c)
        assert 0 <= y0 < y1 <= h, (key, c)
        # The ink of a character differs from the plate around it.
        cell = p.image[int(y0) : int(y1), int(x0) : int(x1)].astype(np.float32)
        assert cell.std() > 25, (key, c.char)
    # Boxes on one line do not overlap.
    for a, b in zip(p.chars, p.chars[1:], strict=False):
        if a.line == b.line:
            assert a.box[2] <= b.box[0] + 1, (key, a, b)
    # Two-line plates put characters on two lines.
    assert {c.line for c in p.chars} == ({0, 1} if lines == 2 else {0})


def test_same_seed_same_pixels_and_different_seed_differs() -> None:
    a = render_plate("01A123BC", "uz_private", np.random.default_rng(9))
    b = render_plate("01A123BC", "uz_private", np.random.default_rng(9))
    c = render_plate("01A123BC", "uz_private", np.random.default_rng(10))
    assert np.array_equal(a.image, b.image)
    assert a.chars == b.chars
    assert not np.array_equal(a.image, c.image)


def test_separators_in_text_are_allowed() -> None:
    p = render_plate("01 a 123 bc", "uz_private", np.random.default_rng(0))
    assert p.text == "01A123BC"


def test_dark_characters_on_light_sheet() -> None:
    p = render_plate(
        "10H777AA", "uz_private", np.random.default_rng(1), effects=PlateEffects.clean()
    )
    grey = p.image.mean(axis=2)
    inside = np.zeros_like(grey, bool)
    for c in p.chars:
        x0, y0, x1, y1 = (int(v) for v in c.box)
        inside[y0:y1, x0:x1] = True
    sheet = grey[~inside & (p.mask > 250)]
    assert np.median(sheet) > 180
    assert grey[inside].min() < 80


def test_bad_input_is_refused() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="does not match"):
        render_plate("HELLO", "uz_private", rng)
    with pytest.raises(ValueError, match="unknown plate format"):
        render_plate("01A123BC", "xx_nowhere", rng)
    with pytest.raises(ValueError, match="two-line"):
        render_plate("01A123BC", "uz_private", rng, two_line=True)
    with pytest.raises(ValueError, match="only issued in a two-line"):
        render_plate("01123AB", "uz_moto", rng, two_line=False)
    with pytest.raises(ValueError, match="px_per_mm"):
        render_plate("01A123BC", "uz_private", rng, px_per_mm=0)


def test_wear_changes_the_plate_but_not_the_text() -> None:
    clean = render_plate(
        "A123BC77", "ru_private", np.random.default_rng(4), effects=PlateEffects.clean()
    )
    worn = render_plate(
        "A123BC77",
        "ru_private",
        np.random.default_rng(4),
        effects=PlateEffects(
            dirt=0.8, wear=0.6, scratches=3, shadow=0.6, light_gradient=0.8, gloss=0.5
        ),
    )
    assert worn.chars == clean.chars
    assert np.abs(worn.image.astype(int) - clean.image.astype(int)).mean() > 5

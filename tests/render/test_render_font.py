"""The stroke typeface: every glyph renders at any size, fills its box, and
glyphs are distinct from one another."""

from __future__ import annotations

import numpy as np
import pytest

from platekeeper.sim.render.font import LOOKS, FontLook, char_size, glyph_mask
from platekeeper.sim.render.glyphs import WIDTHS

CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.mark.parametrize("look", list(LOOKS.values()), ids=list(LOOKS))
def test_every_glyph_renders_and_fills_its_box(look: FontLook) -> None:
    for ch in CHARS:
        w, h = char_size(ch, look, 64)
        m = glyph_mask(ch, look, h, w)
        assert m.shape == (h, w)
        assert m.dtype == np.uint8
        ink = m > 128
        # Ink reaches (close to) the cap height and the baseline.
        rows = np.nonzero(ink.any(axis=1))[0]
        assert rows.min() <= 2, ch
        assert rows.max() >= h - 3, ch
        # Plenty of ink, but not a filled box.
        if ch != "I":  # I is one solid stroke
            assert 0.08 < ink.mean() < 0.75, (ch, ink.mean())


@pytest.mark.parametrize("look", list(LOOKS.values()), ids=list(LOOKS))
def test_glyphs_are_distinct(look: FontLook) -> None:
    size = (40, 64)
    masks = {ch: glyph_mask(ch, look, size[1], size[0]).astype(np.float32) / 255 for ch in CHARS}
    for i, a in enumerate(CHARS):
        for b in CHARS[i + 1 :]:
            diff = np.abs(masks[a] - masks[b]).mean()
            # Zero and O differ mostly in width on plate faces; in one box
            # only the zero's squarer shoulders tell them apart.
            assert diff > (0.01 if {a, b} == {"0", "O"} else 0.04), (a, b, diff)


def test_constant_stroke_width() -> None:
    look = LOOKS["din"]
    h = 100
    w, _ = char_size("I", look, h)
    assert w == round(look.weight * h)
    m = glyph_mask("H", look, h, 60) > 128
    # The left stem of H is one stroke wide, and so is its crossbar.
    stem = int(m[20].argmin())
    assert abs(stem - look.weight * h) <= 2
    bar_rows = np.nonzero(m[:, 30])[0]
    assert abs(len(bar_rows) - look.weight * h) <= 2


def test_small_and_large_sizes() -> None:
    for h in (6, 11, 23, 200):
        m = glyph_mask("8", LOOKS["fe"], h, max(1, h // 2))
        assert m.shape == (h, max(1, h // 2))
        assert m.max() > 100
    with pytest.raises(ValueError, match="at least one pixel"):
        glyph_mask("8", LOOKS["fe"], 0, 5)
    assert set(CHARS) <= set(WIDTHS)

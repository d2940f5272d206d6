"""Assembling plates from text lines: two stacked lines, tilted or outlined
by the detector as one block."""

from __future__ import annotations

import numpy as np

from platekeeper.recognition.ppocr import CharPosterior, LineRead
from platekeeper.recognition.syntax import select
from platekeeper.recognition.text import ALPHABET
from platekeeper.recognition.textlines import Line, assemble

UZ = select(["UZ"])


def read(text: str) -> LineRead:
    chars = []
    for ch in text:
        probs = np.full(len(ALPHABET), 1e-6, dtype=np.float32)
        probs[ALPHABET.index(ch)] = 1.0
        chars.append(CharPosterior(probs / probs.sum(), 0.98, 0.0))
    return LineRead(tuple(chars))


def box(x: float, y: float, w: float, h: float, tilt_deg: float = 0.0) -> np.ndarray:
    """A line's quad, turned by ``tilt_deg`` about the point (0, 0)."""
    quad = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
    t = np.radians(tilt_deg)
    turn = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    return (quad @ turn).astype(np.float32)


def test_a_tilted_two_line_plate_is_paired() -> None:
    # A motorcycle plate turned by 20 degrees: upright, the bottom line's top
    # lies above the top line's bottom, but along the plate they stack.
    for tilt in (0.0, 20.0, -20.0):
        top = Line(box(100, 100, 80, 30, tilt), read("10151"), 30)
        bottom = Line(box(110, 134, 50, 28, tilt), read("KD"), 28)
        (guess,) = assemble([top, bottom], UZ, 3)
        assert (guess.corrections[0].text, guess.two_line) == ("10151KD", True), tilt
        assert guess.corrections[0].format_id == "uz-moto"


def test_a_block_read_by_halves_beats_its_one_line_reading() -> None:
    # The detector outlined both lines as one block, read as the top line only.
    block = Line(box(100, 100, 80, 60), read("10151"), 60)
    (guess,) = assemble([block], UZ, 3, stacked={0: (read("10151"), read("KD"))})
    assert (guess.corrections[0].text, guess.two_line) == ("10151KD", True)
    (alone,) = assemble([block], UZ, 3)
    assert (alone.corrections[0].format_id, alone.two_line) == (None, False)

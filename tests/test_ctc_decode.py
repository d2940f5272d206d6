"""Decoding the recogniser's per-step output into plate characters."""

from __future__ import annotations

import numpy as np
import pytest

from platekeeper.recognition.ppocr import PPOCRRecognizer
from platekeeper.recognition.text import ALPHABET


@pytest.fixture(scope="module")
def recogniser() -> PPOCRRecognizer:
    return PPOCRRecognizer()


def steps(recogniser: PPOCRRecognizer, spec: list[dict[str, float]]) -> np.ndarray:
    """The model's output for a line: per step, the mass of the named symbols
    ('_' is the blank), the rest spread over no symbol."""
    classes = len(recogniser._groups)
    out = np.zeros((len(spec), classes), dtype=np.float32)
    for t, masses in enumerate(spec):
        for symbol, mass in masses.items():
            if symbol == "_":
                column = 0
            else:
                column = int(np.nonzero(recogniser._groups == ALPHABET.index(symbol) + 1)[0][0])
            out[t, column] += mass
    return out


def test_a_character_the_blank_outweighed_is_kept_as_unsure(recogniser: PPOCRRecognizer) -> None:
    # "30F": the 0 squeezed against the region bar lost its step to the blank.
    line = recogniser._decode(
        steps(recogniser, [{"3": 0.8, "_": 0.2}, {"_": 0.64, "0": 0.3}, {"F": 1.0}])
    )
    assert line.text == "30F"
    assert line.chars[1].confidence == pytest.approx(0.3)
    assert line.chars[0].confidence == pytest.approx(0.8)


def test_the_tail_of_a_neighbour_or_a_faint_trace_is_not_a_character(
    recogniser: PPOCRRecognizer,
) -> None:
    # The blank step beside an 8 that still carries some 8 is that 8's tail;
    # a step with 10% of plate mass is nothing.
    line = recogniser._decode(
        steps(
            recogniser,
            [{"8": 0.9}, {"_": 0.7, "8": 0.3}, {"_": 1.0}, {"_": 0.9, "5": 0.1}, {"J": 1.0}],
        )
    )
    assert line.text == "8J"

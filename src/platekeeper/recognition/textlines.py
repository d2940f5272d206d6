"""Assembling plates from text lines found by a general text detector.

The fallback path of recognition: PP-OCR's detector finds every line of
text, not plates. A plate may be one line, two stacked lines, or one line
split by a logo; other text (state names, slogans, dealer frames, shop signs)
must not become plates. Each line and each plausible pair of lines is read
and corrected; the best-scoring guesses that do not share a line win.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from platekeeper.recognition.correct import Correction, correct
from platekeeper.recognition.geometry import Points, quad_size
from platekeeper.recognition.ppocr import LineRead, order_quad
from platekeeper.recognition.syntax import CountrySyntax


@dataclass(slots=True)
class Line:
    quad: Points
    read: LineRead
    height: float


@dataclass(slots=True)
class PlateGuess:
    quad: Points
    """Around the characters read (not the plate's border)."""
    raw_text: str
    corrections: list[Correction]
    two_line: bool
    lines: tuple[int, ...] = ()

    @property
    def score(self) -> float:
        return self.corrections[0].rank_score if self.corrections else 0.0


def plausible_line(quad: Points) -> bool:
    width, height = quad_size(quad)
    return height >= 6 and width >= height * 0.8


def assemble(
    lines: Sequence[Line],
    syntaxes: Sequence[CountrySyntax],
    top_n: int,
    stacked: Mapping[int, tuple[LineRead, LineRead]] | None = None,
) -> list[PlateGuess]:
    """Best non-overlapping plate guesses from the lines, best first.

    ``stacked`` holds, for a line that may be a two-line block, the readings
    of its top and bottom halves: one more guess for that line."""
    guesses = [
        PlateGuess(
            line.quad, line.read.text, correct(line.read.chars, syntaxes, top_n), False, (i,)
        )
        for i, line in enumerate(lines)
        if line.read.chars
    ]
    for i, (top, bottom) in (stacked or {}).items():
        if top.chars and bottom.chars:
            halves = correct((*top.chars, *bottom.chars), syntaxes, top_n)
            guesses.append(PlateGuess(lines[i].quad, top.text + bottom.text, halves, True, (i,)))
    for i, j in _neighbour_pairs(lines):
        a, b = lines[i], lines[j]
        if not (a.read.chars and b.read.chars):
            continue
        joined = (*a.read.chars, *b.read.chars)
        points = np.vstack([a.quad, b.quad])
        quad = order_quad(np.asarray(cv2.boxPoints(cv2.minAreaRect(points)), np.float32))
        guesses.append(
            PlateGuess(
                quad,
                a.read.text + b.read.text,
                correct(joined, syntaxes, top_n),
                _stacked(a, b),
                (i, j),
            )
        )
    return _non_overlapping([g for g in guesses if g.corrections])


def _stacked(a: Line, b: Line) -> bool:
    return abs(float(a.quad[:, 1].mean() - b.quad[:, 1].mean())) > 0.6 * min(a.height, b.height)


def _neighbour_pairs(lines: Sequence[Line]) -> list[tuple[int, int]]:
    """Lines that may be two parts of one plate, in reading order.

    Either side by side on one baseline with a small gap (a registration
    split by a logo or a wide space), or one above the other with
    overlapping extent (a two-line plate).
    """
    pairs = []
    for i, a in enumerate(lines):
        # Measured along the line's own direction: a tilted plate's two lines
        # overlap when seen upright.
        upright = _rotation(a.quad)
        ax0, ay0 = (a.quad @ upright).min(axis=0)
        ax1, ay1 = (a.quad @ upright).max(axis=0)
        for j, b in enumerate(lines):
            if i == j:
                continue
            bx0, by0 = (b.quad @ upright).min(axis=0)
            bx1, by1 = (b.quad @ upright).max(axis=0)
            h = min(a.height, b.height)
            if max(a.height, b.height) > 1.6 * h:
                continue
            same_row = abs((ay0 + ay1) / 2 - (by0 + by1) / 2) < 0.4 * h
            if same_row and ax1 <= bx0 + 0.3 * h and bx0 - ax1 < 2.5 * h:
                pairs.append((i, j))
                continue
            overlap = min(ax1, bx1) - max(ax0, bx0)
            above = ay1 <= by0 + 0.4 * h and by0 - ay1 < 0.8 * h
            if above and overlap > 0.5 * min(ax1 - ax0, bx1 - bx0):
                pairs.append((i, j))
    return pairs


def _rotation(quad: Points) -> Points:
    """The matrix that turns points (as rows) so that the quad's top edge is level."""
    dx, dy = (quad[1] - quad[0] + quad[2] - quad[3]) / 2
    angle = float(np.arctan2(dy, dx))
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]], dtype=np.float32)


def _non_overlapping(guesses: list[PlateGuess]) -> list[PlateGuess]:
    chosen: list[PlateGuess] = []
    used: set[int] = set()
    for guess in sorted(guesses, key=lambda g: g.score, reverse=True):
        if used.intersection(guess.lines):
            continue
        chosen.append(guess)
        used.update(guess.lines)
    return chosen

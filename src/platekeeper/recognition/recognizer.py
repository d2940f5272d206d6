"""The recognition engine: an image in, the plates in it out.

``Recognizer(settings).read(image)`` finds text that could be a plate, reads
it, assembles lines into plates (two-line plates, registrations split by a
logo), corrects each towards the configured country syntaxes and returns one
``PlateRead`` per plate. A ``Recognizer`` holds only read-only state after
construction and may be shared by many threads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from platekeeper.recognition.correct import Correction, correct
from platekeeper.recognition.geometry import Points, quad_size, rectify, scale_quad, to_quad
from platekeeper.recognition.imageio import decode_image, load_image, to_bgr8
from platekeeper.recognition.ppocr import LineRead, PPOCRDetector, PPOCRRecognizer, order_quad
from platekeeper.recognition.settings import RecognitionSettings
from platekeeper.recognition.syntax import CountrySyntax, select
from platekeeper.recognition.types import Candidate, Image, PlateRead

logger = logging.getLogger(__name__)

Roi = tuple[int, int, int, int]
"""A region of interest ``(x, y, w, h)`` in image pixels (a lane, say)."""


@dataclass(slots=True)
class _Line:
    quad: Points
    read: LineRead
    height: float


@dataclass(slots=True)
class _PlateGuess:
    quad: Points
    lines: list[_Line]
    corrections: list[Correction]
    two_line: bool

    @property
    def score(self) -> float:
        return self.corrections[0].rank_score if self.corrections else 0.0


class Recognizer:
    """Finds and reads licence plates. Thread-safe."""

    def __init__(self, settings: RecognitionSettings | None = None) -> None:
        self.settings = settings or RecognitionSettings()
        self._syntaxes = select(self.settings.countries)
        threads = self.settings.threads
        self._detector = PPOCRDetector(threads)
        self._ocr = PPOCRRecognizer(threads)

    def read(
        self,
        image: Image,
        *,
        countries: Sequence[str] | None = None,
        rois: Sequence[Roi] | None = None,
    ) -> list[PlateRead]:
        """Plates in ``image`` (BGR, or anything ``to_bgr8`` accepts), best first.

        ``countries`` narrows the syntaxes for this call (a camera's setting);
        ``rois`` limits the search to those regions.
        """
        img = to_bgr8(image)
        syntaxes = self._syntaxes if countries is None else select(countries)
        quads: list[Points] = []
        for x, y, w, h in self._regions(img, rois):
            region = img[y : y + h, x : x + w]
            for quad in self._detector.detect(region):
                quads.append(quad + np.array([x, y], dtype=np.float32))
        return self._read_quads(img, quads, syntaxes)

    def read_batch(
        self,
        images: Iterable[Image],
        *,
        countries: Sequence[str] | None = None,
        workers: int = 2,
    ) -> list[list[PlateRead]]:
        """``read`` over many images, ``workers`` at a time."""
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(lambda im: self.read(im, countries=countries), images))

    def read_file(self, path: Path, *, countries: Sequence[str] | None = None) -> list[PlateRead]:
        """Decode (with the pixel cap) and read an image file."""
        return self.read(load_image(path, max_pixels=self.settings.max_pixels), countries=countries)

    def read_bytes(self, data: bytes, *, countries: Sequence[str] | None = None) -> list[PlateRead]:
        """Decode (with the pixel cap) and read an encoded image."""
        img = decode_image(data, max_pixels=self.settings.max_pixels)
        return self.read(img, countries=countries)

    # -- internals -------------------------------------------------------

    @staticmethod
    def _regions(img: Image, rois: Sequence[Roi] | None) -> list[Roi]:
        h, w = img.shape[:2]
        if not rois:
            return [(0, 0, w, h)]
        clipped = []
        for x, y, rw, rh in rois:
            x0, y0 = max(0, int(x)), max(0, int(y))
            x1, y1 = min(w, int(x + rw)), min(h, int(y + rh))
            if x1 - x0 >= 16 and y1 - y0 >= 16:
                clipped.append((x0, y0, x1 - x0, y1 - y0))
        return clipped

    def _read_quads(
        self, img: Image, quads: list[Points], syntaxes: Sequence[CountrySyntax]
    ) -> list[PlateRead]:
        quads = [q for q in quads if _plausible_line(q)]
        if not quads:
            return []
        crops = [rectify(img, q, height=self._ocr.height) for q in quads]
        reads = self._ocr.read(crops)
        lines = [
            _Line(quad=q, read=r, height=quad_size(q)[1])
            for q, r in zip(quads, reads, strict=True)
            if r.chars
        ]
        guesses = self._assemble(lines, syntaxes)
        plates = []
        for guess in _non_overlapping(guesses):
            plate = self._to_read(img, guess)
            if plate is not None:
                plates.append(plate)
        return plates

    def _assemble(self, lines: list[_Line], syntaxes: Sequence[CountrySyntax]) -> list[_PlateGuess]:
        top_n = self.settings.top_n
        guesses = [
            _PlateGuess(line.quad, [line], correct(line.read.chars, syntaxes, top_n), False)
            for line in lines
        ]
        for a, b in _neighbour_pairs(lines):
            joined = (*a.read.chars, *b.read.chars)
            corrections = correct(joined, syntaxes, top_n)
            points = np.vstack([a.quad, b.quad])
            quad = order_quad(np.asarray(cv2.boxPoints(cv2.minAreaRect(points)), np.float32))
            stacked = _stacked(a, b)
            guesses.append(_PlateGuess(quad, [a, b], corrections, stacked))
        return [g for g in guesses if g.corrections]

    def _to_read(self, img: Image, guess: _PlateGuess) -> PlateRead | None:
        best = guess.corrections[0]
        if best.confidence < self.settings.min_confidence or len(best.text) < 2:
            return None
        if best.format_id is None and not _looks_like_plate(best.text):
            return None
        plate_quad = scale_quad(guess.quad, 1.08, 1.0 if guess.two_line else 1.15)
        crop = rectify(img, plate_quad)
        return PlateRead(
            text=best.text,
            confidence=best.confidence,
            candidates=tuple(
                Candidate(c.text, c.confidence, c.format_id) for c in guess.corrections
            ),
            quad=to_quad(plate_quad),
            country=best.country,
            format=best.format_id,
            two_line=guess.two_line,
            crop=crop,
            display=best.display,
            raw_text="".join(line.read.text for line in guess.lines),
        )


def _plausible_line(quad: Points) -> bool:
    width, height = quad_size(quad)
    return height >= 6 and width >= height * 0.8


def _looks_like_plate(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return 4 <= len(text) <= 10 and digits >= 1


def _stacked(a: _Line, b: _Line) -> bool:
    return abs(float(a.quad[:, 1].mean() - b.quad[:, 1].mean())) > 0.6 * min(a.height, b.height)


def _neighbour_pairs(lines: list[_Line]) -> list[tuple[_Line, _Line]]:
    """Lines that may be two parts of one plate, in reading order.

    Either side by side on one baseline with a small gap (a registration
    split by a logo or a wide space), or one above the other with
    overlapping extent (a two-line plate).
    """
    pairs = []
    for a in lines:
        for b in lines:
            if a is b:
                continue
            ax0, ay0 = a.quad.min(axis=0)
            ax1, ay1 = a.quad.max(axis=0)
            bx0, by0 = b.quad.min(axis=0)
            bx1, by1 = b.quad.max(axis=0)
            h = min(a.height, b.height)
            if max(a.height, b.height) > 1.6 * h:
                continue
            same_row = abs((ay0 + ay1) / 2 - (by0 + by1) / 2) < 0.4 * h
            if same_row and ax1 <= bx0 + 0.3 * h and bx0 - ax1 < 2.5 * h:
                pairs.append((a, b))
                continue
            overlap = min(ax1, bx1) - max(ax0, bx0)
            above = ay1 <= by0 + 0.4 * h and by0 - ay1 < 0.8 * h
            if above and overlap > 0.5 * min(ax1 - ax0, bx1 - bx0):
                pairs.append((a, b))
    return pairs


def _non_overlapping(guesses: list[_PlateGuess]) -> list[_PlateGuess]:
    """Best guesses first; a guess sharing a line with a better one is dropped."""
    chosen: list[_PlateGuess] = []
    used: set[int] = set()
    for guess in sorted(guesses, key=lambda g: g.score, reverse=True):
        ids = {id(line) for line in guess.lines}
        if ids & used:
            continue
        chosen.append(guess)
        used |= ids
    return chosen

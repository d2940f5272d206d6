"""The recognition engine: an image in, the plates in it out.

Two paths share one OCR and one correction step:

* the text-line path (the default, ``detector: ppocr``): PP-OCR's general
  text detector finds every line of text, coarse to fine, and lines are
  assembled into plates (``textlines``);
* the fast path (``detector: fast``): platekeeper's own plate detector looks
  at a reduced copy of the frame, and the text detector looks only at a
  small window around each plate it found; the frame is searched whole
  only where that gave no plate in a country's format.

A ``Recognizer`` holds only read-only state after construction and may be
shared by many threads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from platekeeper.recognition.correct import Correction
from platekeeper.recognition.geometry import (
    Points,
    box_iou,
    quad_box,
    quad_size,
    rectify,
    scale_quad,
    to_quad,
)
from platekeeper.recognition.imageio import decode_image, load_image, to_bgr8
from platekeeper.recognition.models import (
    PLATE_OCR,
    PPOCR_REC,
    PPOCR_V6_DICT,
    PPOCR_V6_REC,
    ModelSpec,
)
from platekeeper.recognition.plate_detector import Detection, PlateDetector
from platekeeper.recognition.ppocr import PPOCRDetector, PPOCRRecognizer
from platekeeper.recognition.settings import RecognitionSettings
from platekeeper.recognition.syntax import CountrySyntax, select
from platekeeper.recognition.textlines import Line, PlateGuess, assemble, plausible_line
from platekeeper.recognition.types import Candidate, Image, PlateRead

logger = logging.getLogger(__name__)

Roi = tuple[int, int, int, int]
"""A region of interest ``(x, y, w, h)`` in image pixels (a lane, say)."""

_OCR_MODELS: dict[str, tuple[ModelSpec, ModelSpec | None]] = {
    "ppocr-v6": (PPOCR_V6_REC, PPOCR_V6_DICT),
    "ppocr-v4": (PPOCR_REC, None),
    "plate": (PLATE_OCR, None),
}
"""The recognition model (and its dictionary, when the model holds none) per setting."""

COARSE_MAX_REDUCTION = 2.5
"""Frames more than this many times the coarse size skip the coarse look: their
plates shrink below what it finds (a 100-pixel plate of a 1632-pixel frame is
39 pixels at 640), and a confident read of one plate would end the search
before the others were seen."""

FAST_DETECTIONS = 4
"""Plates the fast path reads per frame (a lane's worth), best first."""

TWO_LINE_ASPECT = 2.4
"""A character block narrower than this (width / height) may hold two lines."""


class Recognizer:
    """Finds and reads licence plates. Thread-safe."""

    def __init__(self, settings: RecognitionSettings | None = None) -> None:
        self.settings = settings or RecognitionSettings()
        self._syntaxes = select(self.settings.countries)
        threads = self.settings.threads
        model, dictionary = _OCR_MODELS[self.settings.ocr]
        self._ocr = PPOCRRecognizer(threads, model=model, dictionary=dictionary)
        self._text_detector = PPOCRDetector(threads)
        self._plate_detector = PlateDetector(threads) if self.settings.detector == "fast" else None

    def read(
        self,
        image: Image,
        *,
        countries: Sequence[str] | None = None,
        rois: Sequence[Roi] | None = None,
    ) -> list[PlateRead]:
        """Plates in ``image`` (BGR, or anything ``to_bgr8`` accepts), best first.

        ``countries`` narrows the syntaxes for this call (a camera's setting);
        ``rois`` limits the search to those regions (a camera's lanes).
        """
        img = to_bgr8(image)
        syntaxes = self._syntaxes if countries is None else select(countries)
        plates: list[PlateRead] = []
        for x, y, w, h in _regions(img, rois):
            region = img[y : y + h, x : x + w]
            offset = np.array([x, y], dtype=np.float32)
            for plate in self._read_region(region, syntaxes):
                plates.append(_shifted(plate, offset) if x or y else plate)
        # Of two reads of one place, one in a country's format wins over an
        # unformatted one (the top line alone of a two-line plate), then the
        # surer one.
        plates.sort(key=lambda p: (p.format is not None, p.confidence), reverse=True)
        return sorted(_distinct(plates), key=lambda p: p.confidence, reverse=True)

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

    # -- the two paths ---------------------------------------------------

    def _read_region(self, img: Image, syntaxes: Sequence[CountrySyntax]) -> list[PlateRead]:
        if self._plate_detector is None:
            return self._read_text_lines(img, syntaxes)
        # The plate detector says where plates are; the text detector, on a
        # small window around each, where their characters are (it outlines
        # them more closely than the plate detector's own character block,
        # whose reads lost a fifth of the plates). Where no plate in a
        # country's format comes of it, the whole frame is searched.
        plates: list[PlateRead] = []
        for detection in self._plate_detector.detect(img)[:FAST_DETECTIONS]:
            plates.extend(self._read_around(img, detection, syntaxes))
        if not any(p.format is not None for p in plates):
            plates.extend(self._read_text_lines(img, syntaxes))
        return plates

    def _read_around(
        self, img: Image, detection: Detection, syntaxes: Sequence[CountrySyntax]
    ) -> list[PlateRead]:
        """The text detector on a window around one detected plate."""
        x, y, w, h = quad_box(scale_quad(detection.plate, 1.6, 2.2))
        x0, y0 = max(0, int(x)), max(0, int(y))
        x1, y1 = min(img.shape[1], int(x + w) + 1), min(img.shape[0], int(y + h) + 1)
        if x1 - x0 < 16 or y1 - y0 < 8:
            return []
        window = img[y0:y1, x0:x1]
        offset = np.array([x0, y0], dtype=np.float32)
        limit = max(64, min(960, 2 * max(window.shape[:2])))
        quads = [q + offset for q in self._text_detector.detect(window, limit_side=limit)]
        return self._plates_from_lines(img, quads, syntaxes)

    def _read_text_lines(self, img: Image, syntaxes: Sequence[CountrySyntax]) -> list[PlateRead]:
        """Coarse to fine: the text detector first looks at a small copy of the
        frame (a third of the cost), and looks again at the full detection
        size, where small plates are found, unless every plate read of that
        first look is a confident one. Frames far larger than the small copy
        skip it. Lines are always read from the full-resolution frame."""
        coarse = self.settings.coarse_side
        plates: list[PlateRead] = []
        if coarse and coarse * 1.25 < max(img.shape[:2]) <= coarse * COARSE_MAX_REDUCTION:
            quads = self._text_detector.detect(img, limit_side=coarse)
            plates = self._plates_from_lines(img, quads, syntaxes)
            specific = {f.id for s in syntaxes for f in s.formats if f.weight >= 1.0}
            if plates and all(self._settled(p, specific) for p in plates):
                return plates
        # Both passes' reads go on: ``read`` keeps the surer one of a place.
        return plates + self._plates_from_lines(img, self._text_detector.detect(img), syntaxes)

    def _settled(self, plate: PlateRead, specific: set[str]) -> bool:
        """A coarse read ends the search only in one of the country's own series
        (not a catch-all such as a US vanity layout, which a time stamp or a
        dealer's slogan also fits) and with confidence."""
        return plate.format in specific and plate.confidence >= self.settings.coarse_accept

    def _plates_from_lines(
        self, img: Image, quads: list[Points], syntaxes: Sequence[CountrySyntax]
    ) -> list[PlateRead]:
        quads = [q for q in quads if plausible_line(q)]
        if not quads:
            return []
        # A squarish block may be a two-line plate that the detector outlined
        # as one (where the country has such plates): its top and bottom
        # lines are read too, as another reading of that block.
        blocks = (
            [i for i, q in enumerate(quads) if _may_hold_two_lines(q)]
            if any(f.lines == 2 for s in syntaxes for f in s.formats)
            else []
        )
        halves = [half for i in blocks for half in _split_lines(img, quads[i])]
        reads = self._ocr.read(
            [rectify(img, _padded(q), height=self._ocr.height) for q in [*quads, *halves]]
        )
        whole, split = reads[: len(quads)], reads[len(quads) :]
        lines = [
            Line(quad=q, read=r, height=quad_size(q)[1]) for q, r in zip(quads, whole, strict=True)
        ]
        stacked = {i: (split[2 * k], split[2 * k + 1]) for k, i in enumerate(blocks)}
        plates = []
        for guess in assemble(lines, syntaxes, self.settings.top_n, stacked):
            plate = self._from_guess(img, guess)
            if plate is not None:
                plates.append(plate)
        return plates

    def _from_guess(self, img: Image, guess: PlateGuess) -> PlateRead | None:
        best = guess.corrections[0]
        if best.format_id is None and not _looks_like_plate(best.text):
            return None
        # The text detector outlines characters; the plate's border lies a
        # little outside them.
        plate_quad = scale_quad(guess.quad, 1.08, 1.0 if guess.two_line else 1.15)
        return self._plate_read(img, plate_quad, guess.corrections, guess.two_line, guess.raw_text)

    def _plate_read(
        self,
        img: Image,
        quad: Points,
        corrections: list[Correction],
        two_line: bool,
        raw_text: str,
    ) -> PlateRead | None:
        best = corrections[0]
        if best.confidence < self.settings.min_confidence or len(best.text) < 2:
            return None
        return PlateRead(
            text=best.text,
            confidence=best.confidence,
            candidates=tuple(Candidate(c.text, c.confidence, c.format_id) for c in corrections),
            quad=to_quad(quad),
            country=best.country,
            format=best.format_id,
            two_line=two_line,
            crop=rectify(img, quad),
            display=best.display,
            raw_text=raw_text,
        )


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


LINE_PAD = 0.2
"""Margin added on each side of a text line before it is read, in line
heights: the text detector's outline often clips the first and last
character (a W read as I, a C lost), and the recogniser reads a character
best with some background beside it."""


def _padded(quad: Points) -> Points:
    width, height = quad_size(quad)
    return scale_quad(quad, 1.0 + 2.0 * LINE_PAD * height / max(width, 1.0), 1.0)


TWO_LINE_MIN_HEIGHT = 16
"""A block lower than this (pixels) is not split: each line would be under 8."""


def _may_hold_two_lines(quad: Points) -> bool:
    width, height = quad_size(quad)
    return height >= TWO_LINE_MIN_HEIGHT and width < TWO_LINE_ASPECT * height


def _split_lines(img: Image, quad: Points) -> tuple[Points, Points]:
    """Top and bottom line of a two-line character block, split at the row with
    the least ink between them."""
    block = rectify(img, quad, height=96)
    grey = cv2.cvtColor(block, cv2.COLOR_BGR2GRAY)
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    profile = ink.mean(axis=1)
    band = profile[30:67]
    cut = (30 + int(np.argmin(band))) / 96.0 if band.size else 0.5
    tl, tr, br, bl = quad
    left = tl + (bl - tl) * cut
    right = tr + (br - tr) * cut
    top = np.array([tl, tr, right, left], dtype=np.float32)
    bottom = np.array([left, right, br, bl], dtype=np.float32)
    return top, bottom


def _looks_like_plate(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return 4 <= len(text) <= 10 and digits >= 1


def _shifted(plate: PlateRead, offset: Points) -> PlateRead:
    quad = np.array(plate.quad, dtype=np.float32) + offset
    return PlateRead(
        text=plate.text,
        confidence=plate.confidence,
        candidates=plate.candidates,
        quad=to_quad(quad),
        country=plate.country,
        format=plate.format,
        two_line=plate.two_line,
        crop=plate.crop,
        display=plate.display,
        raw_text=plate.raw_text,
    )


def _distinct(plates: list[PlateRead]) -> list[PlateRead]:
    """Drop reads of the same place (fast path and fallback, overlapping ROIs)."""
    kept: list[PlateRead] = []
    for plate in plates:
        box = tuple(float(v) for v in plate.box)
        if all(box_iou(box, tuple(float(v) for v in k.box)) < 0.3 for k in kept):  # type: ignore[arg-type]
            kept.append(plate)
    return kept

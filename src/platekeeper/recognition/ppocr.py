"""PP-OCR text detection (DB) and text-line recognition (CTC) on ONNX Runtime.

The recogniser's 6,623-symbol alphabet is folded onto the plate alphabet
(A–Z, 0–9; lower case counts as upper case); every other symbol is treated as
"not a plate character". Each decoded character keeps the recogniser's full
distribution over the plate alphabet, which is what the syntax correction uses
to choose between look-alikes instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import pyclipper

from platekeeper.recognition.models import (
    PPOCR_DET,
    PPOCR_REC,
    ModelSpec,
    open_session,
    verified_path,
)
from platekeeper.recognition.text import ALPHABET
from platekeeper.recognition.types import Image

FloatArray = npt.NDArray[np.float32]

WIDTH_STEP = 32
"""Recognition inputs come in widths of this step (see ``prepare``)."""

N_PLATE = len(ALPHABET)
OTHER = N_PLATE + 1  # group index of every non-plate symbol; 0 is the CTC blank
WEAK_CHARACTER = 0.2
"""Plate-character mass at which a step the blank won still yields a character."""


@dataclass(frozen=True, slots=True)
class CharPosterior:
    """One character emitted by the recogniser with its distribution over ALPHABET."""

    probs: FloatArray
    """Probabilities over ALPHABET (sum to 1)."""
    confidence: float
    """Probability the recogniser gave to emitting a character here at all."""
    x: float
    """Horizontal centre in the input line, 0..1."""

    @property
    def best(self) -> str:
        return ALPHABET[int(np.argmax(self.probs))]


@dataclass(frozen=True, slots=True)
class LineRead:
    """A decoded text line."""

    chars: tuple[CharPosterior, ...]

    @property
    def text(self) -> str:
        return "".join(c.best for c in self.chars)

    @property
    def confidence(self) -> float:
        if not self.chars:
            return 0.0
        return float(np.prod([c.confidence * float(c.probs.max()) for c in self.chars]))


class PPOCRRecognizer:
    """Reads one text line from a crop (PP-OCRv4 recognition, CTC)."""

    height = 48

    def __init__(
        self,
        threads: int = 0,
        max_width: int = 480,
        model: ModelSpec = PPOCR_REC,
        dictionary: ModelSpec | None = None,
    ) -> None:
        self.session = open_session(model, threads)
        self.max_width = max_width
        if dictionary is None:
            symbols = self.session.get_modelmeta().custom_metadata_map["character"].splitlines()
        else:
            symbols = verified_path(dictionary).read_text(encoding="utf-8").splitlines()
        # Model classes: 0 blank, 1..n the dictionary, and (stock model only)
        # n+1 the space.
        groups = np.full(len(symbols) + 2, OTHER, dtype=np.int64)
        groups[0] = 0
        for index, symbol in enumerate(symbols, start=1):
            upper = symbol.upper()
            if len(upper) == 1 and upper in ALPHABET:
                groups[index] = ALPHABET.index(upper) + 1
        self._groups = groups
        self._n_groups = OTHER + 1
        # The blank and plate-character classes, and which group each adds to:
        # decoding sums these few columns; everything else is "other".
        self._columns = np.nonzero(groups < OTHER)[0]
        fold = np.zeros((self._columns.size, OTHER), dtype=np.float32)
        fold[np.arange(self._columns.size), groups[self._columns]] = 1.0
        self._fold = fold

    def prepare(self, crop: Image) -> FloatArray:
        """The crop at the model's height, padded on the right to a multiple of
        ``WIDTH_STEP``: ONNX Runtime plans its memory per input shape, and a
        new width on every call costs more than the inference itself."""
        h, w = crop.shape[:2]
        width = int(np.clip(round(self.height * w / max(h, 1)), 16, self.max_width))
        resized = cv2.resize(crop, (width, self.height), interpolation=cv2.INTER_LINEAR)
        padded = -(-width // WIDTH_STEP) * WIDTH_STEP
        tensor = np.zeros((3, self.height, padded), dtype=np.float32)
        tensor[:, :, :width] = (resized.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)
        return tensor

    def read(self, crops: list[Image]) -> list[LineRead]:
        """Read several crops; crops of similar width share one batch."""
        if not crops:
            return []
        tensors = [self.prepare(c) for c in crops]
        results: list[LineRead | None] = [None] * len(crops)
        order = sorted(range(len(crops)), key=lambda i: tensors[i].shape[2])
        for chunk in _similar_widths(order, [t.shape[2] for t in tensors]):
            width = max(tensors[i].shape[2] for i in chunk)
            batch = np.zeros((len(chunk), 3, self.height, width), dtype=np.float32)
            for row, i in enumerate(chunk):
                batch[row, :, :, : tensors[i].shape[2]] = tensors[i]
            (probs,) = self.session.run(None, {"x": batch})
            for row, i in enumerate(chunk):
                used = max(1, int(round(probs.shape[1] * tensors[i].shape[2] / width)))
                results[i] = self._decode(probs[row, :used])
        return [r if r is not None else LineRead(()) for r in results]

    def _decode(self, probs: FloatArray) -> LineRead:
        steps = probs.shape[0]
        grouped = np.empty((steps, self._n_groups), dtype=np.float32)
        grouped[:, :OTHER] = probs[:, self._columns] @ self._fold
        grouped[:, OTHER] = np.clip(1.0 - grouped[:, :OTHER].sum(axis=1), 0.0, None)
        best = grouped.argmax(axis=1)
        runs: list[tuple[int, int, int]] = []  # (group, first step, end)
        t = 0
        while t < steps:
            end = t + 1
            while end < steps and best[end] == best[t]:
                end += 1
            runs.append((int(best[t]), t, end))
            t = end
        chars: list[CharPosterior] = []
        for index, (g, t, end) in enumerate(runs):
            if 0 < g < OTHER:
                peak = t + int(np.argmax(grouped[t:end, g]))
            elif g == 0:
                # A character the blank outweighed but the recogniser still
                # half saw (a region code's digit squeezed against the bar):
                # kept as an unsure character, which the correction drops
                # cheaply unless a format needs it.
                mass = grouped[t:end, 1:OTHER].sum(axis=1)
                peak = t + int(np.argmax(mass))
                label = 1 + int(np.argmax(grouped[peak, 1:OTHER]))
                beside = {runs[i][0] for i in (index - 1, index + 1) if 0 <= i < len(runs)}
                if mass[peak - t] < WEAK_CHARACTER or label in beside:
                    continue
            else:
                continue
            dist = grouped[peak, 1:OTHER]
            total = float(dist.sum())
            chars.append(
                CharPosterior(
                    probs=(dist / total).astype(np.float32),
                    confidence=min(1.0, total),
                    x=(t + end) / 2 / steps,
                )
            )
        return LineRead(tuple(chars))


def _similar_widths(order: list[int], widths: list[int], most: int = 6) -> list[list[int]]:
    """Batches of crops (in width order) whose padding to the widest one in the
    batch costs little: a batch pays for its widest crop in every row."""
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < most and widths[i] <= 1.25 * widths[batches[-1][0]]:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


class PPOCRDetector:
    """Finds text regions (PP-OCRv4 detection, differentiable binarisation)."""

    def __init__(self, threads: int = 0, limit_side: int = 960) -> None:
        self.session = open_session(PPOCR_DET, threads)
        self.limit_side = limit_side
        self._mean = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255.0
        self._scale = 1.0 / (np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255.0)

    def detect(
        self, image: Image, limit_side: int | None = None, box_thresh: float = 0.5
    ) -> list[npt.NDArray[np.float32]]:
        """Quadrilaterals (4x2, image pixels) of the text found in ``image``."""
        h, w = image.shape[:2]
        limit = limit_side or self.limit_side
        ratio = min(1.0, limit / max(h, w))
        rh = max(32, int(round(h * ratio / 32)) * 32)
        rw = max(32, int(round(w * ratio / 32)) * 32)
        resized = cv2.resize(image, (rw, rh), interpolation=cv2.INTER_LINEAR)
        tensor = ((resized.astype(np.float32) - self._mean) * self._scale).transpose(2, 0, 1)
        (prob,) = self.session.run(None, {"x": tensor[None]})
        prob_map = prob[0, 0]
        boxes = _db_boxes(prob_map, box_thresh)
        sx, sy = w / rw, h / rh
        return [(b * np.array([sx, sy], dtype=np.float32)).astype(np.float32) for b in boxes]


def _db_boxes(prob: FloatArray, box_thresh: float) -> list[npt.NDArray[np.float32]]:
    mask = (prob > 0.3).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[npt.NDArray[np.float32]] = []
    for contour in contours[:200]:
        if len(contour) < 4:
            continue
        rect = cv2.minAreaRect(contour)
        if min(rect[1]) < 3:
            continue
        x, y, bw, bh = cv2.boundingRect(contour)
        region = prob[y : y + bh, x : x + bw]
        local = np.zeros_like(region, dtype=np.uint8)
        cv2.drawContours(local, [contour - np.array([x, y])], -1, 1, thickness=-1)
        if float(cv2.mean(region, local)[0]) < box_thresh:
            continue
        expanded = _unclip(np.asarray(cv2.boxPoints(rect), np.float32), 1.6)
        if expanded is None:
            continue
        rect2 = cv2.minAreaRect(expanded)
        if min(rect2[1]) < 5:
            continue
        boxes.append(order_quad(np.asarray(cv2.boxPoints(rect2), np.float32)))
    return boxes


def _unclip(box: FloatArray, ratio: float) -> npt.NDArray[np.int32] | None:
    area = cv2.contourArea(box)
    length = cv2.arcLength(box, True)
    if length == 0:
        return None
    distance = area * ratio / length
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box.astype(np.int64).tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    paths = offset.Execute(distance)
    if not paths:
        return None
    return np.array(paths[0], dtype=np.int32).reshape(-1, 1, 2)


def order_quad(points: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
    """Order four points as top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    by_x = pts[np.argsort(pts[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float32)

"""One read per vehicle pass: plates tracked across frames, their text voted.

Each sampled frame's reads join the open track they fit: the same text up to
the usual confusions, or a box overlapping the track's last one, within a
few plate widths of where it was. A track closes when its plate has not been
seen for ``max_gap`` seconds; its text is the reading with the most
confidence summed over the frames (readings that fit a country's syntax
count double), its evidence the frame where that reading was most sure.
A lone sighting becomes a pass only when it is confident, and text that fits
no country's syntax only when seen three times, so a sign or a logo read in
passing does not.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from platekeeper.recognition.geometry import box_iou
from platekeeper.recognition.text import confusion_skeleton
from platekeeper.recognition.types import PlateRead


@dataclass(frozen=True, slots=True)
class Sighting:
    frame: int
    seconds: float
    read: PlateRead
    image: npt.NDArray[np.uint8] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Pass:
    """A vehicle's plate as the tracker settled it."""

    text: str
    confidence: float
    """Share of the vote the winning text got, times its best certainty."""
    votes: dict[str, float]
    best: Sighting
    first_seconds: float
    last_seconds: float
    sightings: int
    seen: tuple[Sighting, ...] = field(default=(), repr=False, compare=False)
    """Every sighting of the pass in time order (whatever text each read):
    where the plate was, frame by frame, for a stop-line track."""


@dataclass
class _Track:
    id: int
    sightings: list[Sighting]

    @property
    def last(self) -> Sighting:
        return self.sightings[-1]


def _box(read: PlateRead) -> tuple[float, float, float, float]:
    """``(x, y, w, h)`` of the read's plate."""
    x, y, w, h = (float(v) for v in read.box)
    return x, y, w, h


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (plates are short: the plain table is enough)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _same_plate(a: str, b: str) -> bool:
    """Readings of one plate: equal up to the usual confusions or but one
    character, or one a part of the other (a frame that missed the region code)."""
    sa, sb = confusion_skeleton(a), confusion_skeleton(b)
    if min(len(sa), len(sb)) >= 5 and _edits(sa, sb) <= 1:
        return True
    short, long = sorted((sa, sb), key=len)
    return len(short) >= 4 and short in long


def _fits(track: _Track, read: PlateRead, seconds: float, max_widths: float) -> float:
    """How well ``read`` continues ``track``: 0 for not at all."""
    last = track.last.read
    a, b = _box(last), _box(read)
    overlap = box_iou(a, b)
    width = max(a[2], b[2], 1.0)
    ca = (a[0] + a[2] / 2, a[1] + a[3] / 2)
    cb = (b[0] + b[2] / 2, b[1] + b[3] / 2)
    distance = float(np.hypot(ca[0] - cb[0], ca[1] - cb[1])) / width
    # A plate moves further the longer it was not seen.
    reach = max_widths * (1.0 + 2.0 * max(0.0, seconds - track.last.seconds))
    if distance <= reach and any(_same_plate(s.read.text, read.text) for s in track.sightings):
        return 2.0 + overlap
    if overlap > 0.1:
        return 1.0 + overlap
    return 0.0


class PlateTracker:
    def __init__(
        self, *, max_gap: float = 1.0, max_widths: float = 4.0, lone_confidence: float = 0.9
    ) -> None:
        self.max_gap = max_gap
        self.max_widths = max_widths
        self.lone_confidence = lone_confidence
        self._open: list[_Track] = []
        self._ids = itertools.count(1)

    def update(
        self, frame: int, seconds: float, reads: Iterable[PlateRead], image: npt.NDArray[np.uint8]
    ) -> list[Pass]:
        """Add one sampled frame's reads; returns the passes that closed."""
        # Close first: a plate gone longer than the gap starts a new pass.
        closed = self._close(lambda t: seconds - t.last.seconds > self.max_gap)
        taken: set[int] = set()
        for read in sorted(reads, key=lambda r: r.confidence, reverse=True):
            scored = [
                (_fits(t, read, seconds, self.max_widths), t)
                for t in self._open
                if t.id not in taken and t.last.frame != frame
            ]
            score, track = max(scored, key=lambda s: s[0], default=(0.0, None))
            sighting = Sighting(frame, seconds, read, image)
            if track is not None and score > 0:
                track.sightings.append(sighting)
            else:
                track = _Track(next(self._ids), [sighting])
                self._open.append(track)
            taken.add(track.id)
        return closed

    def flush(self) -> list[Pass]:
        """Close every open track (the end of the source)."""
        return self._close(lambda _t: True)

    def _close(self, due: Callable[[_Track], bool]) -> list[Pass]:
        closing = [t for t in self._open if due(t)]
        self._open = [t for t in self._open if not due(t)]
        passes = [p for p in (self._settle(t) for t in closing) if p is not None]
        return sorted(passes, key=lambda p: p.first_seconds)

    def _settle(self, track: _Track) -> Pass | None:
        votes: dict[str, float] = {}
        for s in track.sightings:
            weight = 2.0 if s.read.format else 1.0
            votes[s.read.text] = votes.get(s.read.text, 0.0) + weight * s.read.confidence
        text = max(votes, key=lambda t: votes[t])
        backing = [s for s in track.sightings if s.read.text == text]
        best = max(backing, key=lambda s: s.read.confidence)
        share = votes[text] / sum(votes.values())
        seen = len(track.sightings)
        if seen == 1 and best.read.confidence < self.lone_confidence:
            return None
        if best.read.format is None and seen < 3:
            return None  # text that fits no syntax, seen twice at most: a sign, not a plate
        return Pass(
            text=text,
            confidence=share * best.read.confidence,
            votes=votes,
            best=best,
            first_seconds=track.sightings[0].seconds,
            last_seconds=track.last.seconds,
            sightings=len(track.sightings),
            seen=tuple(track.sightings),
        )


def passes_of(
    frames: Iterable[tuple[int, float, npt.NDArray[np.uint8], list[PlateRead]]],
    tracker: PlateTracker | None = None,
) -> Iterator[Pass]:
    """Passes from (frame, seconds, image, reads) tuples, in the order they close."""
    tracker = tracker or PlateTracker()
    for frame, seconds, image, reads in frames:
        yield from tracker.update(frame, seconds, reads, image)
    yield from tracker.flush()

"""Fixed-time traffic signal programmes of the simulated junctions.

A programme is a cycle of green, amber and red for one approach; its offset
places the start of green in absolute time (seconds since the Unix epoch), so
the phase at any instant is a pure function of that instant and the same
programme can be published to the rules as a signal-controller feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True, slots=True)
class SignalProgramme:
    """Green from ``offset_s`` (mod cycle), then amber, then red."""

    cycle_s: float
    green_s: float
    amber_s: float
    red_s: float
    offset_s: float = 0.0

    def position(self, ts: float) -> float:
        """Seconds since the start of the current green (0 ≤ p < cycle)."""
        return (ts - self.offset_s) % self.cycle_s

    def phase_at(self, ts: float) -> Phase:
        p = (ts - self.offset_s) % self.cycle_s
        if p < self.green_s:
            return Phase.GREEN
        if p < self.green_s + self.amber_s:
            return Phase.AMBER
        return Phase.RED

    def phase_elapsed(self, ts: float) -> float:
        """Seconds since the current phase began."""
        p = (ts - self.offset_s) % self.cycle_s
        if p < self.green_s:
            return p
        if p < self.green_s + self.amber_s:
            return p - self.green_s
        return p - self.green_s - self.amber_s

    def next_green(self, ts: float) -> float:
        """The instant the next green begins (``ts`` itself if green begins exactly then)."""
        p = (ts - self.offset_s) % self.cycle_s
        return ts if p == 0 else ts + self.cycle_s - p

    def changes(self, start: float, end: float) -> list[tuple[float, Phase]]:
        """Every phase change in [start, end), for a signal-controller feed."""
        out: list[tuple[float, Phase]] = []
        green = start - self.position(start)
        while green < end:
            for at, phase in (
                (green, Phase.GREEN),
                (green + self.green_s, Phase.AMBER),
                (green + self.green_s + self.amber_s, Phase.RED),
            ):
                if start <= at < end:
                    out.append((at, phase))
            green += self.cycle_s
        return out

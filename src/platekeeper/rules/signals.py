"""Signal phases from the junction controllers, as a timeline the red-light
rule can ask "what did this signal show at instant t, and since when?".

A controller reports each change of phase of a signal head (one approach of
a junction), and may repeat its current phase as a heartbeat. The feed comes
in through ``POST /api/v1/signals/...`` (signed like a camera, with ingest)
as :class:`PhaseEvent` values; the timeline keeps them per signal head.

A phase is known at ``t`` only once the controller has been heard from at
or after ``t`` — a change may have happened since its last report — and
only where it was not silent for more than ``max_gap_s`` around ``t``. An
unknown phase never makes a violation; an instant later than the latest
event is not known *yet*, and the rule waits for the feed to catch up
(controllers that report every second keep that wait short).

:class:`MemorySignalTimeline` keeps the events of the last ``horizon_s``
seconds of each head (a run of heartbeats folded into its first and latest);
:mod:`platekeeper.rules.signal_store` keeps the same in the database
for deployments where the feed and the rules run in different processes.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SIGNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
DEFAULT_MAX_GAP_S = 120.0
DEFAULT_HORIZON_S = 3600.0


class Phase(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    FLASHING = "flashing"
    """Flashing amber: the junction is uncontrolled; nothing is a red-light offence."""
    OFF = "off"


SignalId = Annotated[
    str,
    Field(
        pattern=SIGNAL_ID.pattern,
        title="Signal head",
        description="The controller's id of one signal head (one approach of a junction).",
    ),
]


class PhaseEvent(BaseModel):
    """One report from a signal controller: a change of phase or a heartbeat."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal: SignalId
    at: AwareDatetime = Field(title="Instant", description="When the head showed this phase.")
    phase: Phase = Field(title="Phase", description="What the head showed from that instant.")

    @property
    def ts(self) -> float:
        return self.at.timestamp()


@dataclass(frozen=True, slots=True)
class PhaseState:
    """The phase of a head at some instant, and when that phase began."""

    phase: Phase
    since: float

    def elapsed(self, ts: float) -> float:
        return ts - self.since


class SignalTimeline(Protocol):
    """Phases of signal heads over time."""

    def record(self, signal: str, ts: float, phase: Phase) -> None:
        """Add one controller event (in any order)."""

    def state_at(self, signal: str, ts: float) -> PhaseState | None:
        """The phase at ``ts``, or None when unknown (no feed then)."""

    def latest(self, signal: str) -> float | None:
        """The instant of the latest event heard from ``signal``."""


def check_signal_id(signal: str) -> str:
    if not SIGNAL_ID.match(signal):
        raise ValueError("a signal id is 1-64 letters, digits, '.', '_', ':' or '-'")
    return signal


class _Events:
    """The events of one head, sorted by time. A heartbeat that arrives in
    order and repeats the phase of the two events before it replaces the
    later of them when that leaves no silence longer than ``max_gap``: a run
    of heartbeats costs two entries, and every answer stays the same."""

    __slots__ = ("max_gap", "phases", "times")

    def __init__(self, max_gap: float) -> None:
        self.max_gap = max_gap
        self.times: list[float] = []
        self.phases: list[Phase] = []

    def add(self, ts: float, phase: Phase) -> None:
        times, phases = self.times, self.phases
        n = len(times)
        if n and ts > times[-1]:
            if (
                n >= 2
                and phases[-1] is phase
                and phases[-2] is phase
                and ts - times[-2] <= self.max_gap
            ):
                times[-1] = ts
                return
            times.append(ts)
            phases.append(phase)
            return
        i = bisect.bisect_left(times, ts)
        if i < n and times[i] == ts:
            return  # a repeated delivery (the first word on an instant stands)
        times.insert(i, ts)
        phases.insert(i, phase)

    def state_at(self, ts: float) -> PhaseState | None:
        times, phases = self.times, self.phases
        i = bisect.bisect_right(times, ts) - 1
        if i < 0:
            return None
        heard = times[i]
        if ts > heard:
            if i + 1 == len(times):
                return None  # later than anything heard: not known yet
            if times[i + 1] - heard > self.max_gap:
                return None  # the controller was silent too long around ts
        phase = phases[i]
        j = i
        while j > 0 and phases[j - 1] is phase:
            j -= 1
        return PhaseState(phase, times[j])

    def latest(self) -> float | None:
        return self.times[-1] if self.times else None

    def prune(self, before: float) -> None:
        # Keep the whole run in force at ``before``: it answers "since when".
        cut = bisect.bisect_right(self.times, before) - 1
        while cut > 0 and self.phases[cut - 1] is self.phases[cut]:
            cut -= 1
        if cut > 0:
            del self.times[:cut], self.phases[:cut]


class MemorySignalTimeline:
    """Phase runs per signal head for the last ``horizon_s`` seconds."""

    def __init__(
        self, *, max_gap_s: float = DEFAULT_MAX_GAP_S, horizon_s: float = DEFAULT_HORIZON_S
    ) -> None:
        self.max_gap_s = max_gap_s
        self.horizon_s = horizon_s
        self._runs: dict[str, _Events] = {}

    def record(self, signal: str, ts: float, phase: Phase) -> None:
        runs = self._runs.get(signal)
        if runs is None:
            check_signal_id(signal)
            runs = self._runs[signal] = _Events(self.max_gap_s)
        runs.add(ts, phase if isinstance(phase, Phase) else Phase(phase))
        if len(runs.times) > 64 and runs.times[0] < ts - 2 * self.horizon_s:
            runs.prune(ts - self.horizon_s)

    def record_event(self, event: PhaseEvent) -> None:
        self.record(event.signal, event.ts, event.phase)

    def state_at(self, signal: str, ts: float) -> PhaseState | None:
        runs = self._runs.get(signal)
        return None if runs is None else runs.state_at(ts)

    def latest(self, signal: str) -> float | None:
        runs = self._runs.get(signal)
        return None if runs is None else runs.latest()

    def signals(self) -> list[str]:
        return sorted(self._runs)

    def run_count(self) -> int:
        """Events held in memory over all heads (for the bounded-memory tests)."""
        return sum(len(r.times) for r in self._runs.values())

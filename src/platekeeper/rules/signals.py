"""Signal phases from the junction controllers, as a timeline the red-light
rule can ask "what did this signal show at instant t, and since when?".

A controller reports each change of phase of a signal head (one approach of
a junction), and may repeat its current phase as a heartbeat. The feed comes
in through ``POST /api/v1/signals/...`` (signed like a camera, with ingest)
as :class:`PhaseEvent` values; the timeline keeps them per signal head.

A phase is known at ``t`` only while the controller was heard from: when no
event came for more than ``max_gap_s`` the state in between is unknown, and
an unknown phase never makes a violation. An instant later than the latest
event is not known *yet*; the rule may wait for the feed to catch up.

:class:`MemorySignalTimeline` keeps runs of equal phase (start, phase, last
heard) for the last ``horizon_s`` seconds of each head: a heartbeat costs no
memory. :mod:`platekeeper.rules.signal_store` keeps the same in the database
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


class _Runs:
    """Runs of equal phase of one head, sorted by start."""

    __slots__ = ("heard", "phases", "starts")

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.phases: list[Phase] = []
        self.heard: list[float] = []

    def add(self, ts: float, phase: Phase) -> None:
        starts, phases, heard = self.starts, self.phases, self.heard
        i = bisect.bisect_right(starts, ts)
        if i > 0 and phases[i - 1] is phase:
            # A heartbeat, a duplicate, or a late event inside a known run.
            heard[i - 1] = max(heard[i - 1], ts)
            return
        if i < len(starts) and phases[i] is phase:
            # A late event showing that the next run began earlier.
            starts[i] = ts
            return
        starts.insert(i, ts)
        phases.insert(i, phase)
        heard.insert(i, ts)

    def state_at(self, ts: float, max_gap: float) -> PhaseState | None:
        i = bisect.bisect_right(self.starts, ts) - 1
        if i < 0:
            return None
        heard = self.heard[i]
        if ts > heard:
            # After the run's last event: known only if the head was not silent
            # for longer than max_gap before the next thing it said.
            until = self.starts[i + 1] if i + 1 < len(self.starts) else ts
            if until - heard > max_gap:
                return None
        return PhaseState(self.phases[i], self.starts[i])

    def latest(self) -> float | None:
        return max(self.heard[-1], self.starts[-1]) if self.starts else None

    def prune(self, before: float) -> None:
        # Keep the run in force at ``before``: it answers for instants after it.
        cut = bisect.bisect_right(self.starts, before) - 1
        if cut > 0:
            del self.starts[:cut], self.phases[:cut], self.heard[:cut]


class MemorySignalTimeline:
    """Phase runs per signal head for the last ``horizon_s`` seconds."""

    def __init__(
        self, *, max_gap_s: float = DEFAULT_MAX_GAP_S, horizon_s: float = DEFAULT_HORIZON_S
    ) -> None:
        self.max_gap_s = max_gap_s
        self.horizon_s = horizon_s
        self._runs: dict[str, _Runs] = {}

    def record(self, signal: str, ts: float, phase: Phase) -> None:
        runs = self._runs.get(signal)
        if runs is None:
            check_signal_id(signal)
            runs = self._runs[signal] = _Runs()
        runs.add(ts, phase if isinstance(phase, Phase) else Phase(phase))
        if len(runs.starts) > 64 and runs.starts[0] < ts - 2 * self.horizon_s:
            runs.prune(ts - self.horizon_s)

    def record_event(self, event: PhaseEvent) -> None:
        self.record(event.signal, event.ts, event.phase)

    def state_at(self, signal: str, ts: float) -> PhaseState | None:
        runs = self._runs.get(signal)
        return None if runs is None else runs.state_at(ts, self.max_gap_s)

    def latest(self, signal: str) -> float | None:
        runs = self._runs.get(signal)
        return None if runs is None else runs.latest()

    def signals(self) -> list[str]:
        return sorted(self._runs)

    def run_count(self) -> int:
        """Runs held in memory over all heads (for the bounded-memory tests)."""
        return sum(len(r.starts) for r in self._runs.values())

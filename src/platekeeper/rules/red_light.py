"""Red-light rule: a vehicle whose track crosses the stop line while its
signal shows red, later than the amber grace after red began.

Each watched camera names the signal head of its approach; the phase comes
from the controller feed (:mod:`platekeeper.rules.signals`). The read's
track gives the vehicle's signed distance past the stop line over time; the
crossing instant is interpolated between the last point before the line and
the first at or past it. A read needs a point on each side: a vehicle that
was only seen past the line, or that stopped on it, makes no finding.

When the feed has not yet reported the crossing instant, the read waits (up
to ``wait_for_phases_s`` of stream time) for the feed to catch up; an
instant the feed never covers is undetermined and raises nothing, because
an unknown phase is never evidence.

Evidence: the frames before, at and past the line, the plate crop and the
clip, each tagged with its role.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from platekeeper.rules.context import RuleContext
from platekeeper.rules.model import EvidenceRef, Finding, Offence, ReadEvent, TrackPoint
from platekeeper.rules.plugin import Rule, RuleConfig
from platekeeper.rules.signals import Phase, PhaseState, SignalId
from platekeeper.video.stop_line import signed_distance

MAX_PENDING = 50_000


class ApproachConfig(BaseModel):
    """One camera's approach to a signalled stop line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal: SignalId
    lanes: list[int] | None = Field(
        default=None, title="Lanes", description="Lanes controlled by this head; all if absent."
    )
    exempt_lanes: list[int] = Field(
        default_factory=list,
        title="Exempt lanes",
        description="Lanes with their own signal or a free turn (never enforced).",
    )


class RedLightConfig(RuleConfig):
    type: Literal["red_light"] = "red_light"
    approaches: dict[str, ApproachConfig] = Field(
        min_length=1,
        title="Approaches",
        description="Per camera code: the signal head that controls its stop line.",
    )
    amber_grace_s: float = Field(
        default=1.0,
        ge=0,
        le=5,
        title="Amber grace",
        description="Seconds into red during which a crossing is still tolerated.",
    )
    wait_for_phases_s: float = Field(
        default=180.0,
        ge=0,
        le=600,
        title="Wait for phases",
        description=(
            "How long (stream time) a read waits for the signal feed to cover its crossing; "
            "at least the longest phase when the controller reports changes only."
        ),
    )
    require_plate: bool = Field(
        default=False,
        title="Require plate",
        description="Ignore passes without a readable plate (else they go to review too).",
    )

    @model_validator(mode="after")
    def _scope(self) -> RedLightConfig:
        if self.cameras is not None and set(self.cameras) != set(self.approaches):
            raise ValueError("cameras, when given, must be the approaches' cameras")
        return self


def crossing_time(track: Sequence[TrackPoint]) -> tuple[float, int] | None:
    """The instant the track crosses the line (offset 0), and the index of the
    first point at or past it; None without a point on each side."""
    points = sorted(track, key=lambda p: p.ts)
    for i in range(1, len(points)):
        a, b = points[i - 1], points[i]
        if a.offset < 0 <= b.offset:
            return a.ts + (0 - a.offset) * (b.ts - a.ts) / (b.offset - a.offset), i
    return None


def offsets_from_image(
    points: Iterable[tuple[float, float, float, EvidenceRef | None]],
    stop_line: tuple[tuple[float, float], tuple[float, float]],
    approach_side: tuple[float, float],
) -> tuple[TrackPoint, ...]:
    """Track points from image positions ``(ts, x, y, frame)`` of the plate:
    the signed distance in pixels from the stop line, negative on the side of
    ``approach_side`` (any image point where vehicles come from). The edge
    agent does the same with :class:`platekeeper.video.stop_line.StopLine`."""
    return tuple(
        TrackPoint(ts, signed_distance(stop_line, approach_side, x, y), frame)
        for ts, x, y, frame in points
    )


class RedLightRule(Rule[RedLightConfig]):
    type = "red_light"
    config_model = RedLightConfig
    offences = (Offence.RED_LIGHT.value,)

    def __init__(self, name: str, config: RedLightConfig, context: RuleContext) -> None:
        super().__init__(name, config, context)
        self._cameras = frozenset(config.approaches)
        self._pending: deque[tuple[float, ReadEvent]] = deque()
        self._counts = {"crossings": 0, "no_crossing": 0, "deferred": 0, "undetermined": 0}

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        approach = self.config.approaches.get(read.camera)
        if approach is None or (self.config.require_plate and read.plate is None):
            return ()
        if read.lane is not None:
            if read.lane in approach.exempt_lanes:
                return ()
            if approach.lanes is not None and read.lane not in approach.lanes:
                return ()
        crossing = crossing_time(read.track)
        if crossing is None:
            self._counts["no_crossing"] += 1
            return ()
        self._counts["crossings"] += 1
        at, index = crossing
        state = self.context.signals.state_at(approach.signal, at)
        if state is None:
            latest = self.context.signals.latest(approach.signal)
            if latest is None or latest < at:
                self._defer(at, read)
            else:
                self._counts["undetermined"] += 1
            return ()
        return self._judge(read, approach, at, index, state)

    def pending(self) -> int:
        return len(self._pending)

    def tick(self, now: float) -> Sequence[Finding]:
        if not self._pending:
            return ()
        out: list[Finding] = []
        keep: deque[tuple[float, ReadEvent]] = deque()
        for at, read in self._pending:
            approach = self.config.approaches[read.camera]
            state = self.context.signals.state_at(approach.signal, at)
            if state is not None:
                crossing = crossing_time(read.track)
                assert crossing is not None
                out.extend(self._judge(read, approach, at, crossing[1], state))
                continue
            latest = self.context.signals.latest(approach.signal)
            if (latest is not None and latest >= at) or now > at + self.config.wait_for_phases_s:
                self._counts["undetermined"] += 1
            else:
                keep.append((at, read))
        self._pending = keep
        return out

    def stats(self) -> dict[str, int]:
        return {**self._counts, "pending": len(self._pending)}

    def _defer(self, at: float, read: ReadEvent) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._pending.popleft()
            self._counts["undetermined"] += 1
        self._pending.append((at, read))
        self._counts["deferred"] += 1

    def _judge(
        self, read: ReadEvent, approach: ApproachConfig, at: float, index: int, state: PhaseState
    ) -> Sequence[Finding]:
        if state.phase is not Phase.RED:
            return ()
        into_red = state.elapsed(at)
        if into_red < self.config.amber_grace_s:
            return ()
        evidence = self._evidence(read, at, index)
        roles = {e.role for e in evidence}
        return (
            self.finding(
                read,
                Offence.RED_LIGHT,
                evidence=evidence,
                details={
                    "signal": approach.signal,
                    "crossed_at": round(at, 3),
                    "red_since": round(state.since, 3),
                    "into_red_s": round(into_red, 2),
                    "amber_grace_s": self.config.amber_grace_s,
                    "lane": read.lane,
                    "evidence_complete": {"before", "at", "past"} <= roles,
                },
            ),
        )

    @staticmethod
    def _evidence(read: ReadEvent, at: float, index: int) -> list[EvidenceRef]:
        points = sorted(read.track, key=lambda p: p.ts)
        before = [(p, p.frame) for p in points[:index] if p.frame is not None]
        after = [(p, p.frame) for p in points[index:] if p.frame is not None]
        out: list[EvidenceRef] = []
        framed = before + after
        nearest = min(framed, key=lambda pf: abs(pf[0].ts - at)) if framed else None
        # When the frame nearest the crossing is still before the line, the
        # "before" frame is the one ahead of it: three distinct frames.
        earlier = [pf for pf in before if pf is not nearest]
        if earlier:
            out.append(earlier[-1][1].as_role("before"))
        if nearest is not None:
            out.append(nearest[1].as_role("at"))
        past = [frame for p, frame in after if (p, frame) != nearest and p.offset > 0]
        if past:
            out.append(past[0].as_role("past"))
        out.extend(e.as_role("plate") for e in read.evidence if e.kind == "crop")
        out.extend(e.as_role("clip") for e in read.evidence if e.kind == "clip")
        return out

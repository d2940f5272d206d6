"""The signal-phase timeline in the database, for deployments where the
controller feed (the web process) and the rules (workers) are apart.

Every controller event is a row (signal head, instant, phase); the pair
(head, instant) is unique, so a repeated delivery is ignored. The answers
are those of :class:`~platekeeper.rules.signals.MemorySignalTimeline`: the
phase at ``t`` is that of the last event at or before ``t``, it began at the
first event of that run of equal phases, and it is unknown where the
controller was silent for longer than ``max_gap_s``. ``purge`` drops what is
older than the horizon; a job runs it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from platekeeper.rules.signals import (
    DEFAULT_MAX_GAP_S,
    Phase,
    PhaseEvent,
    PhaseState,
    check_signal_id,
)
from platekeeper.store.base import Base
from platekeeper.store.engine import Database

_US = 1_000_000


class SignalPhaseRow(Base):
    """One event of a signal controller."""

    __tablename__ = "signal_phases"
    __table_args__ = (
        UniqueConstraint("signal", "at_us", name="uq_signal_phases_signal_at_us"),
        Index("ix_signal_phases_signal_phase_at_us", "signal", "phase", "at_us"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    signal: Mapped[str] = mapped_column(String(64))
    at_us: Mapped[int] = mapped_column(BigInteger)
    """Microseconds since the Unix epoch (UTC): exact, and the same on both databases."""
    phase: Mapped[str] = mapped_column(String(8))


def _us(ts: float) -> int:
    return round(ts * _US)


class DatabaseSignalTimeline:
    """Signal phases kept in the ``signal_phases`` table."""

    def __init__(self, db: Database, *, max_gap_s: float = DEFAULT_MAX_GAP_S) -> None:
        self.db = db
        self.max_gap_s = max_gap_s

    def record(self, signal: str, ts: float, phase: Phase) -> None:
        self.record_many([(signal, ts, Phase(phase))])

    def record_event(self, event: PhaseEvent) -> None:
        self.record(event.signal, event.ts, event.phase)

    def record_many(self, events: list[tuple[str, float, Phase]]) -> None:
        """Add events in one transaction; repeats are ignored."""
        rows = [
            {"signal": check_signal_id(s), "at_us": _us(ts), "phase": Phase(p).value}
            for s, ts, p in events
        ]
        if not rows:
            return
        with self.db.write() as session:
            dialect = session.get_bind().dialect.name
            if dialect == "postgresql":
                session.execute(postgresql.insert(SignalPhaseRow).on_conflict_do_nothing(), rows)
            elif dialect == "sqlite":
                session.execute(sqlite.insert(SignalPhaseRow).on_conflict_do_nothing(), rows)
            else:  # pragma: no cover - the two supported databases are above
                raise RuntimeError(f"unsupported database {dialect}")

    def state_at(self, signal: str, ts: float) -> PhaseState | None:
        at = _us(ts)
        t = SignalPhaseRow
        with self.db.read() as session:
            last = session.execute(
                select(t.at_us, t.phase)
                .where(t.signal == signal, t.at_us <= at)
                .order_by(t.at_us.desc())
                .limit(1)
            ).first()
            if last is None:
                return None
            heard, phase = last
            # Unknown later than anything heard (not yet known), and where the
            # silence around ``ts`` is longer than the gap allowed.
            if at > heard:
                following = session.scalar(
                    select(func.min(t.at_us)).where(t.signal == signal, t.at_us > at)
                )
                if following is None or following - heard > self.max_gap_s * _US:
                    return None
            other = session.scalar(
                select(func.max(t.at_us)).where(
                    t.signal == signal, t.at_us <= heard, t.phase != phase
                )
            )
            first = select(func.min(t.at_us)).where(t.signal == signal, t.at_us <= heard)
            if other is not None:
                first = first.where(t.at_us > other)
            since = session.scalar(first)
        assert since is not None
        return PhaseState(Phase(phase), since / _US)

    def latest(self, signal: str) -> float | None:
        with self.db.read() as session:
            found = session.scalar(
                select(func.max(SignalPhaseRow.at_us)).where(SignalPhaseRow.signal == signal)
            )
        return None if found is None else found / _US

    def purge(self, before: float) -> int:
        """Delete events older than ``before``; returns how many."""
        with self.db.write() as session:
            result = session.execute(
                delete(SignalPhaseRow).where(SignalPhaseRow.at_us < _us(before))
            )
        return int(getattr(result, "rowcount", 0) or 0)

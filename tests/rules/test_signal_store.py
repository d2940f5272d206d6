"""The database signal timeline answers as the memory one does, on SQLite
and on PostgreSQL, and ignores repeated deliveries."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from rules_helpers import T0

from platekeeper.rules import MemorySignalTimeline, Phase
from platekeeper.rules.signal_store import DatabaseSignalTimeline, SignalPhaseRow
from platekeeper.store.engine import Database

ORDER = (Phase.GREEN, Phase.AMBER, Phase.RED)


def events(seed: int) -> list[tuple[str, float, Phase]]:
    """Two heads: changes every 3-60 s, heartbeats inside runs, and now and
    then a silence of several minutes that ends on a new phase."""
    rng = random.Random(seed)
    out = []
    for head in ("j1-n", "j1-e"):
        t, k = T0, rng.randrange(3)
        for _ in range(120):
            phase = ORDER[k % 3]
            out.append((head, t, phase))
            length = rng.uniform(3, 60)
            if rng.random() < 0.3:
                out.append((head, t + length / 2, phase))  # a heartbeat
            if rng.random() < 0.05:
                length += rng.uniform(150, 400)  # the controller goes quiet
            t += length
            k += 1
    rng.shuffle(out)
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database.from_url(f"sqlite:///{tmp_path / 'signals.db'}")
        SignalPhaseRow.metadata.create_all(database.engine, tables=[SignalPhaseRow.__table__])  # type: ignore[list-item]
        yield database
        database.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    database = Database.from_url(url)
    schema = f"signals_{uuid.uuid4().hex[:8]}"
    from sqlalchemy import text

    with database.engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    database.dispose()
    database = Database.from_url(url, connect_args={"options": f"-csearch_path={schema}"})
    SignalPhaseRow.metadata.create_all(database.engine, tables=[SignalPhaseRow.__table__])  # type: ignore[list-item]
    try:
        yield database
    finally:
        with database.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        database.dispose()


def test_database_and_memory_timelines_agree(db: Database) -> None:
    stored = DatabaseSignalTimeline(db, max_gap_s=120)
    memory = MemorySignalTimeline(max_gap_s=120, horizon_s=10**6)
    evs = events(3)
    stored.record_many(evs[: len(evs) // 2])
    for e in evs[len(evs) // 2 :]:
        stored.record(*e)
    stored.record_many(evs[:50])  # delivered again: ignored
    for e in evs:
        memory.record(*e)
    rng = random.Random(4)
    checked = unknown = 0
    end = max(t for _, t, _ in evs)
    for _ in range(300):
        head = rng.choice(("j1-n", "j1-e"))
        at = rng.uniform(T0 - 30, end + 30)
        a, b = stored.state_at(head, at), memory.state_at(head, at)
        assert (a is None) == (b is None), (head, at - T0, a, b)
        if a is not None and b is not None:  # the database keeps microseconds
            assert a.phase is b.phase
            assert a.since == pytest.approx(b.since, abs=1e-5)
        checked += 1
        unknown += a is None
    assert 0 < unknown < checked  # both kinds of answer were compared
    assert stored.latest("j1-n") == pytest.approx(memory.latest("j1-n"))
    assert stored.latest("nowhere") is None
    assert stored.purge(T0 + 600) > 0
    assert stored.state_at("j1-n", T0 + 100) is None


def test_bad_signal_ids_are_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="signal id"):
        DatabaseSignalTimeline(db).record("bad id!", T0, Phase.RED)

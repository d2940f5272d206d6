"""Signal phases the agent read from its video, sent to a real server's
signal door: kept while the server cannot be reached, dropped with the
reason when it refuses them for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from edge_central import Central
from sqlalchemy import select

from platekeeper.config import Settings
from platekeeper.edge.phases import PhaseSender
from platekeeper.rules.signal_store import SignalPhaseRow
from platekeeper.store.facade import StoreConfig, open_store


def recorded(central: Central) -> list[tuple[str, str]]:
    store = open_store(StoreConfig.from_settings(Settings(data_dir=central.data_dir)))
    try:
        with store.db.read() as s:
            rows = s.execute(
                select(SignalPhaseRow.signal, SignalPhaseRow.phase).order_by(SignalPhaseRow.at_us)
            ).all()
        return [(str(a), str(b)) for a, b in rows]
    finally:
        store.close()


def test_phases_wait_for_the_server_and_refusals_are_dropped(central: Central) -> None:
    at = datetime.now(UTC) - timedelta(minutes=1)
    with httpx.Client(base_url=central.url, timeout=5) as client:
        ours = PhaseSender(client, central.camera.key_id, central.camera.secret, "EDGE-sig")
        ours.add(at, "green")  # the server is not up yet
        assert ours.pending
        assert ours.sent == 0
        central.start()
        ours.add(at + timedelta(seconds=30), "amber")
        assert ours.pending == []
        assert ours.sent == 2
        theirs = PhaseSender(client, central.camera.key_id, central.camera.secret, "ELSE-sig")
        theirs.add(at, "green")  # a head of another bank: refused for good
        assert theirs.pending == []
        assert theirs.refused == 1
    assert recorded(central) == [("EDGE-sig", "green"), ("EDGE-sig", "amber")]


def test_queued_phases_wait_for_a_flush(central: Central) -> None:
    """What the video thread does: queue() only keeps the change; the
    delivery thread's flush() sends it, and a change queued after a failed
    flush goes with the next one."""
    at = datetime.now(UTC) - timedelta(minutes=1)
    with httpx.Client(base_url=central.url, timeout=5) as client:
        sender = PhaseSender(client, central.camera.key_id, central.camera.secret, "EDGE-sig")
        sender.queue(at, "green")
        assert not sender.flush()  # the server is not up yet: kept
        central.start()
        sender.queue(at + timedelta(seconds=30), "amber")
        assert recorded(central) == []  # queued, not sent
        assert sender.flush()
        assert (sender.pending, sender.sent) == ([], 2)
    assert recorded(central) == [("EDGE-sig", "green"), ("EDGE-sig", "amber")]

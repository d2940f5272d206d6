"""Delivery to a real central server: through a dead link, through SIGKILLs
of the agent and of the server, a refused read and a revoked key. At the end
every read the camera produced is stored exactly once, in capture order."""

from __future__ import annotations

import random
import select
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from edge_central import Central

from platekeeper.edge.outbox import Outbox
from platekeeper.edge.uploader import Uploader

AGENT = Path(__file__).with_name("edge_agent.py")


def start_time() -> datetime:
    return datetime.now(UTC) - timedelta(hours=2)


def reads(count: int, start: datetime) -> list[dict[str, object]]:
    return [
        {
            "idempotency_key": f"r{n}",
            "captured_at": (start + timedelta(seconds=n)).isoformat(),
            "plate": f"01A{n:03d}BC",
            "confidence": 0.9,
        }
        for n in range(count)
    ]


def uploader(outbox: Outbox, central: Central, client: httpx.Client) -> Uploader:
    return Uploader(
        outbox,
        client,
        central.camera.key_id,
        central.camera.secret,
        batch=20,
        sleep=lambda _s: None,
    )


def test_reads_wait_out_a_dead_link_then_arrive_in_order(central: Central, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "edge")
    for r in reads(90, start_time()):
        outbox.put(r)
    with httpx.Client(base_url=central.url, timeout=5) as client:
        up = uploader(outbox, central, client)
        for _ in range(3):
            assert not up.send_once()  # nobody listening
        assert outbox.pending() == 90
        central.start()
        up.drain()
    assert outbox.pending() == 0
    rows = central.stored()
    assert len(rows) == 90
    assert [at for _id, at in rows] == sorted(at for _id, at in rows)


def test_a_refused_read_is_set_aside_and_a_revoked_key_drops_nothing(
    central: Central, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "edge")
    good = reads(5, start_time())
    future = {**good[2], "idempotency_key": "late", "captured_at": "2999-01-01T00:00:00+00:00"}
    for r in [*good[:2], future, *good[2:]]:
        outbox.put(r)
    central.start()
    with httpx.Client(base_url=central.url, timeout=5) as client:
        up = uploader(outbox, central, client)
        up.drain()
        assert [k for k, _ in outbox.dead_letters()] == ["late"]
        assert len(central.stored()) == 5
        central.revoke()
        for r in reads(8, start_time())[5:]:
            outbox.put(r)
        assert not up.send_once()
        assert up.state.alarm is not None
        assert "403" in up.state.alarm
    assert outbox.pending() == 3
    assert len(central.stored()) == 5


def mid_delivery(agent: subprocess.Popen[bytes], attempts: int) -> bool:
    """SIGKILL ``agent`` once it has printed ``attempts`` progress lines; False
    when it finished first."""
    assert agent.stdout is not None
    try:
        for _ in range(attempts):
            ready, _, _ = select.select([agent.stdout], [], [], 30)
            assert ready, "the agent printed no progress for 30 s"
            if not agent.stdout.readline():
                agent.wait()
                return False
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        return True
    finally:
        agent.stdout.close()


def killed_after(agent: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL ``agent`` after ``seconds``; False when it finished first."""
    assert agent.stdout is not None
    try:
        agent.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        return True
    finally:
        agent.stdout.close()


def test_sigkill_of_agent_and_server_loses_and_duplicates_nothing(
    central: Central, tmp_path: Path
) -> None:
    count = 4000
    start = start_time()
    args = [
        sys.executable,
        str(AGENT),
        str(tmp_path / "edge"),
        central.url,
        central.camera.key_id,
        central.camera.secret.hex(),
        str(count),
        str(start.timestamp()),
    ]
    central.start()
    rng = random.Random(4)
    kills = 0
    deadline = time.time() + 240
    while time.time() < deadline:
        agent = subprocess.Popen(args, stdout=subprocess.PIPE)
        # The first lives end mid-delivery whatever the machine's speed (killed
        # after a few upload attempts of their own); later ones at random
        # times, longer and longer, so that it can finish.
        if kills < 3:
            killed = mid_delivery(agent, attempts=rng.randint(2, 6))
        else:
            killed = killed_after(agent, rng.uniform(0.6, 1.2) + 0.3 * kills)
        if not killed:
            assert agent.returncode == 0
            break
        kills += 1
        if kills % 3 == 0:  # and the server, now and then
            central.kill()
            central.start()
    else:
        raise AssertionError("the agent did not finish")
    assert kills >= 3, "the test must actually interrupt the agent"
    rows = central.stored()
    assert len(rows) == count
    expected = [(start + timedelta(seconds=n / 4)).isoformat() for n in range(count)]
    assert [at for _id, at in rows] == expected


def test_a_malformed_read_mid_batch_is_the_one_set_aside(central: Central, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "edge")
    good = reads(4, start_time())
    bad = {**good[1], "idempotency_key": "long", "plate": "X" * 40}
    for r in [good[0], bad, *good[1:]]:
        outbox.put(r)
    central.start()
    with httpx.Client(base_url=central.url, timeout=5) as client:
        uploader(outbox, central, client).drain()
    (aside,) = outbox.dead_letters()
    assert aside[0] == "long"
    assert aside[1].startswith("read 1: plate")
    assert len(central.stored()) == 4

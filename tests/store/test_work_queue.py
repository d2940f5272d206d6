"""Both work queues pass the same tests: the table (SQLite, PostgreSQL) and
NATS JetStream (the real server on 127.0.0.1:4222)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import nats
import pytest
from sqlalchemy import select
from store_testkit import StoreEnv

from platekeeper.ingest.jetstream import JetStreamQueue
from platekeeper.ingest.queue import Sealer, TableQueue, WorkQueue
from platekeeper.store.facade import Store
from platekeeper.store.models import QueuedJob

LEASE = 2.0
"""JetStream lease (ack_wait) in the tests: longer than a fetch's one-second
wait, so a take that finds nothing ends before a lease it did not hold runs out
(with both at one second, the lapsed job was delivered to that ending fetch and
counted as an attempt)."""
SECRET = b"frame bytes with plate 01A123BC"


def _delete_stream(url: str, name: str) -> None:
    async def go() -> None:
        nc = await nats.connect(url)
        try:
            await nc.jetstream().delete_stream(name)
        finally:
            await nc.close()

    asyncio.run(go())


@pytest.fixture(params=["table", "jetstream"])
def queue(
    request: pytest.FixtureRequest, env: StoreEnv, store: Store
) -> Iterator[tuple[str, WorkQueue]]:
    sealer = Sealer(store.vault)
    if request.param == "table":
        yield env.backend, TableQueue(store.db, sealer, clock=env.clock)
        return
    if env.backend != "sqlite":
        pytest.skip("JetStream does not depend on the database: run once")
    url = request.getfixturevalue("nats_url")
    name = f"PKTEST_{uuid.uuid4().hex[:10]}"
    q = JetStreamQueue(url, sealer, stream=name, subject=f"pktest.{name}", lease_seconds=LEASE)
    yield "jetstream", q
    q.close()
    _delete_stream(url, name)


def expire_lease(kind: str, env: StoreEnv) -> None:
    if kind == "jetstream":
        time.sleep(LEASE + 0.5)
    else:
        env.clock.advance(seconds=61)


def test_put_take_done(queue: tuple[str, WorkQueue]) -> None:
    _kind, q = queue
    assert q.put("m1", b"one")
    assert q.put("m2", b"two")
    assert not q.put("m1", b"one again"), "a repeated message id is dropped"
    jobs = q.take(10)
    assert [(j.message_id, j.payload, j.attempts) for j in jobs] == [
        ("m1", b"one", 1),
        ("m2", b"two", 1),
    ]
    for job in jobs:
        q.done(job)
    assert q.take(10) == []


def test_a_job_whose_worker_died_comes_back(queue: tuple[str, WorkQueue], env: StoreEnv) -> None:
    kind, q = queue
    q.put("m1", b"one")
    (_first,) = q.take(1)
    assert q.take(1) == [], "a leased job is not handed to a second worker"
    expire_lease(kind, env)
    (again,) = q.take(1)
    assert again.message_id == "m1"
    assert again.attempts == 2
    q.done(again)
    expire_lease(kind, env)
    assert q.take(1) == []


def test_retry_gives_the_job_back_at_once(queue: tuple[str, WorkQueue]) -> None:
    _kind, q = queue
    q.put("m1", b"one")
    (job,) = q.take(1)
    q.retry(job)
    (again,) = q.take(1)
    assert again.payload == b"one"
    q.done(again)


def test_the_table_holds_only_sealed_payloads(env: StoreEnv, store: Store) -> None:
    q = TableQueue(store.db, Sealer(store.vault), clock=env.clock)
    q.put("m1", SECRET)
    with store.db.read() as s:
        (sealed,) = s.scalars(select(QueuedJob.sealed)).all()
    assert b"01A123BC" not in sealed
    assert q.take(1)[0].payload == SECRET

"""The work queue on NATS JetStream (the scale-out configuration).

One stream (file storage) holds the messages; every worker pulls from one
durable consumer with explicit acks, so each message goes to one worker at a
time and comes back after ``ack_wait`` if that worker dies. A publish carries
the message id in ``Nats-Msg-Id``, and the stream drops a repeat inside its
duplicate window. nats-py is asyncio-only: the queue runs its own event loop
in a thread and offers the same blocking interface as the table queue.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from platekeeper.ingest.queue import Job, Sealer

T = TypeVar("T")


class JetStreamQueue:
    def __init__(
        self,
        url: str,
        sealer: Sealer,
        *,
        stream: str = "PLATEKEEPER_FRAMES",
        subject: str = "platekeeper.frames",
        consumer: str = "workers",
        lease_seconds: float = 60.0,
        duplicate_window: float = 600.0,
    ) -> None:
        self.sealer = sealer
        self.subject = subject
        self.stream = stream
        self.consumer = consumer
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._nc: Any = self._run(nats.connect(url, connect_timeout=5, max_reconnect_attempts=3))
        self._js = self._nc.jetstream()
        self._run(self._ensure(duplicate_window))
        self._sub = self._run(
            self._js.pull_subscribe(
                subject,
                durable=consumer,
                stream=stream,
                config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=lease_seconds),
            )
        )

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _ensure(self, window: float) -> None:
        config = StreamConfig(
            name=self.stream,
            subjects=[self.subject],
            storage=StorageType.FILE,
            duplicate_window=window,
        )
        try:
            await self._js.stream_info(self.stream)
        except NotFoundError:
            await self._js.add_stream(config)

    def put(self, message_id: str, payload: bytes) -> bool:
        sealed = self.sealer.seal(message_id, payload)
        ack = self._run(self._js.publish(self.subject, sealed, headers={"Nats-Msg-Id": message_id}))
        return not bool(ack.duplicate)

    def take(self, limit: int = 1, lease_seconds: float = 60.0) -> list[Job]:
        # The lease is the consumer's ack_wait, fixed when it was made.
        async def fetch() -> list[Any]:
            try:
                return list(await self._sub.fetch(limit, timeout=1.0))
            except NatsTimeout:
                return []

        jobs = []
        for msg in self._run(fetch()):
            message_id = (msg.headers or {}).get("Nats-Msg-Id", "")
            attempts = int(msg.metadata.num_delivered)
            jobs.append(Job(message_id, self.sealer.open(message_id, msg.data), attempts, msg))
        return jobs

    def done(self, job: Job) -> None:
        self._run(job.token.ack_sync())  # type: ignore[attr-defined]

    def retry(self, job: Job) -> None:
        self._run(job.token.nak())  # type: ignore[attr-defined]

    def close(self) -> None:
        # Every publish and ack was awaited already: nothing is in flight to
        # drain (and draining a pull subscription waits on its pending fetch).
        try:
            self._run(self._nc.close(), timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

"""The work queue between the camera door and the recognition workers.

Two implementations of one small interface, chosen by URL: ``local`` (a
durable table in the store's own database: the embedded default) and
``nats://host:port`` (a NATS JetStream stream: scale-out). Both deliver at
least once: a taken job is leased, and comes back to another worker if its
worker dies or gives it back before ``done``. A repeated ``put`` of one
message id is dropped while the first is queued (JetStream: within its
duplicate window). Workers make reprocessing harmless anyway: the reads they
store carry idempotency keys.

Payloads are sealed (AES-256-GCM under the vault's ``work-queue`` key, bound
to the message id) before they reach the table or the stream: a queued frame
shows a plate to nobody who reads the database or the broker's disk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from platekeeper.crypto.aead import DataCipher
from platekeeper.crypto.vault import KeyVault
from platekeeper.store.engine import Database
from platekeeper.store.models import QueuedJob
from platekeeper.store.types import utc_now

VAULT_KEY = "work-queue"


@dataclass(frozen=True)
class Job:
    message_id: str
    payload: bytes = field(repr=False)
    attempts: int
    token: object = field(repr=False, compare=False)


class WorkQueue(Protocol):
    def put(self, message_id: str, payload: bytes) -> bool:
        """Queue durably; False when that message id is queued already."""

    def take(self, limit: int = 1, lease_seconds: float = 60.0) -> list[Job]:
        """Up to ``limit`` jobs, leased for ``lease_seconds``; may be empty."""

    def done(self, job: Job) -> None:
        """The job is finished: it is not delivered again."""

    def retry(self, job: Job) -> None:
        """Give the job back now, for this or another worker."""

    def close(self) -> None: ...


class Sealer:
    def __init__(self, vault: KeyVault) -> None:
        self._cipher = DataCipher(0, vault.system_key(VAULT_KEY))

    def seal(self, message_id: str, payload: bytes) -> bytes:
        return self._cipher.seal(payload, b"pk/work-queue|" + message_id.encode())

    def open(self, message_id: str, sealed: bytes) -> bytes:
        return self._cipher.open(sealed, b"pk/work-queue|" + message_id.encode())


class TableQueue:
    """The queue as a table of the store's database (SQLite or PostgreSQL)."""

    def __init__(
        self, db: Database, sealer: Sealer, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock

    def put(self, message_id: str, payload: bytes) -> bool:
        now = self.clock()
        try:
            with self.db.write() as s:
                s.add(
                    QueuedJob(
                        message_id=message_id,
                        sealed=self.sealer.seal(message_id, payload),
                        enqueued_at=now,
                        available_at=now,
                        attempts=0,
                    )
                )
        except IntegrityError:
            return False
        return True

    def take(self, limit: int = 1, lease_seconds: float = 60.0) -> list[Job]:
        now = self.clock()
        with self.db.write() as s:
            rows = s.scalars(
                select(QueuedJob)
                .where(QueuedJob.available_at <= now)
                .order_by(QueuedJob.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            jobs = []
            for row in rows:
                row.available_at = now + timedelta(seconds=lease_seconds)
                row.attempts += 1
                payload = self.sealer.open(row.message_id, row.sealed)
                jobs.append(Job(row.message_id, payload, row.attempts, row.id))
        return jobs

    def done(self, job: Job) -> None:
        with self.db.write() as s:
            s.execute(delete(QueuedJob).where(QueuedJob.id == job.token))

    def retry(self, job: Job) -> None:
        with self.db.write() as s:
            s.execute(
                update(QueuedJob).where(QueuedJob.id == job.token).values(available_at=self.clock())
            )

    def close(self) -> None:
        return None

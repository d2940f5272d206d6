"""Idempotent ingest of reads made at the edge.

A batch from a camera is split into reads already stored (their idempotency
key has a receipt) and new ones; the new ones go to the store in one
transaction together with their receipts, so an answer lost on the way back
costs the camera a retry, never a duplicate. Two copies of one batch racing
each other: one commits, the other hits the receipts' primary key, and its
retry finds them all stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platekeeper.ingest.camera_keys import CameraKeys, VerifiedCamera
from platekeeper.ingest.payloads import (
    MAX_BODY_BYTES,
    FrameBatch,
    FrameIn,
    IngestResult,
    QueuedResult,
    ReadBatch,
    ReadIn,
)
from platekeeper.ingest.queue import WorkQueue
from platekeeper.store.errors import InvalidRead
from platekeeper.store.models import IngestReceipt
from platekeeper.store.reads import ReadStore
from platekeeper.store.records import NewEvidence, NewRead
from platekeeper.store.types import EvidenceKind, utc_now

logger = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=1)


def key_digest(idempotency_key: str) -> bytes:
    return hashlib.sha256(idempotency_key.encode()).digest()


def _new_read(camera: str, read: ReadIn) -> NewRead:
    evidence = []
    for kind, data in (
        (EvidenceKind.CROP, read.crop()),
        (EvidenceKind.FRAME, read.frame()),
        (EvidenceKind.CLIP, read.clip()),
    ):
        if data is not None:
            evidence.append(NewEvidence(kind, data))
    return NewRead(
        camera=camera,
        captured_at=read.captured_at,
        plate=read.plate,
        confidence=read.confidence,
        country=read.country,
        candidates=[(c.text, c.confidence) for c in read.candidates],
        evidence=evidence,
        track=[(p.at.timestamp(), p.offset_m) for p in read.track],
        plate_box=read.plate_box.as_tuple() if read.plate_box is not None else None,
        track_frames=[p.frame() for p in read.track]
        if any(p.frame_jpeg for p in read.track)
        else [],
        lane=read.lane,
        vehicle_class=read.vehicle_class,
    )


class IngestService:
    """Stores camera batches exactly once per idempotency key."""

    def __init__(self, reads: ReadStore, clock: Callable[[], datetime] = utc_now) -> None:
        self.reads = reads
        self.clock = clock
        self._pruned_at: datetime | None = None

    @property
    def receipt_horizon(self) -> timedelta:
        """How long a receipt matters: a read older than its retention is
        refused anyway, so no repeat of it can be stored twice after that."""
        policy = self.reads.settings.retention.reads
        return timedelta(days=policy.keep_days + policy.period_days)

    def ingest(self, camera: VerifiedCamera, batch: ReadBatch) -> IngestResult:
        """Store the batch's new reads; raises the store's ``InvalidRead``
        (nothing written) when one of them is refused."""
        now = self.clock()
        if self._pruned_at is None or now - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = now
            self.prune_receipts(self.receipt_horizon)
        for _attempt in range(3):
            try:
                return self._once(camera, batch)
            except IntegrityError:
                logger.info("a copy of this batch committed first; checking receipts again")
        raise RuntimeError("ingest kept colliding with concurrent copies of one batch")

    def _once(self, camera: VerifiedCamera, batch: ReadBatch) -> IngestResult:
        digests = {key_digest(r.idempotency_key): r for r in batch.reads}
        with self.reads.db.read() as s:
            seen = set(
                s.scalars(
                    select(IngestReceipt.key_digest).where(
                        IngestReceipt.camera_id == camera.camera_id,
                        IngestReceipt.key_digest.in_(list(digests)),
                    )
                )
            )
        fresh = [(d, r) for d, r in digests.items() if d not in seen]
        if not fresh:
            return IngestResult(stored=0, duplicates=len(batch.reads))
        now = self.clock()

        def receipts(session: Session, read_ids: list[int]) -> None:
            session.add_all(
                IngestReceipt(
                    camera_id=camera.camera_id, key_digest=d, read_id=rid, received_at=now
                )
                for (d, _r), rid in zip(fresh, read_ids, strict=True)
            )
            session.flush()

        try:
            self.reads.ingest(
                [_new_read(camera.camera_code, r) for _d, r in fresh], within=receipts
            )
        except InvalidRead as exc:
            # Name the read by its place in the camera's batch, not among the new ones.
            where = None
            if exc.index is not None:
                where = batch.reads.index(fresh[exc.index][1])
            raise InvalidRead(exc.reason, where) from exc
        return IngestResult(stored=len(fresh), duplicates=len(batch.reads) - len(fresh))

    def prune_receipts(self, older_than: timedelta) -> int:
        """Forget receipts older than ``older_than`` (``ingest`` does this
        itself hourly, past ``receipt_horizon``)."""
        cutoff = self.clock() - older_than
        with self.reads.db.write() as s:
            result = s.execute(delete(IngestReceipt).where(IngestReceipt.received_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


def frame_message(camera: VerifiedCamera, frame: FrameIn) -> tuple[str, bytes]:
    """The queue message of a camera's frame: (message id, payload)."""
    message_id = f"{camera.camera_id}:{frame.idempotency_key}"
    payload = json.dumps(
        {
            "camera_id": camera.camera_id,
            "camera": camera.camera_code,
            "key": frame.idempotency_key,
            "captured_at": frame.captured_at.isoformat(),
            "jpeg": frame.jpeg,
        }
    ).encode()
    return message_id, payload


@dataclass(frozen=True)
class IngestGateway:
    """What the web app needs for the camera door."""

    keys: CameraKeys
    service: IngestService
    queue: WorkQueue | None = None
    max_body_bytes: int = MAX_BODY_BYTES

    def queue_frames(self, camera: VerifiedCamera, batch: FrameBatch) -> QueuedResult:
        if self.queue is None:
            raise RuntimeError("this server has no work queue")
        queued = 0
        for frame in batch.frames:
            queued += self.queue.put(*frame_message(camera, frame))
        return QueuedResult(queued=queued, duplicates=len(batch.frames) - queued)

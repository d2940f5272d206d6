"""Stored reads through the rules: findings kept as violations, alerts raised.

The store calls ``submit`` with the ids of every batch once it has committed
(camera door, MQTT, the frame worker: every path). A background thread loads
the reads in batches, turns them into the rules' ``ReadEvent`` and feeds the
one engine of this process (the engine is single-threaded by design), then
lets time-based rules decide (``tick``). Findings go to the violation store
(idempotent on their key) and alerts to the bus.

With a context sync (``rules.store_context.StoreContextSync``) the same
thread also brings the engine's hotlists and camera sites up to date with
the store: before the first read, every ``sync_s`` seconds, and at once
after :meth:`RulesPipeline.refresh_now` (a hotlist changed in this process).

Known limit: the hand-over is in memory, so reads stored in the moment
before a crash are not checked after it; redelivery of the same reads is
harmless (the engine's dedup and the violations' unique key).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable
from typing import Protocol

from platekeeper.review.violations import ViolationStore
from platekeeper.rules.engine import RulesEngine
from platekeeper.rules.model import Box, EvidenceRef, Finding, ReadEvent, TrackPoint
from platekeeper.rules.worker import AlertSink, RulesWorker
from platekeeper.store.facade import Store
from platekeeper.store.records import StoredRead

logger = logging.getLogger(__name__)

BATCH = 500


class ContextSync(Protocol):
    """Brings the worker's context up to date (``StoreContextSync``)."""

    def sync(self, worker: RulesWorker) -> list[Finding]: ...


TRACK_ROLE = "track"
"""The role of a read's evidence that is the frame of one of its track points
(the read's own frame has none)."""


def _track(read: StoredRead) -> tuple[TrackPoint, ...]:
    frames = read.track_frames or (None,) * len(read.track)
    return tuple(
        TrackPoint(t, offset, None if blob is None else EvidenceRef("frame", str(blob), t))
        for (t, offset), blob in zip(read.track, frames, strict=True)
    )


def read_event(read: StoredRead) -> ReadEvent:
    """A stored read as the rules see it (the store's ids as evidence refs;
    each track point with its frame, when it came with one)."""
    ts = read.captured_at.timestamp()
    on_track = read.track_frame_ids
    return ReadEvent(
        read_id=str(read.id),
        camera=read.camera.code,
        ts=ts,
        plate=read.plate or None,
        confidence=read.confidence,
        country=read.country,
        candidates=read.candidates,
        lane=read.lane,
        direction=read.camera.direction,
        vehicle_class=read.vehicle_class,
        track=_track(read),
        plate_box=Box(*read.plate_box) if read.plate_box is not None else None,
        evidence=tuple(
            EvidenceRef(
                ref.kind.value, str(ref.blob_id), ts, TRACK_ROLE if ref.blob_id in on_track else ""
            )
            for ref in read.evidence
        ),
    )


class RulesPipeline:
    def __init__(
        self,
        store: Store,
        engine: RulesEngine,
        violations: ViolationStore,
        alerts: AlertSink | None = None,
        *,
        max_pending: int = 1_000_000,
        context_sync: ContextSync | None = None,
        sync_s: float = 5.0,
    ) -> None:
        self.store = store
        self.worker = RulesWorker(engine, violations, alerts)
        self.context_sync = context_sync
        self.sync_s = sync_s
        self._sync_wanted = threading.Event()
        self._sync_wanted.set()  # before the first read
        self._synced_at = float("-inf")
        self._ids: queue.Queue[list[int]] = queue.Queue()
        self._pending = 0
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self.processed = 0
        self.findings = 0
        self.dropped = 0

    def submit(self, read_ids: list[int]) -> None:
        with self._lock:
            if self._pending + len(read_ids) > self._max_pending:
                self.dropped += len(read_ids)
                logger.error("rules pipeline full: %d reads not checked", len(read_ids))
                return
            self._pending += len(read_ids)
        self._ids.put(list(read_ids))

    def refresh_now(self) -> None:
        """Bring the context up to date before the next read (a hotlist changed)."""
        self._sync_wanted.set()
        self._ids.put([])  # wakes the thread if it waits for reads

    def sync(self) -> int:
        """Apply the store's changes to the engine's context now, in the
        caller's thread (the pipeline's own, or a test's); returns the
        findings new hotlist entries made on recent reads."""
        self._sync_wanted.clear()
        self._synced_at = time.monotonic()
        if self.context_sync is None:
            return 0
        found = len(self.context_sync.sync(self.worker))
        self.findings += found
        return found

    def _sync_due(self) -> bool:
        return self._sync_wanted.is_set() or time.monotonic() - self._synced_at >= self.sync_s

    def _sync_safely(self) -> None:
        try:
            self.sync()
        except Exception:  # a database hiccup must not stop the checks
            logger.exception("rules pipeline: the context sync failed")

    def process(self, read_ids: Iterable[int]) -> int:
        """Check these reads now (oldest first); returns the findings made."""
        ids = list(read_ids)
        found = 0
        for start in range(0, len(ids), BATCH):
            reads = self.store.reads.get_many(ids[start : start + BATCH])
            for read in sorted(reads, key=lambda r: (r.captured_at, r.id)):
                found += len(self.worker.handle_read(read_event(read)))
        found += len(self.worker.tick())
        self.processed += len(ids)
        self.findings += found
        return found

    def run(self, stop: threading.Event, idle_s: float = 0.5) -> None:
        while not stop.is_set():
            if self._sync_due():
                self._sync_safely()
            try:
                first = self._ids.get(timeout=idle_s)
            except queue.Empty:
                continue
            batch = list(first)
            while len(batch) < BATCH:
                try:
                    batch.extend(self._ids.get_nowait())
                except queue.Empty:
                    break
            if self._sync_due():  # a hotlist entry added meanwhile counts for these reads
                self._sync_safely()
            try:
                self.process(batch)
            except Exception:  # one bad batch must not stop the checks
                logger.exception("rules pipeline: a batch of %d reads failed", len(batch))
            finally:
                with self._lock:
                    self._pending -= len(batch)

    def drain(self) -> None:
        """Process everything submitted so far, in the caller's thread (tests, tools)."""
        if self._sync_wanted.is_set():
            self.sync()
        while True:
            try:
                batch = self._ids.get_nowait()
            except queue.Empty:
                return
            try:
                self.process(batch)
            finally:
                with self._lock:
                    self._pending -= len(batch)

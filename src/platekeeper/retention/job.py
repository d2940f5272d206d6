"""The retention job: destroy expired keys first, then delete what they locked.

Order matters. The key material goes first (``KeyService.destroy``): from
that moment the data is unreadable everywhere — in the database, in the
evidence store, and in every backup ever taken of them, because no backup of
the database or the evidence contains a key (keys live in the vault). Then
the rows and objects are deleted; if the job dies halfway, the next run
finds destroyed keys that still have rows and finishes.

The job also sweeps evidence objects that no row refers to (left by a
failed ingest), vault keys the catalogue does not know (left by a failed key
creation), expired hotlist entries, and, on PostgreSQL, empty partitions of
months past every retention period.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, tuple_

from platekeeper.store.evidence.sealing import object_name
from platekeeper.store.facade import Store
from platekeeper.store.keys import PERIODIC_CLASSES
from platekeeper.store.models import DataKey, EvidenceBlob, Read
from platekeeper.store.types import KeyPurpose, KeyState

logger = logging.getLogger(__name__)

DELETE_CHUNK = 20_000
BLOB_CHUNK = 1_000


@dataclass
class RetentionReport:
    """What one run did (or, with ``dry_run``, would do)."""

    dry_run: bool
    keys_destroyed: Counter[str] = field(default_factory=Counter)
    reads_deleted: int = 0
    blobs_deleted: int = 0
    orphan_objects_deleted: int = 0
    orphan_vault_keys_deleted: int = 0
    hotlist_entries_expired: int = 0
    partitions_dropped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "would destroy" if self.dry_run else "destroyed"
        keys = ", ".join(f"{n} {c}" for c, n in sorted(self.keys_destroyed.items())) or "none"
        out = [f"keys {verb}: {keys}"]
        out.append(f"reads deleted: {self.reads_deleted}")
        out.append(f"evidence blobs deleted: {self.blobs_deleted}")
        if not self.dry_run:
            out.append(f"orphan evidence objects removed: {self.orphan_objects_deleted}")
            out.append(f"orphan vault keys removed: {self.orphan_vault_keys_deleted}")
            out.append(f"expired hotlist entries removed: {self.hotlist_entries_expired}")
            if self.partitions_dropped:
                out.append(f"partitions dropped: {', '.join(self.partitions_dropped)}")
        return out


class RetentionJob:
    """One pass of retention over the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def run(self, *, dry_run: bool = False) -> RetentionReport:
        now = self.store.clock()
        report = RetentionReport(dry_run=dry_run)
        expired = self.store.keys.expired(now)
        for ref in expired:
            report.keys_destroyed[f"{ref.data_class}/{ref.purpose}"] += 1
        if dry_run:
            data_ids = [ref.id for ref in expired if ref.purpose is KeyPurpose.DATA]
            report.reads_deleted, report.blobs_deleted = self._count(data_ids)
            return report
        self.store.keys.destroy(ref.id for ref in expired)
        for key_id in self._destroyed_keys_with_data():
            report.reads_deleted += self._delete_reads(key_id)
            report.blobs_deleted += self._delete_blobs(key_id)
        # Orphans are judged by their physical age (wall clock, like file
        # times): the grace protects writes still in flight.
        grace = timedelta(minutes=self.store.config.store.retention.orphan_grace_minutes)
        wall = time.time()
        report.orphan_objects_deleted = self._sweep_objects(
            datetime.fromtimestamp(wall, UTC) - grace
        )
        report.orphan_vault_keys_deleted = self._sweep_vault(wall - grace.total_seconds())
        report.hotlist_entries_expired = self.store.hotlists.purge_expired(now)
        longest = max(
            self.store.keys.policy(c).keep_days + self.store.keys.policy(c).period_days
            for c in PERIODIC_CLASSES
        )
        report.partitions_dropped = self.store.partitions.drop_empty_before(
            now - timedelta(days=longest)
        )
        logger.info("retention run: %s", "; ".join(report.lines()))
        return report

    def _count(self, key_ids: list[int]) -> tuple[int, int]:
        if not key_ids:
            return 0, 0
        with self.db.read() as session:
            reads = session.scalar(
                select(func.count()).select_from(Read).where(Read.data_key_id.in_(key_ids))
            )
            blobs = session.scalar(
                select(func.count())
                .select_from(EvidenceBlob)
                .where(EvidenceBlob.data_key_id.in_(key_ids))
            )
        return reads or 0, blobs or 0

    def _destroyed_keys_with_data(self) -> list[int]:
        with self.db.read() as session:
            destroyed = session.scalars(
                select(DataKey.id).where(
                    DataKey.state == KeyState.DESTROYED.value,
                    DataKey.purpose == KeyPurpose.DATA.value,
                )
            ).all()
            out = []
            for key_id in destroyed:
                has_reads = session.execute(
                    select(Read.id).where(Read.data_key_id == key_id).limit(1)
                ).first()
                has_blobs = session.execute(
                    select(EvidenceBlob.id).where(EvidenceBlob.data_key_id == key_id).limit(1)
                ).first()
                if has_reads is not None or has_blobs is not None:
                    out.append(key_id)
        return out

    def _delete_reads(self, key_id: int) -> int:
        total = 0
        while True:
            # Chunks keep each transaction (and SQLite's write lock) short.
            with self.db.write() as session:
                batch = session.execute(
                    select(Read.id, Read.captured_at)
                    .where(Read.data_key_id == key_id)
                    .limit(DELETE_CHUNK)
                ).all()
                if not batch:
                    return total
                session.execute(
                    delete(Read).where(
                        tuple_(Read.id, Read.captured_at).in_([tuple(row) for row in batch])
                    )
                )
            total += len(batch)

    def _delete_blobs(self, key_id: int) -> int:
        total = 0
        while True:
            with self.db.write() as session:
                batch = session.execute(
                    select(EvidenceBlob.id, EvidenceBlob.address)
                    .where(EvidenceBlob.data_key_id == key_id)
                    .limit(BLOB_CHUNK)
                ).all()
                if not batch:
                    return total
                session.execute(
                    delete(EvidenceBlob).where(EvidenceBlob.id.in_([row.id for row in batch]))
                )
            # Objects after the commit: a crash in between leaves orphans,
            # which the sweep removes; never a row without its object.
            for row in batch:
                self.store.evidence.backend.delete(object_name(row.address))
            total += len(batch)

    def _sweep_objects(self, older_than: datetime) -> int:
        backend = self.store.evidence.backend
        removed = 0
        pending: list[str] = []

        def flush() -> int:
            addresses = [bytes.fromhex(name) for name in pending]
            with self.db.read() as session:
                known = set(
                    session.scalars(
                        select(EvidenceBlob.address).where(EvidenceBlob.address.in_(addresses))
                    )
                )
            orphans = [name for name in pending if bytes.fromhex(name) not in known]
            for name in orphans:
                backend.delete(name)
            pending.clear()
            return len(orphans)

        for name in backend.names_older_than(older_than):
            try:
                bytes.fromhex(name)
            except ValueError:
                continue  # not ours
            pending.append(name)
            if len(pending) >= 500:
                removed += flush()
        if pending:
            removed += flush()
        if removed:
            logger.info("removed %d orphan evidence object(s)", removed)
        return removed

    def _sweep_vault(self, created_before: float) -> int:
        """Destroy vault keys that no catalogue row refers to (a key creation
        that lost a race or died before its catalogue insert). Only keys older
        than the grace period: a key is in the vault a moment before it is in
        the catalogue, and must not be swept in that moment."""
        handles = self.store.vault.handles(created_before)
        if not handles:
            return 0
        with self.db.read() as session:
            known = set(session.scalars(select(DataKey.vault_handle)))
        orphans = handles - known
        if orphans:
            self.store.vault.destroy(orphans)
        return len(orphans)

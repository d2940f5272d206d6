"""Moving reads and their evidence from one key to another.

Retention is by key, so changing how long a read lives means re-encrypting
it under another key: a *hit* (hotlist match, violation) moves a read and
its evidence to the hits key of its period; a *legal hold* moves them to the
case's own key, which no policy expires; *releasing* a hold moves them back
to where their policy says — or deletes them, when that policy has already
run out. A read's plate is decrypted and sealed again (same record id as
associated data) and its blind indexes are recomputed under the new index
key; a blob's 61-byte wrapped key is re-wrapped, the object stays as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import bindparam, delete, select, tuple_, update

from platekeeper.crypto.aead import record_aad
from platekeeper.crypto.blind_index import plate_indexes
from platekeeper.store import payload
from platekeeper.store.base import Base
from platekeeper.store.evidence.sealing import EvidenceStore, object_name
from platekeeper.store.keys import ActiveKey
from platekeeper.store.models import EvidenceBlob, Read, ReadEvidence
from platekeeper.store.reads import READ_TABLE, ReadStore
from platekeeper.store.types import EVIDENCE_CLASS, DataClass, EvidenceKind

logger = logging.getLogger(__name__)

CHUNK = 500


class Move(Enum):
    HIT = "hit"
    HOLD = "hold"
    RELEASE = "release"


@dataclass(frozen=True)
class RekeyReport:
    reads_moved: int
    reads_deleted: int
    blobs_moved: int
    blobs_deleted: int


@dataclass
class _Plan:
    """What one chunk will change, and what it knows to decide it."""

    old: dict[int, ActiveKey]
    move: Move
    hold_keys: tuple[ActiveKey, ActiveKey] | None
    now: datetime
    read_updates: list[dict[str, Any]] = field(default_factory=list)
    read_deletes: list[tuple[int, Any]] = field(default_factory=list)
    blob_updates: list[dict[str, Any]] = field(default_factory=list)
    blob_deletes: list[tuple[int, bytes]] = field(default_factory=list)
    hit_of: dict[int, bool] = field(default_factory=dict)
    agency_of: dict[int, str] = field(default_factory=dict)


class Rekeyer:
    """Re-keys reads (and the blobs they link) in chunks, one transaction each."""

    def __init__(self, reads: ReadStore) -> None:
        self.reads = reads
        self.keys = reads.keys
        self.db = reads.db

    def mark_hits(self, read_ids: Iterable[int]) -> RekeyReport:
        """Reads that matched a hotlist or a rule: keep them under the hits policy."""
        return self._run(list(read_ids), Move.HIT, None)

    def hold(self, read_ids: Iterable[int], hold_id: int) -> RekeyReport:
        return self._run(list(read_ids), Move.HOLD, hold_id)

    def release(self, read_ids: Iterable[int]) -> RekeyReport:
        return self._run(list(read_ids), Move.RELEASE, None)

    def _run(self, read_ids: Sequence[int], move: Move, hold_id: int | None) -> RekeyReport:
        totals = [0, 0, 0, 0]
        for start in range(0, len(read_ids), CHUNK):
            counts = self._chunk(read_ids[start : start + CHUNK], move, hold_id)
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
        return RekeyReport(*totals)

    def _chunk(
        self, read_ids: Sequence[int], move: Move, hold_id: int | None
    ) -> tuple[int, int, int, int]:
        now = self.reads.clock()
        with self.db.read() as session:
            rows = session.execute(
                select(
                    Read.id,
                    Read.captured_at,
                    Read.camera_id,
                    Read.data_key_id,
                    Read.sealed,
                    Read.plate_exact,
                    Read.plate_fuzzy,
                    Read.hit,
                ).where(Read.id.in_(read_ids))
            ).all()
            blobs = session.execute(
                select(
                    ReadEvidence.read_id,
                    EvidenceBlob.id,
                    EvidenceBlob.address,
                    EvidenceBlob.kind,
                    EvidenceBlob.data_key_id,
                    EvidenceBlob.wrapped_key,
                    EvidenceBlob.captured_at,
                )
                .join(EvidenceBlob, EvidenceBlob.id == ReadEvidence.blob_id)
                .where(ReadEvidence.read_id.in_(read_ids))
            ).all()
        old = self.keys.by_ids({r.data_key_id for r in rows} | {b.data_key_id for b in blobs})
        hold_keys = self.keys.hold_keys(hold_id) if hold_id is not None else None
        plan = _Plan(old, move, hold_keys, now)
        for row in rows:
            self._plan_read(plan, row)
        seen: set[int] = set()
        for blob in blobs:
            if blob.id in seen or blob.read_id not in plan.hit_of:
                continue
            seen.add(blob.id)
            linked_hit = any(plan.hit_of.get(b.read_id, False) for b in blobs if b.id == blob.id)
            self._plan_blob(plan, blob, linked_hit)
        read_updates, read_deletes = plan.read_updates, plan.read_deletes
        blob_updates, blob_deletes = plan.blob_updates, plan.blob_deletes
        self._write(read_updates, read_deletes, blob_updates, blob_deletes)
        return len(read_updates), len(read_deletes), len(blob_updates), len(blob_deletes)

    def _plan_read(self, plan: _Plan, row: Any) -> None:
        old, move, hold_keys, now = plan.old, plan.move, plan.hold_keys, plan.now
        current = old.get(row.data_key_id)
        camera = self.reads.cameras.get(row.camera_id)
        if current is None or camera is None:
            return  # already shredded
        hit = row.hit or move is Move.HIT
        plan.hit_of[row.id], plan.agency_of[row.id] = hit, camera.agency
        if move is Move.HIT and current.ref.data_class in (DataClass.HITS, DataClass.HOLD):
            plan.read_updates.append(_same_key(row, current, hit))
            return
        if move is Move.HOLD:
            assert hold_keys is not None
            data_key, index_key = hold_keys
        else:
            data_class = DataClass.HITS if hit else DataClass.READS
            if move is Move.RELEASE and self.keys.expiry(data_class, row.captured_at) <= now:
                plan.read_deletes.append((row.id, row.captured_at))
                return
            data_key = self.keys.data_key(data_class, camera.agency, row.captured_at)
            index_key = self.keys.index_key(data_class, row.captured_at)
        aad = record_aad(READ_TABLE, row.id)
        body = current.cipher.open(row.sealed, aad)
        exact, fuzzy = plate_indexes(index_key.material, payload.decode(body).plate)
        plan.read_updates.append(
            {
                "b_id": row.id,
                "b_at": row.captured_at,
                "data_key_id": data_key.id,
                "sealed": data_key.cipher.seal(body, aad),
                "plate_exact": exact,
                "plate_fuzzy": fuzzy,
                "hit": hit,
            }
        )

    def _plan_blob(self, plan: _Plan, blob: Any, linked_hit: bool) -> None:
        old, move, hold_keys, now = plan.old, plan.move, plan.hold_keys, plan.now
        current = old.get(blob.data_key_id)
        if current is None:
            return
        agency = plan.agency_of[blob.read_id]
        if move is Move.HOLD:
            assert hold_keys is not None
            target = hold_keys[0]
        elif move is Move.HIT:
            if current.ref.data_class in (DataClass.HITS, DataClass.HOLD):
                return
            target = self.keys.data_key(DataClass.HITS, agency, blob.captured_at)
        else:
            kind = EvidenceKind(blob.kind)
            data_class = DataClass.HITS if linked_hit else EVIDENCE_CLASS[kind]
            if self.keys.expiry(data_class, blob.captured_at) <= now:
                plan.blob_deletes.append((blob.id, blob.address))
                return
            target = self.keys.data_key(data_class, agency, blob.captured_at)
        blob_key = EvidenceStore.unwrap_key(current.cipher, blob.address, blob.wrapped_key)
        plan.blob_updates.append(
            {
                "b_id": blob.id,
                "data_key_id": target.id,
                "wrapped_key": EvidenceStore.wrap_key(target.cipher, blob.address, blob_key),
            }
        )

    def _write(
        self,
        read_updates: list[dict[str, Any]],
        read_deletes: list[tuple[int, Any]],
        blob_updates: list[dict[str, Any]],
        blob_deletes: list[tuple[int, bytes]],
    ) -> None:
        reads_table = Base.metadata.tables["reads"]
        blobs_table = Base.metadata.tables["evidence_blobs"]
        with self.db.write() as session:
            if read_updates:
                session.execute(
                    update(reads_table)
                    .where(
                        reads_table.c.id == bindparam("b_id"),
                        reads_table.c.captured_at == bindparam("b_at"),
                    )
                    .values(
                        data_key_id=bindparam("data_key_id"),
                        sealed=bindparam("sealed"),
                        plate_exact=bindparam("plate_exact"),
                        plate_fuzzy=bindparam("plate_fuzzy"),
                        hit=bindparam("hit"),
                    ),
                    read_updates,
                )
            if blob_updates:
                session.execute(
                    update(blobs_table)
                    .where(blobs_table.c.id == bindparam("b_id"))
                    .values(
                        data_key_id=bindparam("data_key_id"),
                        wrapped_key=bindparam("wrapped_key"),
                    ),
                    blob_updates,
                )
            if read_deletes:
                session.execute(
                    delete(Read).where(tuple_(Read.id, Read.captured_at).in_(read_deletes))
                )
            if blob_deletes:
                session.execute(
                    delete(EvidenceBlob).where(EvidenceBlob.id.in_([b for b, _ in blob_deletes]))
                )
        for _blob_id, address in blob_deletes:
            self.reads.evidence.backend.delete(object_name(address))


def _same_key(row: Any, current: ActiveKey, hit: bool) -> dict[str, Any]:
    """An update that changes only the hit flag."""
    return {
        "b_id": row.id,
        "b_at": row.captured_at,
        "data_key_id": current.id,
        "sealed": row.sealed,
        "plate_exact": row.plate_exact,
        "plate_fuzzy": row.plate_fuzzy,
        "hit": hit,
    }

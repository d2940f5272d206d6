"""Violations kept from findings: the rules worker's finding sink.

``ViolationStore.put`` is idempotent on the finding's key (a redelivered
read or a second rule for the same pass adds nothing); the plate is sealed
and the reads the violation rests on move under the longer retention of
hits. The review queue over these rows is the web room's (it needs the
reviewer's identity and the audit log).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platekeeper.review.models import Violation
from platekeeper.rules.model import Finding
from platekeeper.store.facade import Store
from platekeeper.store.records import StoredRead
from platekeeper.store.types import DataClass

logger = logging.getLogger(__name__)

Status = Literal["pending", "awaiting_second", "confirmed", "rejected"]
OPEN: tuple[Status, ...] = ("pending", "awaiting_second")


def _aad(key: str) -> bytes:
    return b"pk/violations|" + key.encode("ascii")


def plate_of(store: Store, row: Violation) -> tuple[str | None, str | None]:
    """The sealed plate and country of a violation."""
    key = store.keys.by_id(row.data_key_id)
    body = json.loads(key.cipher.open(row.sealed, _aad(row.key)))
    return body.get("plate"), body.get("country")


def reads_of(store: Store, row: Violation) -> list[StoredRead]:
    """The reads a violation rests on: the one that completes it first."""
    ids = [row.read_id] if row.read_id is not None else []
    ids += [int(r) for r in row.related_read_ids.split(",") if r]
    found = [store.reads.get(i) for i in ids]
    return [r for r in found if r is not None]


FRAME_ROLES = ("before", "at", "past")
"""Roles of frames a finding names (the red-light rule's), in the order shown."""


def role_frames(
    row: Violation, reads: list[StoredRead]
) -> list[tuple[str, StoredRead, int, float | None]]:
    """The frames the finding named by role: (role, its read, blob id, instant),
    in ``FRAME_ROLES`` order; one no longer among its reads' evidence (past
    retention) is left out."""
    owner = {ref.blob_id: read for read in reads for ref in read.evidence}
    found = []
    for item in json.loads(row.evidence or "[]"):
        role, ref = item.get("role"), str(item.get("ref", ""))
        if item.get("kind") != "frame" or role not in FRAME_ROLES or not ref.isdigit():
            continue
        read = owner.get(int(ref))
        if read is not None:
            found.append((role, read, int(ref), item.get("ts")))
    return sorted(found, key=lambda f: FRAME_ROLES.index(f[0]))


class ViolationStore:
    """The finding sink of the rules worker."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def put(self, finding: Finding) -> int | None:
        """Keep a finding that needs review; returns the new id, or None when
        it was kept already (or needs no review: an alert only)."""
        row = self.prepare(finding)
        if row is None:
            return None
        try:
            with self.store.db.write() as s:
                s.add(row)
                s.flush()
                new_id = row.id
        except IntegrityError:
            return None  # the same offence for the same pass, kept already
        self.keep_reads(row)
        return new_id

    def prepare(self, finding: Finding) -> Violation | None:
        """The row of a finding that needs review, sealed and not yet written
        (None for an alert only, or an unknown camera). Sealing may write a
        first key, so it is done before the transaction that inserts the row."""
        if not finding.needs_review:
            return None
        camera = self.store.cameras.by_code(finding.camera)
        if camera is None:
            logger.warning("a finding names an unknown camera; not kept")
            return None
        key = self.store.keys.data_key(DataClass.HITS, camera.agency, finding.captured_at)
        sealed = key.cipher.seal(
            json.dumps({"plate": finding.plate, "country": finding.country}).encode(),
            _aad(finding.key),
        )
        return Violation(
            key=finding.key,
            offence=finding.offence,
            kind=finding.kind.value,
            rule=finding.rule,
            rule_type=finding.rule_type,
            camera_id=camera.id,
            region=camera.region,
            captured_at=finding.captured_at,
            read_id=int(finding.read_id) if finding.read_id.isdigit() else None,
            related_read_ids=",".join(r for r in finding.related_reads if r.isdigit()),
            priority=finding.priority,
            data_key_id=key.id,
            sealed=sealed,
            details=json.dumps(dict(finding.details), sort_keys=True, default=str),
            evidence=json.dumps([e.to_dict() for e in finding.evidence]),
            status="pending",
            created_at=self.clock(),
        )

    def insert(self, row: Violation, session: Session) -> int | None:
        """Add a prepared row in the caller's transaction (e.g. with its audit
        entry): its id, or None when the same offence of the same pass is
        kept already. The caller calls :meth:`keep_reads` once it commits."""
        try:
            # A savepoint, so that a duplicate spoils only itself, not the
            # caller's transaction (PostgreSQL aborts a whole one on error).
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            return None
        return row.id

    def keep_reads(self, row: Violation) -> None:
        """Move the reads a kept violation rests on under the retention of hits."""
        reads = [row.read_id] if row.read_id is not None else []
        reads += [int(r) for r in row.related_read_ids.split(",") if r]
        if reads:
            self.store.rekey.mark_hits(reads)

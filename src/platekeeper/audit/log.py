"""Writing the audit log: one entry per action, chained by SHA-256.

Each entry's hash covers its canonical form and the hash of the entry
before it, so an edited, deleted or reordered entry breaks the chain at that
point; checkpoints sign the hash at a sequence number with Ed25519, so a
rewrite of the whole chain after the fact is caught too.

``record`` writes in the caller's transaction: when the action's own changes
commit, so does its entry, and when the entry cannot be written (disk full,
database gone, trigger), the exception aborts the action as well. Actions
that change nothing themselves (a search) record first and proceed only when
that succeeded; the web layer answers 503 when it did not.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platekeeper.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from platekeeper.audit.signing import CheckpointSigner
from platekeeper.auth.trail import Clock, JsonScalar, utc_now
from platekeeper.store.engine import Database

logger = logging.getLogger(__name__)

GENESIS = bytes(32)
FORMAT_VERSION = 1
MAX_TEXT = 256
_HEAD_ID = 1


class AuditUnavailableError(RuntimeError):
    """The audit entry could not be written, so the action must not happen."""


def canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_details(details: Mapping[str, JsonScalar] | None) -> str:
    clean: dict[str, JsonScalar] = {}
    for key, value in (details or {}).items():
        if not isinstance(value, str | int | float | bool | type(None)):
            raise TypeError(f"audit detail {key!r} must be a scalar")
        clean[str(key)[:64]] = value[:MAX_TEXT] if isinstance(value, str) else value
    return json.dumps(clean, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_digest(entry: AuditEntry, prev_hash: bytes) -> bytes:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    body = {
        "v": FORMAT_VERSION,
        "seq": entry.seq,
        "at": canonical_time(entry.at),
        "action": entry.action,
        "outcome": entry.outcome,
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "target": entry.target,
        "client_address": entry.client_address,
        "reason_code": entry.reason_code,
        "case_number": entry.case_number,
        "plate_index": entry.plate_index.hex() if entry.plate_index is not None else None,
        "result_count": entry.result_count,
        "details": entry.details,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(prev_hash + canonical.encode()).digest()


def checkpoint_message(seq: int, entry_hash: bytes, at: datetime) -> bytes:
    text = f"platekeeper audit checkpoint v1\n{seq}\n{entry_hash.hex()}\n{canonical_time(at)}\n"
    return text.encode()


@dataclass(frozen=True)
class CheckpointInfo:
    seq: int
    entry_hash: bytes
    at: datetime
    key_id: str


def _clip(value: str | None) -> str | None:
    return value[:MAX_TEXT] if value is not None else None


class AuditLog:
    """Appends entries; satisfies ``platekeeper.auth.trail.AuditTrail``."""

    def __init__(
        self,
        signer: CheckpointSigner | None = None,
        *,
        checkpoint_every: int = 100,
        clock: Clock = utc_now,
    ) -> None:
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self.clock = clock

    def record(
        self,
        session: Session,
        action: str,
        *,
        outcome: str = "ok",
        actor_id: int | None = None,
        actor: str | None = None,
        target: str | None = None,
        client_address: str | None = None,
        reason_code: str | None = None,
        case_number: str | None = None,
        plate_index: bytes | None = None,
        result_count: int | None = None,
        details: Mapping[str, JsonScalar] | None = None,
    ) -> int:
        head = self._lock_head(session)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=self.clock(),
            action=action[:64],
            outcome=outcome[:16],
            actor_id=actor_id,
            actor=actor[:64] if actor else None,
            target=(target or None) and target[:128],
            client_address=(client_address or None) and client_address[:64],
            reason_code=(reason_code or None) and reason_code[:32],
            case_number=(case_number or None) and case_number[:64],
            plate_index=plate_index,
            result_count=result_count,
            details=canonical_details(details),
            prev_hash=head.entry_hash,
        )
        entry.entry_hash = entry_digest(entry, head.entry_hash)
        session.add(entry)
        head.seq = entry.seq
        head.entry_hash = entry.entry_hash
        # Flush now so that a failing write fails the caller here, not at commit.
        session.flush()
        if self.signer is not None and entry.seq % self.checkpoint_every == 0:
            self._sign(session, entry.seq, entry.entry_hash)
        return entry.seq

    def checkpoint(self, db: Database) -> CheckpointInfo | None:
        """Sign the current head unless it is signed already; None when nothing to sign."""
        if self.signer is None:
            return None
        with db.write() as s:
            head = s.get(AuditHead, _HEAD_ID, with_for_update=True)
            if head is None or head.seq == 0:
                return None
            if s.get(AuditCheckpoint, head.seq) is not None:
                return None
            return self._sign(s, head.seq, head.entry_hash)

    def _sign(self, s: Session, seq: int, entry_hash: bytes) -> CheckpointInfo:
        assert self.signer is not None
        at = self.clock()
        signature = self.signer.sign(checkpoint_message(seq, entry_hash, at))
        s.add(
            AuditCheckpoint(
                seq=seq,
                entry_hash=entry_hash,
                at=at,
                key_id=self.signer.key_id,
                signature=signature,
            )
        )
        s.flush()
        return CheckpointInfo(seq=seq, entry_hash=entry_hash, at=at, key_id=self.signer.key_id)

    def _lock_head(self, s: Session) -> AuditHead:
        head = s.get(AuditHead, _HEAD_ID, with_for_update=True)
        if head is not None:
            return head
        # The very first entry: create the head row. Two servers racing here
        # both try; the loser's insert fails inside a savepoint and it re-reads.
        try:
            with s.begin_nested():
                s.add(AuditHead(id=_HEAD_ID, seq=0, entry_hash=GENESIS))
        except IntegrityError:
            pass
        head = s.get(AuditHead, _HEAD_ID, with_for_update=True, populate_existing=True)
        assert head is not None
        return head


def head_of(db: Database) -> tuple[int, bytes]:
    with db.read() as s:
        head = s.get(AuditHead, _HEAD_ID)
        return (head.seq, head.entry_hash) if head else (0, GENESIS)


def last_checkpoint(db: Database) -> AuditCheckpoint | None:
    with db.read() as s:
        return s.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))

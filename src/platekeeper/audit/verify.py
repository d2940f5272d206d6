"""Checking the audit log: chain, checkpoints and head.

What each check catches:

* an edited entry — its recomputed hash differs from the stored one, or (if
  the stored hash was recomputed too) the next entry's ``prev_hash`` does not
  match it;
* a deleted entry — a gap in the sequence numbers and a broken link;
* reordered entries — broken links (each hash covers the sequence number and
  the predecessor's hash);
* a rewritten chain — the hash at a signed checkpoint differs;
* a cut-off tail — a signed checkpoint (or the head row) points past the
  last entry.

Entries after the last checkpoint are protected by the chain and the head row
only; the report says how many there are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from platekeeper.audit.log import GENESIS, checkpoint_message, entry_digest
from platekeeper.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from platekeeper.audit.signing import verify_signature
from platekeeper.store.engine import Database

MAX_PROBLEMS = 50


class VerifyReport(BaseModel):
    """The result of checking the audit log."""

    model_config = ConfigDict(frozen=True)

    ok: bool = Field(description="True when no problem was found")
    entries: int = Field(description="Entries checked")
    last_seq: int = Field(description="Sequence number of the last entry")
    checkpoints: int = Field(description="Signed checkpoints checked")
    last_checkpoint_seq: int | None = Field(description="The newest signed checkpoint")
    unsigned_tail: int = Field(description="Entries after the newest checkpoint")
    first_bad_seq: int | None = Field(description="The first entry found wrong, if any")
    problems: tuple[str, ...] = Field(description="What was found wrong, first first")


@dataclass
class _Findings:
    problems: list[str] = field(default_factory=list)
    first_bad: int | None = None

    def add(self, seq: int | None, message: str) -> None:
        if seq is not None and (self.first_bad is None or seq < self.first_bad):
            self.first_bad = seq
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)


@dataclass
class _ChainWalk:
    """State carried from one entry to the next while walking the chain."""

    watch: frozenset[int]
    expected_seq: int = 1
    prev: bytes = GENESIS
    count: int = 0
    last_seq: int = 0
    hashes_at: dict[int, bytes] = field(default_factory=dict)

    def step(self, entry: AuditEntry, found: _Findings) -> None:
        self.count += 1
        if entry.seq != self.expected_seq:
            gap = f"{self.expected_seq}" + (
                f"–{entry.seq - 1}" if entry.seq > self.expected_seq + 1 else ""
            )
            found.add(self.expected_seq, f"entries {gap} are missing (deleted)")
        if entry.prev_hash != self.prev:
            found.add(
                entry.seq,
                f"entry {entry.seq} does not follow the entry before it "
                "(an entry before it was changed, deleted or moved)",
            )
        if entry_digest(entry, entry.prev_hash) != entry.entry_hash:
            found.add(entry.seq, f"entry {entry.seq} was altered after it was written")
        if entry.seq in self.watch:
            self.hashes_at[entry.seq] = entry.entry_hash
        self.prev = entry.entry_hash
        self.expected_seq = entry.seq + 1
        self.last_seq = entry.seq


def _check_checkpoints(
    checkpoints: Mapping[int, AuditCheckpoint],
    walk: _ChainWalk,
    public_keys: Mapping[str, Ed25519PublicKey],
    found: _Findings,
) -> None:
    for seq, checkpoint in sorted(checkpoints.items()):
        key = public_keys.get(checkpoint.key_id)
        message = checkpoint_message(checkpoint.seq, checkpoint.entry_hash, checkpoint.at)
        if key is None:
            found.add(None, f"checkpoint {seq} is signed by an unknown key {checkpoint.key_id}")
        elif not verify_signature(key, checkpoint.signature, message):
            found.add(None, f"checkpoint {seq} has an invalid signature")
        if seq > walk.last_seq:
            found.add(
                walk.last_seq + 1,
                f"checkpoint {seq} is past the last entry {walk.last_seq}: "
                "entries at the end were deleted",
            )
        elif walk.hashes_at.get(seq) != checkpoint.entry_hash:
            found.add(seq, f"the log up to entry {seq} differs from what checkpoint {seq} signed")


def verify_log(
    db: Database, public_keys: Mapping[str, Ed25519PublicKey], *, batch: int = 2000
) -> VerifyReport:
    """Check the whole log with the given checkpoint keys (``key_id`` → public key)."""
    found = _Findings()
    with db.read() as s:
        checkpoints = {c.seq: c for c in s.scalars(select(AuditCheckpoint))}
        head = s.get(AuditHead, 1)
        walk = _ChainWalk(watch=frozenset(checkpoints))
        rows = s.execute(
            select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
        ).scalars()
        for entry in rows:
            walk.step(entry, found)
            s.expunge(entry)

    _check_checkpoints(checkpoints, walk, public_keys, found)
    last_seq = walk.last_seq
    if head is not None and (head.seq != last_seq or (last_seq and head.entry_hash != walk.prev)):
        found.add(
            min(head.seq, last_seq) + 1,
            f"the log ends at entry {last_seq} but its head says {head.seq}",
        )
    if head is None and last_seq:
        found.add(None, "the head of the log is missing")

    last_cp = max(checkpoints) if checkpoints else None
    return VerifyReport(
        ok=not found.problems,
        entries=walk.count,
        last_seq=last_seq,
        checkpoints=len(checkpoints),
        last_checkpoint_seq=last_cp,
        unsigned_tail=max(0, last_seq - (last_cp or 0)),
        first_bad_seq=found.first_bad,
        problems=tuple(found.problems),
    )

"""Retention: expired data deleted, its keys destroyed — for good, even in
backups taken before (crypto-shredding); hits and legal holds kept."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from store_testkit import START, StoreEnv, jpeg, restore_backup, take_backup

from platekeeper.crypto import KeyUnavailable
from platekeeper.crypto.vault import vault_keys
from platekeeper.retention.holds import LegalHolds
from platekeeper.retention.job import RetentionJob
from platekeeper.store.errors import InvalidInput
from platekeeper.store.facade import Store
from platekeeper.store.models import DataKey, EvidenceBlob, Read
from platekeeper.store.records import NewEvidence, NewRead
from platekeeper.store.search import OpenGuard, ReasonCode, SearchJustification
from platekeeper.store.types import EvidenceKind, KeyState

WHY = SearchJustification(ReasonCode.INVESTIGATION, "CASE-2026/0099")


def ingest_old_and_new(env: StoreEnv, store: Store, crop: bytes) -> tuple[int, int]:
    """One read now (with a crop), then 40 days later another one."""
    (old,) = store.reads.ingest(
        [
            NewRead(
                "TAS-001", START, "01A123BC", 0.9, evidence=[NewEvidence(EvidenceKind.CROP, crop)]
            )
        ]
    )
    env.clock.advance(days=40)
    (new,) = store.reads.ingest([NewRead("TAS-001", env.clock.now, "01A123BC", 0.9)])
    return old, new


def journey(store: Store) -> list[int]:
    service = store.search_service(OpenGuard())
    now = store.clock()
    widened = SearchJustification(ReasonCode.INVESTIGATION, "CASE-2026/0099", widen=True)
    end = now + timedelta(minutes=1)
    start = START - timedelta(days=1)
    return [r.id for r in service.journey("01A123BC", start, end, widened).reads]


def test_expired_reads_are_deleted_and_their_keys_destroyed(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes
) -> None:
    old, new = ingest_old_and_new(env, store, crop_jpeg)
    assert journey(store) == [old, new]

    report = RetentionJob(store).run()

    assert report.reads_deleted == 1
    assert report.blobs_deleted == 1
    assert report.keys_destroyed["reads/data"] == 1
    assert report.keys_destroyed["reads/index"] == 1
    assert report.keys_destroyed["crops/data"] == 1
    assert store.reads.get(old) is None
    assert store.reads.get(new) is not None
    assert journey(store) == [new]
    assert [p for p in (env.data_dir / "evidence").rglob("*") if p.is_file()] == []
    with store.db.read() as session:
        states = session.execute(select(DataKey.data_class, DataKey.state)).all()
    assert ("reads", KeyState.DESTROYED.value) in states


def test_dry_run_changes_nothing(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes
) -> None:
    old, _new = ingest_old_and_new(env, store, crop_jpeg)
    report = RetentionJob(store).run(dry_run=True)
    assert report.reads_deleted == 1
    assert report.blobs_deleted == 1
    assert store.reads.get(old) is not None


def test_backup_taken_before_deletion_cannot_be_decrypted(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes, tmp_path: Path
) -> None:
    old, new = ingest_old_and_new(env, store, crop_jpeg)
    (old_blob,) = store.reads.get(old).evidence  # type: ignore[union-attr]
    backup = take_backup(env, tmp_path / "backup")

    # Control: the backup restores and decrypts while the keys exist.
    restore_backup(env, backup)
    store = env.open()
    assert store.reads.get(old) is not None
    assert store.reads.evidence_bytes(old_blob.blob_id)[1] == crop_jpeg

    RetentionJob(store).run()
    restore_backup(env, backup)
    store = env.open()

    # The rows and objects are back, with the catalogue saying "active"…
    with store.db.read() as session:
        row = session.get(Read, (old, START))
        assert row is not None
        assert session.get(DataKey, row.data_key_id).state == KeyState.ACTIVE.value  # type: ignore[union-attr]
    # …but the key is gone from the vault, so nothing of it opens.
    assert store.reads.get(old) is None
    with pytest.raises(KeyUnavailable):
        store.keys.by_id(row.data_key_id)
    with pytest.raises(KeyUnavailable):
        store.reads.evidence_bytes(old_blob.blob_id)
    assert journey(store) == [new]  # the index key is gone too: not even findable
    # Data still within retention restores fine: the backup is not useless.
    assert store.reads.get(new).plate == "01A123BC"  # type: ignore[union-attr]


def test_hits_outlive_non_hit_reads(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes
) -> None:
    first, second = store.reads.ingest(
        [
            NewRead(
                "TAS-001",
                START,
                "01A123BC",
                0.9,
                evidence=[NewEvidence(EvidenceKind.CROP, crop_jpeg)],
            ),
            NewRead("TAS-002", START, "10B777QQ", 0.9),
        ]
    )
    report = store.rekey.mark_hits([first])
    assert (report.reads_moved, report.blobs_moved) == (1, 1)
    env.clock.advance(days=40)
    RetentionJob(store).run()
    kept = store.reads.get(first)
    assert kept is not None
    assert kept.hit
    assert store.reads.evidence_bytes(kept.evidence[0].blob_id)[1] == crop_jpeg
    assert store.reads.get(second) is None
    assert journey(store) == [first]  # still searchable under the hits index key
    env.clock.advance(days=400)
    RetentionJob(store).run()
    assert store.reads.get(first) is None


def test_legal_hold_keeps_a_case_and_releases_it(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes
) -> None:
    held, other = store.reads.ingest(
        [
            NewRead(
                "TAS-001",
                START,
                "01A123BC",
                0.9,
                evidence=[NewEvidence(EvidenceKind.CROP, crop_jpeg)],
            ),
            NewRead("TAS-001", START, "10B777QQ", 0.9),
        ]
    )
    holds = LegalHolds(store)
    hold = holds.place("CASE-2026/0099", "court order 17/2026", created_by="officer-7")
    report = holds.add_reads(hold.id, [held])
    assert (report.reads_moved, report.blobs_moved) == (1, 1)
    assert holds.get(hold.id).reads == 1

    env.clock.advance(days=90)
    RetentionJob(store).run()
    kept = store.reads.get(held)
    assert kept is not None
    assert kept.plate == "01A123BC"
    assert store.reads.evidence_bytes(kept.evidence[0].blob_id)[1] == crop_jpeg
    assert store.reads.get(other) is None
    assert journey(store) == [held]  # found through the hold's index key

    released = holds.release(hold.id)
    assert released.reads_deleted == 1  # its policy ran out during the hold
    assert store.reads.get(held) is None
    assert holds.get(hold.id).released_at is not None
    with pytest.raises(InvalidInput, match="released"):
        holds.add_reads(hold.id, [held])
    RetentionJob(store).run()
    with store.db.read() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceBlob)) == 0


def test_released_hold_returns_live_records_to_their_policy(
    env: StoreEnv, store: Store, cameras: dict[str, int]
) -> None:
    (held,) = store.reads.ingest([NewRead("TAS-001", START, "01A123BC", 0.9)])
    holds = LegalHolds(store)
    hold = holds.place("CASE-7/2026", "short inquiry")
    holds.add_reads(hold.id, [held])
    env.clock.advance(days=5)
    report = holds.release(hold.id)
    assert (report.reads_moved, report.reads_deleted) == (1, 0)
    assert store.reads.get(held) is not None
    env.clock.advance(days=30)
    RetentionJob(store).run()
    assert store.reads.get(held) is None


def test_hold_needs_a_case_and_reason(store: Store) -> None:
    holds = LegalHolds(store)
    with pytest.raises(InvalidInput):
        holds.place("", "x")
    with pytest.raises(InvalidInput, match="reason"):
        holds.place("CASE-1/2026", "  ")
    holds.place("CASE-1/2026", "ok")
    with pytest.raises(InvalidInput, match="already"):
        holds.place("CASE-1/2026", "again")


def test_orphan_objects_and_vault_keys_are_swept(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes
) -> None:
    (read_id,) = store.reads.ingest(
        [
            NewRead(
                "TAS-001",
                START,
                "01A123BC",
                0.9,
                evidence=[NewEvidence(EvidenceKind.CROP, crop_jpeg)],
            )
        ]
    )
    orphan = "ab" * 32
    store.evidence.backend.put_new(orphan, b"left by a failed ingest")
    an_hour_ago = time.time() - 7200
    for path in (env.data_dir / "evidence").rglob("*"):
        if path.is_file():
            os.utime(path, (an_hour_ago, an_hour_ago))
    handle, _material = store.vault.new_key()
    with store.vault.engine.begin() as conn:
        conn.execute(update(vault_keys).where(vault_keys.c.handle == handle).values(created_at=0))
    fresh_handle, _ = store.vault.new_key()  # too young to be swept

    report = RetentionJob(store).run()

    assert report.orphan_objects_deleted == 1
    assert not store.evidence.backend.exists(orphan)
    assert store.reads.evidence_bytes(store.reads.get(read_id).evidence[0].blob_id)[1] == crop_jpeg  # type: ignore[union-attr]
    assert report.orphan_vault_keys_deleted == 1
    assert handle not in store.vault.handles()
    assert fresh_handle in store.vault.handles()


def test_expired_hotlist_entries_are_removed(env: StoreEnv, store: Store) -> None:
    hotlist = store.hotlists.create("stolen")
    store.hotlists.add_entry(hotlist.id, "01A123BC", expires_at=START + timedelta(days=1))
    store.hotlists.add_entry(hotlist.id, "10B777QQ")
    env.clock.advance(days=2)
    assert RetentionJob(store).run().hotlist_entries_expired == 1
    assert [e.pattern for e in store.hotlists.entries(hotlist.id)] == ["10B777QQ"]


def test_empty_old_partitions_are_dropped(
    env: StoreEnv, store: Store, cameras: dict[str, int]
) -> None:
    store.reads.ingest([NewRead("TAS-001", START, "01A123BC", 0.9)])
    env.clock.advance(days=430)
    report = RetentionJob(store).run()
    if env.backend == "sqlite":
        # One table, no partitions: nothing to drop, and nothing breaks.
        assert store.partitions.existing() == set()
        assert report.partitions_dropped == []
        return
    assert "reads_p202603" in report.partitions_dropped
    assert "reads_p202603" not in store.partitions.existing()
    with store.db.read() as session:
        assert session.execute(text("SELECT to_regclass('reads_p202603')")).scalar() is None


def test_retention_is_idempotent(
    env: StoreEnv, store: Store, cameras: dict[str, int], crop_jpeg: bytes
) -> None:
    ingest_old_and_new(env, store, crop_jpeg)
    RetentionJob(store).run()
    second = RetentionJob(store).run()
    assert (second.reads_deleted, second.blobs_deleted, sum(second.keys_destroyed.values())) == (
        0,
        0,
        0,
    )


def test_frames_expire_before_their_reads(
    env: StoreEnv, store: Store, cameras: dict[str, int]
) -> None:
    frame = jpeg(320, 180, seed=11)
    (read_id,) = store.reads.ingest(
        [
            NewRead(
                "TAS-001", START, "01A123BC", 0.9, evidence=[NewEvidence(EvidenceKind.FRAME, frame)]
            )
        ]
    )
    env.clock.advance(days=10)
    RetentionJob(store).run()
    kept = store.reads.get(read_id)
    assert kept is not None
    assert kept.evidence == ()  # the 7-day frame is gone, the 30-day read stays

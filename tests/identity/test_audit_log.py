"""The hash-chained audit log: writing, checkpoints, and detection of tampering,
in a database made by the store's migrations (its append-only triggers
included), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from identity_helpers import Clock
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from platekeeper.audit.log import AuditLog, head_of
from platekeeper.audit.models import append_only_sql
from platekeeper.audit.signing import CheckpointSigner, key_id
from platekeeper.audit.verify import verify_log
from platekeeper.store.engine import Database, make_engine
from platekeeper.store.migrate import upgrade


@pytest.fixture
def db(empty_database_url: str) -> Iterator[Database]:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    engine.dispose()
    database = Database.from_url(empty_database_url)
    yield database
    database.dispose()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def fill(db: Database, log: AuditLog, count: int) -> None:
    for i in range(count):
        with db.write() as s:
            log.record(
                s,
                "test.event",
                actor_id=i,
                actor=f"user{i}",
                details={"n": i},
                plate_index=bytes([i % 256]) * 32 if i % 3 == 0 else None,
            )


def keys_of(key: Ed25519PrivateKey) -> dict[str, object]:
    return {key_id(key.public_key()): key.public_key()}


def write_sql(db: Database, *statements: str, **params: object) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


def drop_guards(db: Database) -> None:
    """What an attacker with database rights does first."""
    tables = ("audit_log", "audit_checkpoints")
    if db.is_sqlite:
        drops = [f"DROP TRIGGER {t}_no_{op}" for t in tables for op in ("update", "delete")]
    else:
        drops = [f"DROP TRIGGER {t}_append_only ON {t}" for t in tables]
    write_sql(db, *drops)


@pytest.fixture
def filled(db: Database, key: Ed25519PrivateKey, clock: Clock) -> Database:
    log = AuditLog(CheckpointSigner(key), checkpoint_every=10, clock=clock)
    fill(db, log, 35)
    return db


def test_untouched_log_verifies(filled: Database, key: Ed25519PrivateKey) -> None:
    report = verify_log(filled, keys_of(key))  # type: ignore[arg-type]
    assert report.ok, report.problems
    assert report.entries == 35
    assert report.checkpoints == 3
    assert report.last_checkpoint_seq == 30
    assert report.unsigned_tail == 5


def test_log_refuses_update_and_delete(filled: Database) -> None:
    with pytest.raises(SQLAlchemyError, match="append-only"):
        write_sql(filled, "UPDATE audit_log SET actor = 'x' WHERE seq = 3")
    with pytest.raises(SQLAlchemyError, match="append-only"):
        write_sql(filled, "DELETE FROM audit_log WHERE seq = 3")


def test_edited_entry_is_detected(filled: Database, key: Ed25519PrivateKey) -> None:
    drop_guards(filled)
    write_sql(filled, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 12")
    report = verify_log(filled, keys_of(key))  # type: ignore[arg-type]
    assert not report.ok
    assert report.first_bad_seq == 12
    assert any("entry 12 was altered" in p for p in report.problems)


def test_deleted_entry_is_detected(filled: Database, key: Ed25519PrivateKey) -> None:
    drop_guards(filled)
    write_sql(filled, "DELETE FROM audit_log WHERE seq = 7")
    report = verify_log(filled, keys_of(key))  # type: ignore[arg-type]
    assert not report.ok
    assert report.first_bad_seq == 7
    assert any("entries 7 are missing" in p for p in report.problems)


def test_reordered_entries_are_detected(filled: Database, key: Ed25519PrivateKey) -> None:
    drop_guards(filled)
    # Swap the contents of entries 4 and 5 but keep their numbers.
    write_sql(
        filled,
        "UPDATE audit_log SET seq = -4 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = -4",
    )
    report = verify_log(filled, keys_of(key))  # type: ignore[arg-type]
    assert not report.ok
    assert report.first_bad_seq == 4


def test_rewritten_chain_is_caught_by_checkpoints(
    filled: Database, key: Ed25519PrivateKey, clock: Clock
) -> None:
    """An attacker rewrites entry 3 and recomputes every hash after it."""
    from sqlalchemy import select

    from platekeeper.audit.log import entry_digest
    from platekeeper.audit.models import AuditEntry, AuditHead

    drop_guards(filled)
    with filled.write() as s:
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        entries[2].actor = "nobody"
        prev = entries[1].entry_hash
        for entry in entries[2:]:
            entry.prev_hash = prev
            entry.entry_hash = entry_digest(entry, prev)
            prev = entry.entry_hash
        head = s.get(AuditHead, 1)
        assert head is not None
        head.entry_hash = prev
    report = verify_log(filled, keys_of(key))  # type: ignore[arg-type]
    assert not report.ok
    assert any("differs from what checkpoint 10 signed" in p for p in report.problems)


def test_truncated_tail_is_detected(filled: Database, key: Ed25519PrivateKey) -> None:
    drop_guards(filled)
    write_sql(filled, "DELETE FROM audit_log WHERE seq > 25")
    report = verify_log(filled, keys_of(key))  # type: ignore[arg-type]
    assert not report.ok
    assert any("checkpoint 30 is past the last entry 25" in p for p in report.problems)


def test_forged_checkpoint_is_detected(filled: Database, key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    drop_guards(filled)
    write_sql(filled, "UPDATE audit_checkpoints SET signature = :s WHERE seq = 20", s=bytes(64))
    report = verify_log(filled, keys_of(key))  # type: ignore[arg-type]
    assert any("checkpoint 20 has an invalid signature" in p for p in report.problems)
    unknown = verify_log(filled, keys_of(other))  # type: ignore[arg-type]
    assert any("unknown key" in p for p in unknown.problems)


def test_head_locks_numbering_and_checkpoint_on_demand(
    db: Database, key: Ed25519PrivateKey, clock: Clock
) -> None:
    log = AuditLog(CheckpointSigner(key), checkpoint_every=1000, clock=clock)
    assert log.checkpoint(db) is None  # empty log: nothing to sign
    fill(db, log, 3)
    assert head_of(db)[0] == 3
    info = log.checkpoint(db)
    assert info is not None
    assert info.seq == 3
    assert log.checkpoint(db) is None  # already signed
    assert verify_log(db, keys_of(key)).checkpoints == 1  # type: ignore[arg-type]


def test_details_must_be_scalars(db: Database, clock: Clock) -> None:
    log = AuditLog(None, clock=clock)
    with pytest.raises(TypeError), db.write() as s:
        log.record(s, "x", details={"nested": {"a": 1}})  # type: ignore[dict-item]


def test_append_only_sql_for_migrations() -> None:
    assert all("append-only" in stmt for stmt in append_only_sql("audit_log", "sqlite"))
    assert any("plpgsql" in stmt for stmt in append_only_sql("audit_log", "postgresql"))

"""The outbox: durable across reopening, encrypted at rest, ordered,
idempotent per key even after delivery, bounded with an alarm."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from platekeeper.edge.outbox import Outbox, OutboxFull

PLATE = "01A777BC"


def read(n: int, **extra: object) -> dict[str, object]:
    return {"idempotency_key": f"k{n}", "plate": PLATE, "n": n, **extra}


def test_entries_survive_reopening_in_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    for n in range(5):
        assert box.put(read(n))
    box.close()
    again = Outbox(tmp_path)
    assert [e.read["n"] for e in again.peek(10)] == [0, 1, 2, 3, 4]
    assert [e.read["n"] for e in again.peek(2)] == [0, 1]
    assert (tmp_path / "outbox.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "outbox.db").stat().st_mode & 0o777 == 0o600


def test_a_read_is_kept_once_even_after_delivery(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    assert box.put(read(1))
    assert not box.put(read(1))
    (entry,) = box.peek()
    box.delivered([entry.seq])
    assert box.pending() == 0
    assert not box.put(read(1)), "a delivered read must not be queued again"
    assert box.peek() == []


def test_nothing_readable_on_disk(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    box.put(read(1, crop_jpeg="SECRETIMAGEDATA"))
    box.close()
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        assert PLATE.encode() not in data, path
        assert b"SECRETIMAGEDATA" not in data, path
    with pytest.raises(InvalidTag):
        Outbox(tmp_path, key=b"\x00" * 32).peek()


def test_sealed_entries_cannot_be_swapped(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    box.put(read(1))
    box.put(read(2))
    box.close()
    db = sqlite3.connect(tmp_path / "outbox.db")
    (_first,), (b,) = db.execute("SELECT sealed FROM outbox ORDER BY seq").fetchall()
    db.execute("UPDATE outbox SET sealed = ? WHERE idempotency_key = 'k1'", (b,))
    db.commit()
    db.close()
    with pytest.raises(InvalidTag):
        Outbox(tmp_path).peek()


def test_a_full_outbox_refuses_new_reads_and_keeps_the_old(tmp_path: Path) -> None:
    box = Outbox(tmp_path, max_entries=3)
    for n in range(3):
        box.put(read(n))
    with pytest.raises(OutboxFull):
        box.put(read(3))
    assert box.alarm is not None
    assert "full" in box.alarm
    assert [e.read["n"] for e in box.peek()] == [0, 1, 2]
    box.delivered([box.peek(1)[0].seq])
    assert box.alarm is None
    assert box.put(read(3))
    by_size = Outbox(tmp_path / "small", max_bytes=600)
    by_size.put(read(0, pad="x" * 200))
    with pytest.raises(OutboxFull):
        by_size.put(read(1, pad="x" * 400))


def test_dead_letters_keep_the_read_and_the_reason(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    box.put(read(1))
    box.put(read(2))
    first = box.peek()[0]
    box.dead_letter(first, "read 0: the capture time is in the future")
    assert box.dead_letters() == [("k1", "read 0: the capture time is in the future")]
    assert [e.read["n"] for e in box.peek()] == [2]
    assert not box.put(read(1))

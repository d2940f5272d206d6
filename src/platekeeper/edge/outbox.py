"""The edge agent's outbox: every read, durable and encrypted, until the
central server has confirmed it.

One SQLite file (WAL, ``synchronous=FULL``: a read acknowledged by ``put``
survives a power cut). Each entry is sealed with AES-256-GCM under the
outbox's own key (a 0600 file beside it, or given), bound to its idempotency
key, so the disk of a stolen roadside box shows no plate or image. Entries
leave in the order they were put; a delivered entry keeps a tombstone (its
key, nothing else) for a day, so that putting the same read again — a
restarted camera resending its buffer — does not send it twice.

The outbox is bounded (``max_entries``, ``max_bytes``). When full, ``put``
refuses the new read with ``OutboxFull`` and ``alarm`` says so: the reads
already held are the oldest evidence and are never dropped to make room.
Reads the server refuses for good (a 422) move to a dead-letter table with
the reason, still sealed, for an operator to look at.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    sealed BLOB,
    size INTEGER NOT NULL,
    put_at REAL NOT NULL,
    sent_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (sent_at, seq);
CREATE TABLE IF NOT EXISTS dead_letters (
    idempotency_key TEXT PRIMARY KEY,
    sealed BLOB NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
"""
TOMBSTONE_SECONDS = 86_400


class OutboxFull(Exception):
    """The outbox holds its maximum; the read was not taken."""


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    idempotency_key: str
    read: dict[str, Any]


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        key = path.read_bytes()
        if len(key) != 32:
            raise ValueError(f"{path} does not hold a 32-byte key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


class Outbox:
    """Durable, encrypted, bounded queue of reads. Safe for several threads."""

    def __init__(
        self,
        directory: Path,
        *,
        key: bytes | None = None,
        max_entries: int = 500_000,
        max_bytes: int = 20 * 1024**3,
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._aead = AESGCM(key or load_or_create_key(directory / "outbox.key"))
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        path = directory / "outbox.db"
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self.alarm: str | None = None

    # -- sealing ----------------------------------------------------------

    def _seal(self, key: str, read: dict[str, Any]) -> bytes:
        nonce = secrets.token_bytes(12)
        body = json.dumps(read, separators=(",", ":")).encode()
        return nonce + self._aead.encrypt(nonce, body, key.encode())

    def _open(self, key: str, sealed: bytes) -> dict[str, Any]:
        data = self._aead.decrypt(sealed[:12], sealed[12:], key.encode())
        return dict(json.loads(data))

    # -- the queue ----------------------------------------------------------

    def put(self, read: dict[str, Any]) -> bool:
        """Keep ``read`` (a JSON-able dict with an ``idempotency_key``) durably.

        Returns False when a read with that key is held or was delivered
        already; raises ``OutboxFull`` when there is no room."""
        key = str(read["idempotency_key"])
        sealed = self._seal(key, read)
        with self._lock:
            entries, size = self._pending_totals()
            if entries >= self.max_entries or size + len(sealed) > self.max_bytes:
                self.alarm = (
                    f"outbox full ({entries} reads, {size} bytes): new reads are refused "
                    "until the server takes some"
                )
                logger.error("%s", self.alarm)
                raise OutboxFull(self.alarm)
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (idempotency_key, sealed, size, put_at) "
                "VALUES (?, ?, ?, ?)",
                (key, sealed, len(sealed), time.time()),
            )
            return cursor.rowcount == 1

    def peek(self, limit: int = 50, max_bytes: int = 4 * 1024 * 1024) -> list[Entry]:
        """The oldest undelivered entries, at most ``limit`` and about ``max_bytes``."""
        rows = self._db.execute(
            "SELECT seq, idempotency_key, sealed, size FROM outbox "
            "WHERE sent_at IS NULL ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        out: list[Entry] = []
        total = 0
        for seq, key, sealed, size in rows:
            if out and total + size > max_bytes:
                break
            total += size
            out.append(Entry(seq, key, self._open(key, sealed)))
        return out

    def delivered(self, seqs: list[int]) -> None:
        """The server has these: keep only their tombstones."""
        with self._lock:
            now = time.time()
            self._db.executemany(
                "UPDATE outbox SET sealed = NULL, size = 0, sent_at = ? WHERE seq = ?",
                [(now, s) for s in seqs],
            )
            if self.alarm and self._pending_totals()[0] < self.max_entries:
                self.alarm = None
            self._db.execute(
                "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?",
                (now - TOMBSTONE_SECONDS,),
            )

    def dead_letter(self, entry: Entry, reason: str) -> None:
        """The server refuses this read for good: set it aside, sealed, with why."""
        with self._lock:
            row = self._db.execute(
                "SELECT sealed FROM outbox WHERE seq = ?", (entry.seq,)
            ).fetchone()
            if row is None or row[0] is None:
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO dead_letters VALUES (?, ?, ?, ?)",
                    (entry.idempotency_key, row[0], reason[:500], time.time()),
                )
                self._db.execute(
                    "UPDATE outbox SET sealed = NULL, size = 0, sent_at = ? WHERE seq = ?",
                    (time.time(), entry.seq),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        logger.error("read %s set aside: the server refused it (%s)", entry.seq, reason)

    def pending(self) -> int:
        return self._pending_totals()[0]

    def dead_letters(self) -> list[tuple[str, str]]:
        """(idempotency key, reason) of every read set aside."""
        rows = self._db.execute("SELECT idempotency_key, reason FROM dead_letters ORDER BY at")
        return [(str(k), str(r)) for k, r in rows.fetchall()]

    def _pending_totals(self) -> tuple[int, int]:
        count, size = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM outbox WHERE sent_at IS NULL"
        ).fetchone()
        return int(count), int(size)

    def close(self) -> None:
        self._db.close()

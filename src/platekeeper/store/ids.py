"""Ids chosen before insert, handed out from blocks reserved in ``id_blocks``.

A read's id is bound into its ciphertext, so it must exist before the row
does. Each process reserves a block of ids in one short transaction and
hands them out from memory: one round trip per few thousand reads, the same
code on SQLite and PostgreSQL, and no coordination between processes beyond
that row. Ids left in a block when a process stops are simply never used.
"""

from __future__ import annotations

import threading

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from platekeeper.store.engine import Database
from platekeeper.store.models import IdBlock


class IdAllocator:
    """Unique ids per name (table), across processes."""

    def __init__(self, db: Database, block: int = 4096) -> None:
        self.db = db
        self.block = block
        self._lock = threading.Lock()
        self._free: dict[str, tuple[int, int]] = {}

    def allocate(self, name: str, count: int) -> list[int]:
        if count <= 0:
            return []
        out: list[int] = []
        with self._lock:
            start, end = self._free.get(name, (0, 0))
            while len(out) < count:
                if start >= end:
                    start, end = self._reserve(name, max(self.block, count - len(out)))
                take = min(end - start, count - len(out))
                out.extend(range(start, start + take))
                start += take
            self._free[name] = (start, end)
        return out

    def reserve_range(self, name: str, count: int) -> range:
        """A fresh contiguous block of ``count`` ids (bulk imports)."""
        start, end = self._reserve(name, count)
        return range(start, end)

    def _reserve(self, name: str, size: int) -> tuple[int, int]:
        insert = pg_insert if not self.db.is_sqlite else sqlite_insert
        with self.db.write() as session:
            session.execute(insert(IdBlock).values(name=name, next_id=1).on_conflict_do_nothing())
            new_next = session.execute(
                update(IdBlock)
                .where(IdBlock.name == name)
                .values(next_id=IdBlock.next_id + size)
                .returning(IdBlock.next_id)
            ).scalar_one()
        return new_next - size, new_next

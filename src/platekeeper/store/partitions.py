"""Monthly range partitions of ``reads`` on PostgreSQL (nothing to do on SQLite).

A partition is created the first time a read of its month arrives (and the
next month's with it, so the first read of a month rarely waits on DDL).
The retention job drops partitions that hold no row and whose month is past
every retention period.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from platekeeper.store.engine import Database

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^reads_p(\d{4})(\d{2})$")


def month_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"reads_p{start.year:04d}{start.month:02d}"


class PartitionManager:
    """Creates and drops the monthly partitions of ``reads``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: set[str] | None = None
        self._lock = threading.Lock()

    def existing(self) -> set[str]:
        if self.db.is_sqlite:
            return set()
        with self.db.read() as session:
            rows = session.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i "
                    "JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent "
                    "WHERE p.relname = 'reads' AND p.relnamespace = "
                    "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
                )
            ).scalars()
            return set(rows)

    def ensure(self, times: Iterable[datetime]) -> None:
        """Make sure every month in ``times`` (and the month after) has a partition."""
        if self.db.is_sqlite:
            return
        months: set[datetime] = set()
        for at in times:
            start = month_start(at)
            months.update((start, next_month(start)))
        with self._lock:
            if self._known is None:
                self._known = self.existing()
            for start in sorted(months):
                name = partition_name(start)
                if name not in self._known:
                    self._create(start)
                    self._known.add(name)

    def _create(self, start: datetime) -> None:
        name = partition_name(start)
        end = next_month(start)
        statement = text(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF reads "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
        try:
            with self.db.write() as session:
                session.execute(statement)
        except DBAPIError:
            # Two processes creating the same partition at once: the loser
            # fails even with IF NOT EXISTS. Fine if the partition now exists.
            if name not in self.existing():
                raise
        logger.info("created partition %s", name)

    def drop_empty_before(self, cutoff: datetime) -> list[str]:
        """Drop partitions that end on or before ``cutoff`` and hold no row."""
        if self.db.is_sqlite:
            return []
        dropped = []
        for name in sorted(self.existing()):
            match = _NAME.match(name)
            if match is None:
                continue
            start = datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)
            if next_month(start) > cutoff:
                continue
            with self.db.write() as session:
                # `name` matched _NAME (digits only): no injection possible.
                probe = text(f"SELECT 1 FROM {name} LIMIT 1")  # noqa: S608
                if session.execute(probe).first() is None:
                    # Detach first: foreign keys into `reads` hang on to a
                    # partition that is still attached (PostgreSQL checks that
                    # nothing refers to its rows while detaching).
                    session.execute(text(f"ALTER TABLE reads DETACH PARTITION {name}"))
                    session.execute(text(f"DROP TABLE {name}"))
                    dropped.append(name)
        with self._lock:
            self._known = None
        if dropped:
            logger.info("dropped %d empty partition(s)", len(dropped))
        return dropped

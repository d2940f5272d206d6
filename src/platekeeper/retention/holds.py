"""Legal holds: a case's records kept beyond their retention, under the case's key.

Placing reads on hold re-keys them (and their evidence) to the hold's own
data and index keys, which no retention policy expires: the retention job
can shred every period around them and the held records stay readable and
searchable. Releasing the hold moves each record back under the key its
policy prescribes — or deletes it, if that policy has run out meanwhile —
and then destroys the hold's keys.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from platekeeper.store.errors import InvalidInput, NotFound
from platekeeper.store.facade import Store
from platekeeper.store.models import DataKey, LegalHold, Read
from platekeeper.store.rekey import RekeyReport
from platekeeper.store.types import DataClass, KeyState

logger = logging.getLogger(__name__)

_CASE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.:-]{2,63}$")


@dataclass(frozen=True)
class HoldInfo:
    id: int
    case_number: str
    reason: str
    created_by: str | None
    created_at: datetime
    released_at: datetime | None
    reads: int


class LegalHolds:
    """Placing, filling and releasing legal holds."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def place(self, case_number: str, reason: str, created_by: str | None = None) -> HoldInfo:
        if not _CASE_NUMBER.match(case_number):
            raise InvalidInput("a case number is 3-64 letters, digits and / _ . : -")
        if not reason.strip():
            raise InvalidInput("a legal hold needs a reason")
        row = LegalHold(
            case_number=case_number,
            reason=reason.strip(),
            created_by=created_by,
            created_at=self.store.clock(),
        )
        try:
            with self.db.write() as session:
                session.add(row)
                session.flush()
                hold_id = row.id
        except IntegrityError:
            raise InvalidInput(f"case {case_number} already has a legal hold") from None
        self.store.keys.hold_keys(hold_id)  # create its keys now, not at first use
        logger.info("legal hold %d placed", hold_id)
        return self.get(hold_id)

    def get(self, hold_id: int) -> HoldInfo:
        with self.db.read() as session:
            row = session.get(LegalHold, hold_id)
            if row is None:
                raise NotFound(f"no legal hold {hold_id}")
            return HoldInfo(
                id=row.id,
                case_number=row.case_number,
                reason=row.reason,
                created_by=row.created_by,
                created_at=row.created_at,
                released_at=row.released_at,
                reads=self._held_reads(session, row.id),
            )

    def by_case(self, case_number: str) -> HoldInfo:
        with self.db.read() as session:
            hold_id = session.scalar(
                select(LegalHold.id).where(LegalHold.case_number == case_number)
            )
        if hold_id is None:
            raise NotFound(f"no legal hold for case {case_number}")
        return self.get(hold_id)

    def list(self) -> list[HoldInfo]:
        with self.db.read() as session:
            ids = session.scalars(select(LegalHold.id).order_by(LegalHold.id)).all()
        return [self.get(hold_id) for hold_id in ids]

    def add_reads(self, hold_id: int, read_ids: Iterable[int]) -> RekeyReport:
        """Put reads (and their evidence) under the hold."""
        hold = self.get(hold_id)
        if hold.released_at is not None:
            raise InvalidInput(f"the legal hold of case {hold.case_number} was released")
        report = self.store.rekey.hold(read_ids, hold_id)
        logger.info("legal hold %d: %d read(s) added", hold_id, report.reads_moved)
        return report

    def release(self, hold_id: int) -> RekeyReport:
        """End the hold: records go back to their policy (or are deleted if it
        has run out), and the hold's keys are destroyed."""
        hold = self.get(hold_id)
        if hold.released_at is not None:
            raise InvalidInput(f"the legal hold of case {hold.case_number} was released already")
        data_key, index_key = self.store.keys.hold_keys(hold_id)
        with self.db.read() as session:
            read_ids = session.scalars(select(Read.id).where(Read.data_key_id == data_key.id)).all()
        report = self.store.rekey.release(read_ids)
        with self.db.write() as session:
            row = session.get(LegalHold, hold_id)
            assert row is not None
            row.released_at = self.store.clock()
        # Blobs held only through reads already released are re-keyed above;
        # whatever else the hold key still locks is shredded with it.
        self.store.keys.destroy([data_key.id, index_key.id])
        logger.info("legal hold %d released", hold_id)
        return report

    def _held_reads(self, session: object, hold_id: int) -> int:
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        key_id = session.scalar(
            select(DataKey.id).where(
                DataKey.hold_id == hold_id,
                DataKey.data_class == DataClass.HOLD.value,
                DataKey.purpose == "data",
                DataKey.state == KeyState.ACTIVE.value,
            )
        )
        if key_id is None:
            return 0
        return (
            session.scalar(select(func.count()).select_from(Read).where(Read.data_key_id == key_id))
            or 0
        )

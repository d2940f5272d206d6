"""Hotlists of wanted plates, exact or with wildcards, entries encrypted.

Exact entries carry a blind index and are matched by it; wildcard entries
(``01A*``, ``?``) are matched after decryption, which is cheap because a
hotlist holds few of them. Entries may expire.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platekeeper.crypto.aead import record_aad
from platekeeper.crypto.blind_index import exact_index
from platekeeper.store.engine import Database
from platekeeper.store.errors import InvalidInput, NotFound
from platekeeper.store.ids import IdAllocator
from platekeeper.store.keys import KeyService
from platekeeper.store.models import Hotlist, HotlistEntry
from platekeeper.store.plates import canonical_plate, parse_wildcard
from platekeeper.store.types import DataClass, utc_now

TABLE = "hotlist_entries"
MAX_NOTE_CHARS = 2000
_CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit


@dataclass(frozen=True)
class HotlistInfo:
    id: int
    name: str
    agency: str | None
    description: str
    priority: int
    active: bool


@dataclass(frozen=True)
class HotlistEntryRecord:
    id: int
    hotlist_id: int
    pattern: str = field(repr=False)
    wildcard: bool
    note: str = field(repr=False)
    expires_at: datetime | None
    created_at: datetime

    def matches(self, plate: str) -> bool:
        if self.wildcard:
            return parse_wildcard(self.pattern, min_literal=0).matches(plate)
        return self.pattern == plate


@dataclass(frozen=True)
class LiveEntries:
    """A hotlist's unexpired entries: how many, and when the first of them ends."""

    entries: int
    next_expiry: datetime | None


@dataclass(frozen=True)
class NewEntry:
    """An entry checked, numbered and sealed, ready for :meth:`HotlistRepository.insert_entry`.

    Preparing one may write (an id block, a first key), so it is done before
    the transaction that inserts it: a write cannot open inside another."""

    record: HotlistEntryRecord
    data_key_id: int
    sealed: bytes = field(repr=False)
    plate_exact: int | None = field(repr=False)


class HotlistRepository:
    """Hotlists and their entries."""

    def __init__(
        self,
        db: Database,
        keys: KeyService,
        ids: IdAllocator,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.keys = keys
        self.ids = ids
        self.clock = clock

    def create(
        self,
        name: str,
        *,
        agency: str | None = None,
        description: str = "",
        priority: int = 0,
        session: Session | None = None,
    ) -> HotlistInfo:
        """Create a hotlist; in ``session`` when given (the caller's
        transaction, e.g. with its audit entry), else in one of its own."""
        if not name.strip() or len(name) > 100:
            raise InvalidInput("a hotlist name is 1-100 characters")
        row = Hotlist(
            name=name.strip(),
            agency=agency,
            description=description,
            priority=priority,
            active=True,
            created_at=self.clock(),
        )
        if session is not None:
            # Checked first: a failed insert would spoil the caller's transaction.
            if session.scalar(select(Hotlist.id).where(Hotlist.name == row.name)) is not None:
                raise InvalidInput(f"a hotlist named {name!r} exists already")
            session.add(row)
            session.flush()
            return _info(row)
        try:
            with self.db.write() as write:
                write.add(row)
                write.flush()
                return _info(row)
        except IntegrityError:
            raise InvalidInput(f"a hotlist named {name!r} exists already") from None

    def lists(self) -> list[HotlistInfo]:
        with self.db.read() as session:
            return [_info(row) for row in session.scalars(select(Hotlist).order_by(Hotlist.id))]

    def get(self, hotlist_id: int) -> HotlistInfo | None:
        with self.db.read() as session:
            row = session.get(Hotlist, hotlist_id)
            return _info(row) if row is not None else None

    def live_counts(self, at: datetime | None = None) -> dict[int, int]:
        """Unexpired entries per hotlist id (nothing decrypted)."""
        return {hotlist_id: live.entries for hotlist_id, live in self.live_summary(at).items()}

    def live_summary(self, at: datetime | None = None) -> dict[int, LiveEntries]:
        """Per hotlist id, its unexpired entries and the soonest of their
        expiries (nothing decrypted); a list with none is absent."""
        at = at or self.clock()
        with self.db.read() as session:
            rows = session.execute(
                select(
                    HotlistEntry.hotlist_id,
                    func.count(HotlistEntry.id),
                    func.min(HotlistEntry.expires_at),
                )
                .where(or_(HotlistEntry.expires_at.is_(None), HotlistEntry.expires_at > at))
                .group_by(HotlistEntry.hotlist_id)
            ).all()
        return {hotlist_id: LiveEntries(int(n), soonest) for hotlist_id, n, soonest in rows}

    def by_name(self, name: str) -> HotlistInfo | None:
        with self.db.read() as session:
            row = session.scalars(select(Hotlist).where(Hotlist.name == name.strip())).first()
            return _info(row) if row is not None else None

    def add_entry(
        self, hotlist_id: int, pattern: str, *, note: str = "", expires_at: datetime | None = None
    ) -> HotlistEntryRecord:
        """Add a plate (``01A123BC``) or a pattern (``01A*``, ``01?123BC``)."""
        return self.insert_entry(
            self.prepare_entry(hotlist_id, pattern, note=note, expires_at=expires_at)
        )

    def prepare_entry(
        self, hotlist_id: int, pattern: str, *, note: str = "", expires_at: datetime | None = None
    ) -> NewEntry:
        """Check, number and seal an entry for :meth:`insert_entry` (nothing
        of the entry is written yet)."""
        wildcard = any(ch in pattern for ch in "*?")
        canonical = parse_wildcard(pattern).text if wildcard else canonical_plate(pattern)
        if len(note) > MAX_NOTE_CHARS:
            raise InvalidInput(f"a note is at most {MAX_NOTE_CHARS} characters")
        if expires_at is not None and expires_at.tzinfo is None:
            raise InvalidInput("an expiry must carry a time zone")
        data_key = self.keys.data_key(DataClass.HOTLISTS, None)
        index_key = self.keys.index_key(DataClass.HOTLISTS)
        (entry_id,) = self.ids.allocate(TABLE, 1)
        body = json.dumps([canonical, note], separators=(",", ":")).encode("utf-8")
        record = HotlistEntryRecord(
            id=entry_id,
            hotlist_id=hotlist_id,
            pattern=canonical,
            wildcard=wildcard,
            note=note,
            expires_at=expires_at,
            created_at=self.clock(),
        )
        return NewEntry(
            record=record,
            data_key_id=data_key.id,
            sealed=data_key.cipher.seal(body, record_aad(TABLE, entry_id)),
            plate_exact=None if wildcard else exact_index(index_key.material, canonical),
        )

    def insert_entry(
        self, entry: NewEntry, *, session: Session | None = None
    ) -> HotlistEntryRecord:
        """Write a prepared entry; in ``session`` when given (the caller's
        transaction), else in one of its own. ``NotFound`` for no such hotlist."""
        record = entry.record
        row = HotlistEntry(
            id=record.id,
            hotlist_id=record.hotlist_id,
            data_key_id=entry.data_key_id,
            sealed=entry.sealed,
            plate_exact=entry.plate_exact,
            wildcard=record.wildcard,
            expires_at=record.expires_at,
            created_at=record.created_at,
        )
        if session is not None:
            if session.get(Hotlist, record.hotlist_id) is None:
                raise NotFound(f"no hotlist {record.hotlist_id}")
            session.add(row)
            session.flush()
            return record
        try:
            with self.db.write() as write:
                write.add(row)
        except IntegrityError:
            raise NotFound(f"no hotlist {record.hotlist_id}") from None
        return record

    def entries(self, hotlist_id: int) -> list[HotlistEntryRecord]:
        with self.db.read() as session:
            rows = session.scalars(
                select(HotlistEntry)
                .where(HotlistEntry.hotlist_id == hotlist_id)
                .order_by(HotlistEntry.id)
            ).all()
        return [self._record(row) for row in rows]

    def live_entry_ids(self, at: datetime | None = None) -> set[int]:
        """Ids of the unexpired entries of active hotlists: cheap (nothing is
        decrypted), so that a rules worker can poll it for changes."""
        at = at or self.clock()
        with self.db.read() as session:
            ids = session.scalars(
                select(HotlistEntry.id)
                .join(Hotlist, Hotlist.id == HotlistEntry.hotlist_id)
                .where(
                    Hotlist.active.is_(True),
                    or_(HotlistEntry.expires_at.is_(None), HotlistEntry.expires_at > at),
                )
            ).all()
        return set(ids)

    def entries_by_id(self, ids: Iterable[int]) -> list[tuple[HotlistInfo, HotlistEntryRecord]]:
        """These entries (those that exist) with their hotlist, in id order."""
        wanted = sorted(set(ids))
        out: list[tuple[HotlistInfo, HotlistEntryRecord]] = []
        for start in range(0, len(wanted), _CHUNK):
            with self.db.read() as session:
                rows = session.execute(
                    select(HotlistEntry, Hotlist)
                    .join(Hotlist, Hotlist.id == HotlistEntry.hotlist_id)
                    .where(HotlistEntry.id.in_(wanted[start : start + _CHUNK]))
                    .order_by(HotlistEntry.id)
                ).all()
            out.extend((_info(hotlist), self._record(entry)) for entry, hotlist in rows)
        return out

    def matches(
        self, plate: str, at: datetime | None = None
    ) -> list[tuple[HotlistInfo, HotlistEntryRecord]]:
        """Live entries of active hotlists that match ``plate`` at ``at``."""
        canonical = canonical_plate(plate)
        at = at or self.clock()
        exact = exact_index(self.keys.index_key(DataClass.HOTLISTS).material, canonical)
        with self.db.read() as session:
            rows = session.execute(
                select(HotlistEntry, Hotlist)
                .join(Hotlist, Hotlist.id == HotlistEntry.hotlist_id)
                .where(
                    Hotlist.active.is_(True),
                    or_(HotlistEntry.plate_exact == exact, HotlistEntry.wildcard.is_(True)),
                    or_(HotlistEntry.expires_at.is_(None), HotlistEntry.expires_at > at),
                )
            ).all()
        found = []
        for entry, hotlist in rows:
            record = self._record(entry)
            if record.matches(canonical):
                found.append((_info(hotlist), record))
        return sorted(found, key=lambda pair: -pair[0].priority)

    def remove_entry(self, entry_id: int, *, session: Session | None = None) -> bool:
        """Remove an entry (False when there was none); in ``session`` when
        given (the caller's transaction), else in one of its own."""
        query = delete(HotlistEntry).where(HotlistEntry.id == entry_id)
        if session is not None:
            return bool(getattr(session.execute(query), "rowcount", 0))
        with self.db.write() as write:
            result = write.execute(query)
        return bool(getattr(result, "rowcount", 0))

    def purge_expired(self, at: datetime | None = None) -> int:
        at = at or self.clock()
        with self.db.write() as session:
            result = session.execute(
                delete(HotlistEntry).where(
                    HotlistEntry.expires_at.is_not(None), HotlistEntry.expires_at <= at
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def _record(self, row: HotlistEntry) -> HotlistEntryRecord:
        key = self.keys.by_id(row.data_key_id)
        pattern, note = json.loads(key.cipher.open(row.sealed, record_aad(TABLE, row.id)))
        return HotlistEntryRecord(
            id=row.id,
            hotlist_id=row.hotlist_id,
            pattern=pattern,
            wildcard=row.wildcard,
            note=note,
            expires_at=row.expires_at,
            created_at=row.created_at,
        )


def _info(row: Hotlist) -> HotlistInfo:
    return HotlistInfo(
        id=row.id,
        name=row.name,
        agency=row.agency,
        description=row.description,
        priority=row.priority,
        active=row.active,
    )

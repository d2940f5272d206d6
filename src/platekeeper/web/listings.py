"""Hotlists and the vehicle registry: the service behind ``platekeeper
hotlist``, ``platekeeper registry import`` and their ``/api/v1`` twins.

Every change and every look at a hotlist's plates is audited; the audit
entry names the list and entry ids and, for a plate, only its keyed audit
index (never the plate). A change and its entry commit in one transaction
(:func:`platekeeper.audit.transaction.audited_write`): the store and the log
share one database by default, where a second writer would wait on the
first. Input is checked in full before anything is written, so bad input
changes nothing. A user sees and changes only the hotlists of their own
agency (unless granted every region); the command line, run by whoever
holds the installation's keys, sees all.

A change here reaches the rules of this process at once (``on_change``)
and those of other servers at their next hotlist sync.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from platekeeper.audit.log import AuditLog
from platekeeper.audit.transaction import audited_write
from platekeeper.auth.errors import InvalidInputError, NotFoundError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Scope
from platekeeper.rules.hotlists import canonical_pattern
from platekeeper.rules.registry_import import (
    ImportReport,
    RegistryImportError,
    read_registry_csv,
    stored_restrictions,
)
from platekeeper.store.engine import Database
from platekeeper.store.errors import InvalidInput, NotFound
from platekeeper.store.facade import Store
from platekeeper.store.hotlists import (
    MAX_NOTE_CHARS,
    HotlistEntryRecord,
    HotlistInfo,
    LiveEntries,
)
from platekeeper.store.registry import RegistryItem

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, or the command line (no scope limit)."""

    name: str
    user_id: int | None = None
    client_address: str | None = None
    scope: Scope | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.username, principal.user_id, principal.client_address, principal.scope)

    def covers(self, hotlist: HotlistInfo) -> bool:
        scope = self.scope
        return scope is None or scope.all_regions or hotlist.agency in (None, scope.agency)

    @property
    def agency(self) -> str | None:
        return self.scope.agency if self.scope is not None else None


class HotlistView(BaseModel):
    id: int
    name: str
    agency: str | None
    description: str
    priority: int
    active: bool
    entries: int = Field(description="Entries not yet expired")
    next_expiry: datetime | None = Field(
        default=None, description="When the first of those entries expires (None: none does)"
    )


class EntryView(BaseModel):
    id: int
    hotlist_id: int
    hotlist: str
    wildcard: bool
    expires_at: datetime | None
    created_at: datetime


class EntryDetail(EntryView):
    plate: str = Field(description="The plate or pattern ('*' any run, '?' one character)")
    reason: str


class RegistryImportView(BaseModel):
    imported: bool = Field(description="True when the file was written; nothing is otherwise")
    lines: int
    valid: int
    refused: int
    problems: list[str] = Field(description="'line N: reason' for refused lines (no plates)")


def _view(info: HotlistInfo, live: LiveEntries | None = None) -> HotlistView:
    return HotlistView(
        id=info.id,
        name=info.name,
        agency=info.agency,
        description=info.description,
        priority=info.priority,
        active=info.active,
        entries=live.entries if live else 0,
        next_expiry=live.next_expiry if live else None,
    )


def _entry(info: HotlistInfo, record: HotlistEntryRecord) -> EntryView:
    return EntryView(
        id=record.id,
        hotlist_id=info.id,
        hotlist=info.name,
        wildcard=record.wildcard,
        expires_at=record.expires_at,
        created_at=record.created_at,
    )


class Listings:
    def __init__(
        self,
        store: Store,
        audit_db: Database,
        audit: AuditLog,
        *,
        plate_index: Callable[[str], bytes] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.audit_db = audit_db
        self.audit = audit
        self.plate_index = plate_index
        self.on_change = on_change

    # -- hotlists ----------------------------------------------------------------

    def hotlists(self, actor: Actor) -> list[HotlistView]:
        live = self.store.hotlists.live_summary()
        return [
            _view(info, live.get(info.id))
            for info in self.store.hotlists.lists()
            if actor.covers(info)
        ]

    def create_hotlist(
        self, actor: Actor, name: str, *, priority: int = 5, description: str = ""
    ) -> HotlistView:
        if not 0 <= priority <= 9:
            raise InvalidInputError("a hotlist's priority is 0-9")
        if len(description) > MAX_REASON_CHARS:
            raise InvalidInputError(f"a description is at most {MAX_REASON_CHARS} characters")
        if self.store.hotlists.by_name(name) is not None:
            raise InvalidInputError(f"a hotlist named {name.strip()[:100]!r} exists already")
        if not name.strip() or len(name) > 100:
            raise InvalidInputError("a hotlist name is 1-100 characters")
        with self._changing() as (s, a):
            info = self.store.hotlists.create(
                name, agency=actor.agency, description=description, priority=priority, session=s
            )
            self._record(
                actor,
                "hotlist.create",
                f"hotlist:{info.id}",
                session=a,
                name=info.name,
                priority=priority,
            )
        return _view(info)

    def add_entry(
        self,
        actor: Actor,
        hotlist: str,
        plate: str,
        *,
        reason: str = "",
        expires_at: datetime | None = None,
    ) -> EntryView:
        """Put a plate or pattern on the hotlist named ``hotlist``."""
        info = self._list_named(actor, hotlist)
        try:
            pattern = canonical_pattern(plate)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        reason = reason.strip()
        if len(reason) > min(MAX_REASON_CHARS, MAX_NOTE_CHARS):
            raise InvalidInputError(f"a reason is at most {MAX_REASON_CHARS} characters")
        if expires_at is not None:
            if expires_at.tzinfo is None:
                raise InvalidInputError("an expiry must carry its UTC offset")
            if expires_at <= self.store.clock():
                raise InvalidInputError("the expiry is in the past")
        try:
            # Numbered and sealed before the transaction: that may write too.
            new = self.store.hotlists.prepare_entry(
                info.id, pattern, note=reason, expires_at=expires_at
            )
        except InvalidInput as exc:
            raise InvalidInputError(str(exc)) from None
        with self._changing() as (s, a):
            record = self.store.hotlists.insert_entry(new, session=s)
            self._record(
                actor,
                "hotlist.add",
                f"hotlist:{info.id}",
                session=a,
                plate_index=self.plate_index(pattern) if self.plate_index else None,
                entry=record.id,
                wildcard=record.wildcard,
                expires_at=expires_at.isoformat() if expires_at else None,
            )
        self._changed()
        return _entry(info, record)

    def entries(self, actor: Actor, hotlist_id: int) -> list[EntryDetail]:
        """The entries of one hotlist with their plates: audited as a view."""
        info = self.store.hotlists.get(hotlist_id)
        if info is None or not actor.covers(info):
            raise NotFoundError("No such hotlist.")
        records = self.store.hotlists.entries(hotlist_id)
        self._record(actor, "hotlist.view", f"hotlist:{info.id}", result_count=len(records))
        return [
            EntryDetail(**_entry(info, r).model_dump(), plate=r.pattern, reason=r.note)
            for r in records
        ]

    def remove_entry(self, actor: Actor, entry_id: int) -> EntryView:
        found = self.store.hotlists.entries_by_id([entry_id])
        if not found or not actor.covers(found[0][0]):
            raise NotFoundError("No such hotlist entry.")
        info, record = found[0]
        with self._changing() as (s, a):
            if not self.store.hotlists.remove_entry(record.id, session=s):
                raise NotFoundError("No such hotlist entry.")  # removed meanwhile
            self._record(actor, "hotlist.remove", f"hotlist:{info.id}", session=a, entry=record.id)
        self._changed()
        return _entry(info, record)

    def _list_named(self, actor: Actor, name: str) -> HotlistInfo:
        info = self.store.hotlists.by_name(name)
        if info is None or not actor.covers(info):
            raise NotFoundError(f"No hotlist named {name.strip()[:100]!r}.")
        return info

    # -- the registry -------------------------------------------------------------

    def import_registry(
        self, actor: Actor, stream: TextIO, *, source: str, dry_run: bool = False
    ) -> ImportReport:
        """Check a registry CSV in full and, when every line is valid and this
        is not a dry run, write it in one transaction. A refused line or a
        broken file writes nothing (``RegistryImportError`` for the file)."""
        report = ImportReport(dry_run=True)
        try:
            records = [record for _line, record in read_registry_csv(stream, report)]
        except RegistryImportError:
            self._record(actor, "registry.import", source, outcome="refused", lines=report.lines)
            raise
        report.imported = len(records)
        if report.rejected_count or dry_run:
            self._record(
                actor,
                "registry.check" if dry_run else "registry.import",
                source,
                outcome="ok" if dry_run else "refused",
                lines=report.lines,
                refused=report.rejected_count,
            )
            return report
        items = [
            RegistryItem(
                r.plate, r.status.value, r.country, r.vehicle_class, stored_restrictions(r)
            )
            for r in records
        ]
        try:
            # Keys and ids are reserved before the transaction: that may write too.
            batch = self.store.registry.prepare(items)
        except InvalidInput as exc:  # the CSV checks are stricter; a safety net
            raise RegistryImportError(str(exc)) from None
        with audited_write(self.store.db, self.audit_db) as (s, a):
            self.store.registry.write(batch, session=s)
            self._record(
                actor,
                "registry.import",
                source,
                session=a,
                lines=report.lines,
                imported=len(items),
            )
        report.dry_run = False
        return report

    def import_registry_text(
        self, actor: Actor, text: str, *, dry_run: bool = False
    ) -> ImportReport:
        return self.import_registry(
            actor, io.StringIO(text, newline=""), source="registry:upload", dry_run=dry_run
        )

    # -- helpers -------------------------------------------------------------------

    def _record(
        self,
        actor: Actor,
        action: str,
        target: str,
        *,
        session: Session | None = None,
        outcome: str = "ok",
        plate_index: bytes | None = None,
        result_count: int | None = None,
        **details: Any,
    ) -> None:
        """Record in ``session`` (a change's, from :meth:`_changing`) or on its own."""
        if session is None:
            with self.audit_db.write() as own:
                self._record(
                    actor,
                    action,
                    target,
                    session=own,
                    outcome=outcome,
                    plate_index=plate_index,
                    result_count=result_count,
                    **details,
                )
            return
        self.audit.record(
            session,
            action,
            outcome=outcome,
            actor_id=actor.user_id,
            actor=actor.name,
            target=target,
            client_address=actor.client_address,
            plate_index=plate_index,
            result_count=result_count,
            details=details,
        )

    @contextmanager
    def _changing(self) -> Iterator[tuple[Session, Session]]:
        """The change's session and its audit entry's, committed together. The
        store's refusals, raised inside (which rolls both back), reach callers
        as 422 and 404."""
        try:
            with audited_write(self.store.db, self.audit_db) as sessions:
                yield sessions
        except InvalidInput as exc:
            raise InvalidInputError(str(exc)) from None
        except NotFound as exc:
            raise NotFoundError(str(exc)) from None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

"""Reading the audit log: the service behind the audit viewer and its API.

Looking at the audit log is itself recorded. The verification status shown
beside the entries comes from a full check of the chain and checkpoints.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from platekeeper.audit.log import AuditLog
from platekeeper.audit.models import AuditEntry
from platekeeper.audit.verify import VerifyReport, verify_log
from platekeeper.auth.errors import PermissionDeniedError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.auth.trail import JsonScalar
from platekeeper.store.engine import Database

PAGE_SIZE = 50


class AuditEntryView(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    at: datetime
    action: str
    outcome: str
    actor_id: int | None
    actor: str | None
    target: str | None
    client_address: str | None
    reason_code: str | None
    case_number: str | None
    plate_index: str | None = Field(description="Blind index of a plate (hex), never the plate")
    result_count: int | None
    details: dict[str, JsonScalar]
    entry_hash: str


class AuditPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    entries: list[AuditEntryView]
    next_before: int | None = Field(description="Pass as 'before' for the next (older) page")
    verification: VerifyReport


class AuditReader:
    def __init__(
        self, db: Database, log: AuditLog, public_keys: Mapping[str, Ed25519PublicKey]
    ) -> None:
        self.db = db
        self.log = log
        self.public_keys = public_keys

    def page(
        self,
        actor: Principal,
        *,
        before: int | None = None,
        action: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> AuditPage:
        self._require(actor)
        limit = max(1, min(limit, 500))
        with self.db.write() as s:
            self.log.record(
                s,
                "audit.view",
                actor_id=actor.user_id,
                actor=actor.username,
                client_address=actor.client_address,
                details={"before": before, "action": action},
            )
        with self.db.read() as s:
            query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit + 1)
            if before is not None:
                query = query.where(AuditEntry.seq < before)
            if action:
                query = query.where(AuditEntry.action.startswith(action, autoescape=True))
            rows = list(s.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        return AuditPage(
            entries=[_view(row) for row in rows],
            next_before=rows[-1].seq if more and rows else None,
            verification=verify_log(self.db, self.public_keys),
        )

    def verify(self, actor: Principal) -> VerifyReport:
        self._require(actor)
        report = verify_log(self.db, self.public_keys)
        with self.db.write() as s:
            self.log.record(
                s,
                "audit.verify",
                outcome="ok" if report.ok else "failed",
                actor_id=actor.user_id,
                actor=actor.username,
                client_address=actor.client_address,
                details={"entries": report.entries, "problems": len(report.problems)},
            )
        return report

    def _require(self, actor: Principal) -> None:
        if not actor.can(Permission.AUDIT_VIEW):
            raise PermissionDeniedError("Reading the audit log needs the auditor role.")


def _view(row: AuditEntry) -> AuditEntryView:
    try:
        details = json.loads(row.details)
    except ValueError:
        details = {"unreadable": True}
    return AuditEntryView(
        seq=row.seq,
        at=row.at,
        action=row.action,
        outcome=row.outcome,
        actor_id=row.actor_id,
        actor=row.actor,
        target=row.target,
        client_address=row.client_address,
        reason_code=row.reason_code,
        case_number=row.case_number,
        plate_index=row.plate_index.hex() if row.plate_index is not None else None,
        result_count=row.result_count,
        details=details if isinstance(details, dict) else {"unreadable": True},
        entry_hash=row.entry_hash.hex(),
    )

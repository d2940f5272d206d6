"""Supervisor approval of wide searches.

A wildcard search, or a search or journey whose window is longer than the
approval threshold (30 days by default), runs only with an approval: the
investigator asks for one with the exact search they want to run, a
supervisor of their region (never themselves) approves or refuses it, and
the approved search can then be run once, by the investigator who asked,
within a day. Every step is written to the audit log in the transaction
that makes it; the plate or pattern is sealed in the table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from platekeeper.auth.errors import ConflictError, NotFoundError, PermissionDeniedError
from platekeeper.auth.justification import Justification
from platekeeper.auth.models import SearchApproval, User
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.auth.sealing import SecretBox
from platekeeper.auth.trail import AuditTrail, Clock, utc_now
from platekeeper.store.engine import Database
from platekeeper.store.search import CASE_NUMBER_PATTERN, ReasonCode, SearchMode

ApprovalStatus = Literal["pending", "approved", "refused", "used", "expired"]
MAX_CAMERAS = 100


class SearchSpec(BaseModel):
    """One plate search as asked: what, when, where and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str = Field(
        min_length=2,
        max_length=32,
        description="The plate (exact, fuzzy) or a pattern with * and ? (wildcard)",
    )
    mode: SearchMode = SearchMode.EXACT
    start: datetime = Field(description="Start of the window (with a time zone)")
    end: datetime = Field(description="End of the window, exclusive (with a time zone)")
    cameras: tuple[str, ...] = Field(
        default=(), max_length=MAX_CAMERAS, description="Camera codes; empty: all in your regions"
    )
    reason_code: ReasonCode
    case_number: str = Field(min_length=3, max_length=64, pattern=CASE_NUMBER_PATTERN)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("give the time with a time zone (e.g. 2026-03-01T00:00:00Z)")
        return value

    @field_validator("cameras")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({c.strip() for c in value if c.strip()}))

    @model_validator(mode="after")
    def _window(self) -> SearchSpec:
        if self.end <= self.start:
            raise ValueError("the window ends before it starts")
        return self

    @property
    def justification(self) -> Justification:
        return Justification(reason_code=self.reason_code, case_number=self.case_number)

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def same_search(self, other: SearchSpec) -> bool:
        return self.model_dump() == other.model_dump()


def approval_needed(spec: SearchSpec, threshold_days: int) -> str | None:
    """Why ``spec`` needs a supervisor's approval, or None when it does not."""
    if spec.mode is SearchMode.WILDCARD:
        return "A wildcard search needs a supervisor's approval."
    if spec.days > threshold_days:
        return (
            f"A window of {spec.days:.0f} days is over {threshold_days} days and needs a "
            "supervisor's approval."
        )
    return None


class ApprovalView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    status: ApprovalStatus
    requester: str
    region: str
    requested_at: datetime
    search: SearchSpec
    note: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    expires_at: datetime | None
    used_at: datetime | None


def _context(approval_id: int) -> str:
    return f"search-approval:{approval_id}"


class SearchApprovals:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        audit: AuditTrail,
        plate_index: Callable[[str], bytes],
        *,
        clock: Clock = utc_now,
        valid_for: timedelta = timedelta(hours=24),
    ) -> None:
        self.db = db
        self.box = box
        self.audit = audit
        self.plate_index = plate_index
        self.clock = clock
        self.valid_for = valid_for

    # -- the investigator ----------------------------------------------------

    def request(self, actor: Principal, spec: SearchSpec, note: str = "") -> ApprovalView:
        if not actor.can(Permission.PLATES_SEARCH):
            raise PermissionDeniedError("Your role does not search plates.")
        note = note.strip()[:500]
        with self.db.write() as s:
            row = SearchApproval(
                requester_id=actor.user_id,
                region=actor.scope.region,
                requested_at=self.clock(),
                mode=spec.mode.value,
                query_sealed=b"",
                window_start=spec.start,
                window_end=spec.end,
                camera_codes=",".join(spec.cameras),
                reason_code=spec.reason_code.value,
                case_number=spec.case_number,
                note=note,
                status="pending",
            )
            s.add(row)
            s.flush()
            row.query_sealed = self.box.seal(spec.plate.encode(), _context(row.id))
            self._audit(s, actor, "search.approval.request", row, spec)
            return self._view(s, row)

    def mine(self, actor: Principal) -> list[ApprovalView]:
        with self.db.read() as s:
            rows = s.scalars(
                select(SearchApproval)
                .where(SearchApproval.requester_id == actor.user_id)
                .order_by(SearchApproval.id.desc())
                .limit(50)
            ).all()
            return [self._view(s, r) for r in rows]

    def check_usable(self, actor: Principal, approval_id: int, spec: SearchSpec) -> None:
        """Raise unless ``approval_id`` approves exactly ``spec`` for ``actor`` now."""
        with self.db.read() as s:
            row = s.get(SearchApproval, approval_id)
            if row is None or row.requester_id != actor.user_id:
                raise NotFoundError("No such approval of yours.")
            view = self._view(s, row)
        if view.status != "approved":
            raise ConflictError(f"This approval is {view.status}, not usable.")
        if not view.search.same_search(spec):
            raise PermissionDeniedError(
                "The approval is for another search: run exactly the search that was approved."
            )

    def use(self, s: Session, actor: Principal, approval_id: int) -> None:
        """Mark the approval used, in the caller's (audit) transaction; at most once."""
        done = s.execute(
            update(SearchApproval)
            .where(
                SearchApproval.id == approval_id,
                SearchApproval.requester_id == actor.user_id,
                SearchApproval.status == "approved",
                SearchApproval.used_at.is_(None),
                SearchApproval.expires_at > self.clock(),
            )
            .values(status="used", used_at=self.clock())
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError("This approval was used or expired meanwhile.")

    # -- the supervisor ------------------------------------------------------

    def pending(self, actor: Principal) -> list[ApprovalView]:
        self._require_approver(actor)
        with self.db.read() as s:
            q = select(SearchApproval).where(
                SearchApproval.status == "pending",
                SearchApproval.requester_id != actor.user_id,
            )
            if not actor.scope.all_regions:
                q = q.where(SearchApproval.region == actor.scope.region)
            rows = s.scalars(q.order_by(SearchApproval.id)).all()
            return [self._view(s, r) for r in rows]

    def decide(
        self, actor: Principal, approval_id: int, *, approve: bool, note: str = ""
    ) -> ApprovalView:
        self._require_approver(actor)
        note = note.strip()[:500]
        if not approve and not note:
            raise ConflictError("Say why the search is refused.")
        with self.db.write() as s:
            row = s.get(SearchApproval, approval_id, with_for_update=True)
            if row is None or not actor.scope.covers(row.region):
                raise NotFoundError("No such request in your region.")
            if row.requester_id == actor.user_id:
                raise PermissionDeniedError("Nobody approves their own search.")
            if row.status != "pending":
                raise ConflictError(f"This request is already {row.status}.")
            now = self.clock()
            row.status = "approved" if approve else "refused"
            row.decided_by_id = actor.user_id
            row.decided_at = now
            row.decision_note = note
            row.expires_at = now + self.valid_for if approve else None
            spec = self._spec(row)
            action = "search.approval.approve" if approve else "search.approval.refuse"
            self._audit(s, actor, action, row, spec)
            return self._view(s, row)

    # -- helpers -------------------------------------------------------------

    def _require_approver(self, actor: Principal) -> None:
        if not actor.can(Permission.SEARCH_APPROVE):
            raise PermissionDeniedError("Your role does not approve searches.")

    def _spec(self, row: SearchApproval) -> SearchSpec:
        plate = self.box.open(row.query_sealed, _context(row.id)).decode()
        return SearchSpec(
            plate=plate,
            mode=SearchMode(row.mode),
            start=row.window_start,
            end=row.window_end,
            cameras=tuple(c for c in row.camera_codes.split(",") if c),
            reason_code=ReasonCode(row.reason_code),
            case_number=row.case_number,
        )

    def _status(self, row: SearchApproval) -> ApprovalStatus:
        expires = row.expires_at
        if row.status == "approved" and expires is not None and expires <= self.clock():
            return "expired"
        return row.status  # type: ignore[return-value]

    def _view(self, s: Session, row: SearchApproval) -> ApprovalView:
        wanted = {row.requester_id, row.decided_by_id or row.requester_id}
        names: dict[int | None, str] = {
            user_id: username
            for user_id, username in s.execute(
                select(User.id, User.username).where(User.id.in_(wanted))
            ).all()
        }
        return ApprovalView(
            id=row.id,
            status=self._status(row),
            requester=names.get(row.requester_id, "?"),
            region=row.region,
            requested_at=row.requested_at,
            search=self._spec(row),
            note=row.note,
            decided_by=names.get(row.decided_by_id) if row.decided_by_id else None,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
            expires_at=row.expires_at,
            used_at=row.used_at,
        )

    def _audit(
        self, s: Session, actor: Principal, action: str, row: SearchApproval, spec: SearchSpec
    ) -> None:
        self.audit.record(
            s,
            action,
            actor_id=actor.user_id,
            actor=actor.username,
            target=f"approval:{row.id}",
            client_address=actor.client_address,
            reason_code=spec.reason_code.value,
            case_number=spec.case_number,
            plate_index=self.plate_index(spec.plate),
            details={
                "mode": spec.mode.value,
                "window_days": round(spec.days, 2),
                "cameras": len(spec.cameras),
                "requester_id": row.requester_id,
            },
        )

"""The review queue: the service behind the review pages and their twins.

Each step checks the reviewer's permission and region and is audited; a
violation of another region does not exist for them (404). A claim holds a
violation for one reviewer for a while; a confirmation is final only after a
second reviewer (a supervisor, never the first reviewer) when the policy
asks for one. Opening a violation shows its plate and images: audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platekeeper.audit.log import AuditLog
from platekeeper.audit.transaction import audited_write
from platekeeper.auth.errors import ConflictError, NotFoundError, PermissionDeniedError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.auth.trail import JsonScalar
from platekeeper.review.models import Violation
from platekeeper.review.violations import OPEN, Status, plate_of, reads_of, role_frames
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.store.records import StoredRead

NEARBY_SECONDS = 1.5
"""Reads of the same camera this close to a violation's read count as the
other vehicles in its frame."""


class ReadSummary(BaseModel):
    id: int
    captured_at: datetime
    camera: str
    camera_name: str
    plate: str
    confidence: float
    crop_url: str | None
    frame_url: str | None
    clip_url: str | None = None


class RoleFrame(BaseModel):
    """A frame the finding names by its role (red light: before, at and past
    the stop line)."""

    role: str
    read_id: int
    captured_at: datetime | None
    url: str


class ViolationSummary(BaseModel):
    id: int
    offence: str
    status: Status
    camera: str
    camera_name: str
    region: str
    captured_at: datetime
    priority: int
    claimed_by: int | None
    claimed_by_you: bool


class ViolationDetail(ViolationSummary):
    plate: str | None
    country: str | None
    rule: str
    details: dict[str, Any]
    reads: list[ReadSummary] = Field(description="The read that completes it first, then others")
    nearby: list[ReadSummary] = Field(
        default_factory=list,
        description="The other vehicles in the frame: reads of the same camera within "
        "NEARBY_SECONDS of the first read",
    )
    frames: list[RoleFrame] = Field(
        default_factory=list,
        description="The frames the rule named by role, in its order (red light: before, "
        "at and past the stop line); a frame past its retention is left out",
    )
    first_decision: str | None
    first_reason: str
    first_reviewer: int | None
    second_decision: str | None
    second_reason: str
    needs_second: bool = Field(description="A second reviewer must confirm it")


class ReviewCounts(BaseModel):
    pending: int
    awaiting_second: int
    confirmed: int
    rejected: int


ManualOffence = Literal["seatbelt", "phone"]


@dataclass(frozen=True)
class ReviewPolicy:
    second_review: bool = True
    claim_minutes: int = 15


class ReviewQueue:
    def __init__(
        self,
        store: Store,
        audit_db: Database,
        audit: AuditLog,
        *,
        policy: ReviewPolicy,
        clock: Callable[[], datetime],
        evidence_url: Callable[[Principal, int, int], str],
    ) -> None:
        self.store = store
        self.audit_db = audit_db
        self.audit = audit
        self.policy = policy
        self.clock = clock
        self.evidence_url = evidence_url

    # -- lists -------------------------------------------------------------------

    def queue(
        self, actor: Principal, *, status: Status | None = None, limit: int = 100
    ) -> list[ViolationSummary]:
        self._require(actor, Permission.VIOLATIONS_REVIEW)
        wanted: tuple[str, ...] = (status,) if status else OPEN
        q = select(Violation).where(Violation.status.in_(wanted))
        if not actor.scope.all_regions:
            q = q.where(Violation.region == actor.scope.region)
        q = q.order_by(Violation.priority.desc(), Violation.captured_at).limit(limit)
        with self.store.db.read() as s:
            rows = list(s.scalars(q))
        return [self._summary(r, actor) for r in rows]

    def counts(self, actor: Principal) -> ReviewCounts:
        self._require(actor, Permission.VIOLATIONS_REVIEW)
        q = select(Violation.status, func.count(Violation.id)).group_by(Violation.status)
        if not actor.scope.all_regions:
            q = q.where(Violation.region == actor.scope.region)
        with self.store.db.read() as s:
            found = {status: n for status, n in s.execute(q).all()}
        return ReviewCounts(**{k: int(found.get(k, 0)) for k in ReviewCounts.model_fields})

    # -- one violation -------------------------------------------------------------

    def open(self, actor: Principal, violation_id: int) -> ViolationDetail:
        """The violation with its plate and images; audited as an evidence view."""
        self._require(actor, Permission.VIOLATIONS_REVIEW)
        row = self._load(actor, violation_id)
        detail = self._detail(row, actor)
        self._audit(actor, "violation.view", row, shown=detail)
        return detail

    def claim(self, actor: Principal, violation_id: int) -> ViolationDetail:
        self._require(actor, Permission.VIOLATIONS_REVIEW)
        now = self.clock()
        with audited_write(self.store.db, self.audit_db) as (s, a):
            row = self._load(actor, violation_id, s)
            if row.status not in OPEN:
                raise ConflictError(f"This violation is {row.status} already.")
            if self._held_by_other(row, actor, now):
                raise ConflictError("Another reviewer is working on this violation.")
            row.claimed_by_id = actor.user_id
            row.claimed_at = now
            detail = self._detail(row, actor)
            self._audit(actor, "violation.claim", row, session=a, shown=detail)
            return detail

    def decide(
        self, actor: Principal, violation_id: int, *, confirm: bool, reason: str = ""
    ) -> ViolationDetail:
        self._require(actor, Permission.VIOLATIONS_REVIEW)
        reason = reason.strip()[:500]
        if not confirm and not reason:
            raise ConflictError("Say why the violation is rejected.")
        now = self.clock()
        with audited_write(self.store.db, self.audit_db) as (s, a):
            row = self._load(actor, violation_id, s)
            if row.status == "pending":
                step = "first"
            elif row.status == "awaiting_second":
                step = "second"
                if not actor.can(Permission.VIOLATIONS_SECOND_REVIEW):
                    raise PermissionDeniedError("The second review needs a supervisor.")
                if row.first_reviewer_id == actor.user_id:
                    raise PermissionDeniedError("The second reviewer must be someone else.")
            else:
                raise ConflictError(f"This violation is {row.status} already.")
            if self._held_by_other(row, actor, now):
                raise ConflictError("Another reviewer is working on this violation.")
            decision = "confirm" if confirm else "reject"
            if step == "first":
                row.first_reviewer_id, row.first_decision = actor.user_id, decision
                row.first_reason, row.first_at = reason, now
                if confirm:
                    row.status = "awaiting_second" if self.policy.second_review else "confirmed"
                else:
                    row.status = "rejected"
            else:
                row.second_reviewer_id, row.second_decision = actor.user_id, decision
                row.second_reason, row.second_at = reason, now
                row.status = "confirmed" if confirm else "rejected"
            row.claimed_by_id = row.claimed_at = None
            action = f"violation.{'second.' if step == 'second' else ''}{decision}"
            detail = self._detail(row, actor)
            self._audit(actor, action, row, session=a, shown=detail, reason=reason)
            return detail

    # -- helpers -------------------------------------------------------------------

    def _require(self, actor: Principal, permission: Permission) -> None:
        if not actor.can(permission):
            raise PermissionDeniedError("Your role does not review violations.")

    def _load(self, actor: Principal, violation_id: int, s: Any = None) -> Violation:
        def get(session: Any) -> Violation:
            row = session.get(Violation, violation_id)
            if row is None or not actor.scope.covers(row.region):
                raise NotFoundError("No such violation in your region.")
            return row  # type: ignore[no-any-return]

        if s is not None:
            return get(s)
        with self.store.db.read() as session:
            return get(session)

    def _held_by_other(self, row: Violation, actor: Principal, now: datetime) -> bool:
        if row.claimed_by_id is None or row.claimed_by_id == actor.user_id:
            return False
        held_since = row.claimed_at or now
        return now - held_since < timedelta(minutes=self.policy.claim_minutes)

    def _audit(
        self,
        actor: Principal,
        action: str,
        row: Violation,
        *,
        session: Session | None = None,
        shown: ViolationDetail | None = None,
        **details: JsonScalar,
    ) -> None:
        """Record in ``session`` (the change's, from ``audited_write``) or on
        its own. A step that answers with ``shown`` shows the plates of the
        other vehicles in the frame too: the entry counts them and names their
        reads (never their plates)."""
        entry: dict[str, JsonScalar] = {"offence": row.offence, "status": row.status, **details}
        if shown is not None:
            entry["nearby"] = len(shown.nearby)
            entry["nearby_reads"] = ",".join(str(r.id) for r in shown.nearby)

        def write(s: Session) -> None:
            self.audit.record(
                s,
                action,
                actor_id=actor.user_id,
                actor=actor.username,
                target=f"violation:{row.id}",
                client_address=actor.client_address,
                details=entry,
            )

        if session is not None:
            write(session)
            return
        with self.audit_db.write() as a:
            write(a)

    def _summary(self, row: Violation, actor: Principal) -> ViolationSummary:
        camera = self.store.cameras.get(row.camera_id)
        return ViolationSummary(
            id=row.id,
            offence=row.offence,
            status=row.status,
            camera=camera.code if camera else "?",
            camera_name=camera.name if camera else "?",
            region=row.region,
            captured_at=row.captured_at,
            priority=row.priority,
            claimed_by=row.claimed_by_id,
            claimed_by_you=row.claimed_by_id == actor.user_id,
        )

    def _read_summary(self, read: StoredRead, actor: Principal) -> ReadSummary:
        urls: dict[str, str] = {}
        for ref in read.evidence:
            urls.setdefault(ref.kind.value, self.evidence_url(actor, read.id, ref.blob_id))
        return ReadSummary(
            id=read.id,
            captured_at=read.captured_at,
            camera=read.camera.code,
            camera_name=read.camera.name,
            plate=read.plate,
            confidence=round(read.confidence, 3),
            crop_url=urls.get("crop"),
            frame_url=urls.get("frame"),
            clip_url=urls.get("clip"),
        )

    def _detail(self, row: Violation, actor: Principal) -> ViolationDetail:
        plate, country = plate_of(self.store, row)
        own = reads_of(self.store, row)
        reads = [self._read_summary(read, actor) for read in own]
        nearby: list[ReadSummary] = []
        if own:
            first = own[0]
            ids = {read.id for read in own}
            nearby = [
                self._read_summary(read, actor)
                for read in self.store.reads.around(
                    first.camera.id, first.captured_at, NEARBY_SECONDS
                )
                if read.id not in ids
            ]
        summary = self._summary(row, actor)
        frames = [
            RoleFrame(
                role=role,
                read_id=read.id,
                captured_at=datetime.fromtimestamp(ts, UTC) if ts is not None else None,
                url=self.evidence_url(actor, read.id, blob_id),
            )
            for role, read, blob_id, ts in role_frames(row, own)
        ]
        return ViolationDetail(
            **summary.model_dump(),
            frames=frames,
            plate=plate,
            country=country,
            rule=row.rule,
            details=json.loads(row.details),
            reads=reads,
            nearby=nearby,
            first_decision=row.first_decision,
            first_reason=row.first_reason,
            first_reviewer=row.first_reviewer_id,
            second_decision=row.second_decision,
            second_reason=row.second_reason,
            needs_second=row.status == "awaiting_second",
        )

    # -- the evidence package --------------------------------------------------------

    def export(self, actor: Principal, violation_id: int) -> tuple[str, bytes]:
        """The signed evidence package of a confirmed violation: (file name, ZIP)."""
        from platekeeper.review.package import PackageFile, build_package, file_name

        if not actor.can(Permission.EVIDENCE_EXPORT):
            raise PermissionDeniedError("Your role does not export evidence.")
        row = self._load(actor, violation_id)
        if row.status != "confirmed":
            raise ConflictError("Only a confirmed violation has an evidence package.")
        plate, country = plate_of(self.store, row)
        camera = self.store.cameras.get(row.camera_id)
        files, reads = [], []
        own = reads_of(self.store, row)
        roles = {blob_id: role for role, _read, blob_id, _ts in role_frames(row, own)}
        for read in own:
            reads.append(
                {
                    "id": read.id,
                    "captured_at": read.captured_at.isoformat(),
                    "camera": read.camera.code,
                    "plate": read.plate,
                    "confidence": round(read.confidence, 3),
                }
            )
            on_track = [b for b in read.track_frames if b is not None]
            for ref in read.evidence:
                _ref, data = self.store.reads.evidence_bytes(ref.blob_id)
                # Frames are named by what they show: a read may carry several.
                role = roles.get(ref.blob_id, "")
                if not role and ref.blob_id in on_track:
                    role = f"track-{on_track.index(ref.blob_id) + 1}"
                name = file_name(read.id, role or ref.kind.value, ref.media_type)
                files.append(PackageFile(name, ref.media_type, data, role))
        facts: dict[str, Any] = {
            "id": row.id,
            "offence": row.offence,
            "captured_at": row.captured_at.isoformat(),
            "plate": plate,
            "country": country,
            "camera": {
                "code": camera.code if camera else None,
                "name": camera.name if camera else None,
                "latitude": camera.latitude if camera else None,
                "longitude": camera.longitude if camera else None,
                "region": row.region,
            },
            "rule": row.rule,
            "details": json.loads(row.details),
            "review": {
                "first": row.first_decision,
                "first_at": row.first_at.isoformat() if row.first_at else None,
                "second": row.second_decision,
                "second_at": row.second_at.isoformat() if row.second_at else None,
            },
            "reads": reads,
        }
        package = build_package(facts, files, self.store.keys.signer(), self.clock())
        self._audit(actor, "evidence.export", row, bytes=str(len(package)))
        return f"violation-{row.id}.zip", package

    # -- manual flags ----------------------------------------------------------------

    def flag(
        self, actor: Principal, violation_id: int, offence: ManualOffence, note: str = ""
    ) -> ViolationSummary:
        """A reviewer's flag of an offence seen in the evidence (seatbelt, phone)
        on the pass of this violation: a new violation for review, once per pass."""
        from platekeeper.review.pipeline import read_event
        from platekeeper.review.violations import ViolationStore
        from platekeeper.rules.manual import manual_finding

        self._require(actor, Permission.VIOLATIONS_REVIEW)
        row = self._load(actor, violation_id)
        reads = reads_of(self.store, row)
        if not reads:
            raise ConflictError("The reads of this violation are past their retention.")
        finding = manual_finding(
            read_event(reads[0]),
            offence,
            flagged_by=f"user:{actor.user_id}",
            note=note.strip()[:500],
            region=row.region,
        )
        violations = ViolationStore(self.store, self.clock)
        created = violations.prepare(finding)
        if created is None:  # the camera of the pass is gone
            raise ConflictError("The camera of this violation no longer exists.")
        with audited_write(self.store.db, self.audit_db) as (s, a):
            if violations.insert(created, s) is None:
                raise ConflictError(f"{offence} is already raised for this pass.")
            self._audit(
                actor, "violation.flag", created, session=a, offence=offence, on=str(violation_id)
            )
        violations.keep_reads(created)
        return self._summary(created, actor)

"""Plate search, vehicle journeys, cameras and evidence: the service behind
their pages and their ``/api/v1`` twins.

Each call takes the signed-in :class:`Principal`. Searches reach only the
cameras of the person's regions (a camera of another region "does not
exist": 404), carry the reason and case of ``SearchSpec``, run under an
:class:`AuditedSearch` guard (audited, failing closed) and, when wide, only
under a supervisor's approval. Images of the reads shown are reachable
through per-user, expiring links, and every image opened is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from platekeeper.audit.log import AuditLog
from platekeeper.audit.search_audit import AuditedSearch, PolicyRefused
from platekeeper.auth.approvals import SearchApprovals, SearchSpec, approval_needed
from platekeeper.auth.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from platekeeper.auth.principal import Principal
from platekeeper.crypto import CryptoError
from platekeeper.store.engine import Database
from platekeeper.store.errors import NotFound, StoreError
from platekeeper.store.facade import Store
from platekeeper.store.records import CameraInfo, StoredRead
from platekeeper.store.search import SearchMode, SearchQuery, SearchResult
from platekeeper.store.types import EvidenceKind
from platekeeper.web.evidence_links import EvidenceLinks

SEARCH_LIMIT = 1000


class ApprovalRequiredError(PermissionDeniedError):
    """A wide search asked for without a supervisor's approval (403)."""


class ReadView(BaseModel):
    """One read as shown to the person who searched for or watched it."""

    model_config = ConfigDict(frozen=True)

    id: int
    captured_at: datetime
    plate: str
    confidence: float
    country: str | None
    hit: bool = Field(description="The read matched a hotlist or rule")
    camera: str
    camera_name: str
    region: str
    latitude: float
    longitude: float
    crop_url: str | None = Field(description="Link to the plate crop (yours, expiring)")
    frame_url: str | None = Field(description="Link to the whole frame (yours, expiring)")


class SearchOutcome(BaseModel):
    search: SearchSpec
    reads: list[ReadView]
    truncated: bool = Field(description="More reads matched than the limit")
    approval: int | None = None


class JourneyView(BaseModel):
    search: SearchSpec
    sightings: list[ReadView] = Field(description="Oldest first")
    cameras: int = Field(description="Distinct cameras that saw the vehicle")
    first_seen: datetime | None
    last_seen: datetime | None
    truncated: bool
    approval: int | None = None


class CameraView(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    bank: str
    agency: str
    region: str
    latitude: float
    longitude: float
    heading: float | None
    direction: str | None
    road_segment: str | None
    lanes: int
    active: bool


def camera_view(c: CameraInfo) -> CameraView:
    return CameraView(
        code=c.code,
        name=c.name,
        bank=c.bank,
        agency=c.agency,
        region=c.region,
        latitude=c.latitude,
        longitude=c.longitude,
        heading=c.heading,
        direction=c.direction,
        road_segment=c.road_segment,
        lanes=len(c.lanes),
        active=c.active,
    )


def read_view(read: StoredRead, actor: Principal, links: EvidenceLinks) -> ReadView:
    urls: dict[EvidenceKind, str] = {}
    for ref in read.evidence:
        if ref.kind in (EvidenceKind.CROP, EvidenceKind.FRAME) and ref.kind not in urls:
            urls[ref.kind] = links.url(actor.user_id, read.id, ref.blob_id)
    return ReadView(
        id=read.id,
        captured_at=read.captured_at,
        plate=read.plate,
        confidence=round(read.confidence, 3),
        country=read.country,
        hit=read.hit,
        camera=read.camera.code,
        camera_name=read.camera.name,
        region=read.camera.region,
        latitude=read.camera.latitude,
        longitude=read.camera.longitude,
        crop_url=urls.get(EvidenceKind.CROP),
        frame_url=urls.get(EvidenceKind.FRAME),
    )


class Investigation:
    def __init__(
        self,
        store: Store,
        audit_db: Database,
        audit: AuditLog,
        approvals: SearchApprovals,
        *,
        links: EvidenceLinks,
        plate_index: Callable[[str], bytes],
        approval_after_days: int,
    ) -> None:
        self.store = store
        self.db = audit_db
        self.audit = audit
        self.approvals = approvals
        self.links = links
        self.plate_index = plate_index
        self.approval_after_days = approval_after_days

    # -- cameras ---------------------------------------------------------------

    def cameras_of(self, actor: Principal) -> list[CameraInfo]:
        return [c for c in self.store.cameras.all() if actor.scope.covers(c.region)]

    def cameras(self, actor: Principal) -> list[CameraView]:
        return [camera_view(c) for c in self.cameras_of(actor)]

    def _chosen(self, actor: Principal, codes: tuple[str, ...]) -> tuple[list[int], list[int]]:
        """(ids the search covers, ids the actor may search at all)."""
        allowed = {c.code: c.id for c in self.cameras_of(actor)}
        for code in codes:
            if code not in allowed:
                raise NotFoundError(f"No camera {code!r} in your regions.")
        chosen = [allowed[c] for c in codes] if codes else list(allowed.values())
        return sorted(chosen), sorted(allowed.values())

    # -- search and journey ------------------------------------------------------

    def search(
        self,
        actor: Principal,
        spec: SearchSpec,
        *,
        approval: int | None = None,
        limit: int = SEARCH_LIMIT,
    ) -> SearchOutcome:
        result = self._run("search", actor, spec, approval, limit)
        return SearchOutcome(
            search=spec,
            reads=[read_view(r, actor, self.links) for r in result.reads],
            truncated=result.truncated,
            approval=approval,
        )

    def journey(
        self, actor: Principal, spec: SearchSpec, *, approval: int | None = None
    ) -> JourneyView:
        if spec.mode is not SearchMode.EXACT:
            raise InvalidInputError("A journey follows one exact plate.")
        result = self._run("journey", actor, spec, approval, SEARCH_LIMIT)
        sightings = [read_view(r, actor, self.links) for r in result.reads]
        return JourneyView(
            search=spec,
            sightings=sightings,
            cameras=len({s.camera for s in sightings}),
            first_seen=sightings[0].captured_at if sightings else None,
            last_seen=sightings[-1].captured_at if sightings else None,
            truncated=result.truncated,
            approval=approval,
        )

    def _run(
        self,
        action: str,
        actor: Principal,
        spec: SearchSpec,
        approval: int | None,
        limit: int,
    ) -> SearchResult:
        needed = approval_needed(spec, self.approval_after_days)
        if approval is not None:
            self.approvals.check_usable(actor, approval, spec)
        chosen, allowed = self._chosen(actor, spec.cameras)
        approvals = self.approvals
        guard = AuditedSearch(
            self.db,
            self.audit,
            self.plate_index,
            actor=actor,
            allowed_cameras=allowed,
            needs_approval=needed is not None,
            approval=approval,
            use_approval=(
                (lambda s: approvals.use(s, actor, approval)) if approval is not None else None
            ),
        )
        service = self.store.search_service(guard)
        # A wide search is widened for the store's bounds; the guard then refuses
        # it (and the log records the refusal) unless it runs under an approval.
        why = spec.justification.for_store(widen=needed is not None)
        try:
            if action == "journey":
                return service.journey(
                    spec.plate,
                    spec.start,
                    spec.end,
                    why,
                    principal=actor,
                    limit=limit,
                    camera_ids=tuple(chosen),
                )
            query = SearchQuery(
                spec.plate, spec.start, spec.end, spec.mode, camera_ids=tuple(chosen), limit=limit
            )
            return service.search(query, why, principal=actor)
        except PolicyRefused as exc:
            if needed is not None and approval is None:
                raise ApprovalRequiredError(needed) from None
            raise PermissionDeniedError(_sentence(str(exc))) from None
        except StoreError as exc:
            raise InvalidInputError(_sentence(str(exc))) from None

    # -- evidence ----------------------------------------------------------------

    def evidence(self, actor: Principal, token: str) -> tuple[str, bytes]:
        """The media type and bytes of an image shown to ``actor``; audited."""
        target = self.links.open(token, actor.user_id)
        read = self.store.reads.get(target.read_id)
        if read is None or not actor.scope.covers(read.camera.region):
            raise NotFoundError("No such image, or the link has expired.")
        refs = {ref.blob_id: ref for ref in read.evidence}
        if target.blob_id not in refs:
            raise NotFoundError("No such image, or the link has expired.")
        try:
            ref, data = self.store.reads.evidence_bytes(target.blob_id)
        except (CryptoError, NotFound):
            raise NotFoundError("This image is past its retention and was deleted.") from None
        with self.db.write() as s:
            self.audit.record(
                s,
                "evidence.view",
                actor_id=actor.user_id,
                actor=actor.username,
                target=f"read:{read.id}",
                client_address=actor.client_address,
                details={"kind": ref.kind.value, "camera": read.camera.code},
            )
        return ref.media_type, data


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else text

"""The review queue: pages and their twins under /api/v1/violations."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import RedirectResponse

from platekeeper.auth.errors import AccessError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.review.violations import Status
from platekeeper.web.access import requires, services_of
from platekeeper.web.driver_links import DriverLink
from platekeeper.web.rendering import render
from platekeeper.web.review import (
    ManualOffence,
    ReviewCounts,
    ReviewQueue,
    ViolationDetail,
    ViolationSummary,
)

Reviewer = Annotated[Principal, requires(Permission.VIOLATIONS_REVIEW)]
Exporter = Annotated[Principal, requires(Permission.EVIDENCE_EXPORT)]
TAGS: list[str | Enum] = ["review"]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not your role, or the second review of your own decision"},
    404: {"description": "No such violation in your region"},
    409: {"description": "Decided already, claimed by someone else, or a rejection without reason"},
}


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    confirm: bool
    reason: str = Field(default="", max_length=500, description="Required to reject")


class Flag(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    offence: ManualOffence
    note: str = Field(default="", max_length=500)


class Queue(BaseModel):
    counts: ReviewCounts
    violations: list[ViolationSummary]


def _queue(request: Request) -> ReviewQueue:
    found = services_of(request).review
    if found is None:  # mounted only with the store; a safety net
        raise HTTPException(status_code=404)
    return found


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/review", include_in_schema=False)
    def queue_page(
        request: Request, actor: Reviewer, status: Annotated[Status | None, Query()] = None
    ) -> Response:
        q = _queue(request)
        return render(
            request,
            "review/queue.html",
            {
                "counts": q.counts(actor),
                "violations": q.queue(actor, status=status),
                "status": status,
            },
        )

    @router.get(
        "/api/v1/violations",
        response_model=Queue,
        tags=TAGS,
        summary="Violations of your regions waiting for review (or of one status)",
    )
    def queue_api(
        request: Request,
        actor: Reviewer,
        status: Annotated[Status | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> Queue:
        q = _queue(request)
        return Queue(counts=q.counts(actor), violations=q.queue(actor, status=status, limit=limit))

    def detail_page(
        request: Request,
        actor: Principal,
        detail: ViolationDetail,
        *,
        error: str | None = None,
        status_code: int = 200,
    ) -> Response:
        following = [v for v in _queue(request).queue(actor) if v.id != detail.id]
        return render(
            request,
            "review/detail.html",
            {
                "v": detail,
                "error": error,
                "next_id": following[0].id if following else None,
                "export_permission": Permission.EVIDENCE_EXPORT,
            },
            status_code=status_code,
        )

    @router.get("/review/{violation_id}", include_in_schema=False)
    def violation_page(request: Request, violation_id: int, actor: Reviewer) -> Response:
        return detail_page(request, actor, _queue(request).open(actor, violation_id))

    @router.get(
        "/api/v1/violations/{violation_id}",
        response_model=ViolationDetail,
        tags=TAGS,
        summary="One violation with its plate, reads and images (audited)",
        responses=_ERRORS,
    )
    def violation_api(request: Request, violation_id: int, actor: Reviewer) -> ViolationDetail:
        return _queue(request).open(actor, violation_id)

    @router.post("/review/{violation_id}/claim", include_in_schema=False)
    def claim_submit(request: Request, violation_id: int, actor: Reviewer) -> Response:
        try:
            _queue(request).claim(actor, violation_id)
        except AccessError as exc:
            from platekeeper.web.errors import status_of

            detail = _queue(request).open(actor, violation_id)
            return detail_page(request, actor, detail, error=str(exc), status_code=status_of(exc))
        return RedirectResponse(f"/review/{violation_id}", status_code=303)

    @router.post(
        "/api/v1/violations/{violation_id}/claim",
        response_model=ViolationDetail,
        tags=TAGS,
        summary="Take a violation for review (held for you for a while)",
        responses=_ERRORS,
    )
    def claim_api(request: Request, violation_id: int, actor: Reviewer) -> ViolationDetail:
        return _queue(request).claim(actor, violation_id)

    @router.post("/review/{violation_id}/decision", include_in_schema=False)
    def decide_submit(
        request: Request,
        violation_id: int,
        *,
        actor: Reviewer,
        decision: Annotated[str, Form(pattern="^(confirm|reject)$")],
        reason: Annotated[str, Form(max_length=500)] = "",
        next_id: Annotated[str, Form(pattern=r"^\d*$")] = "",
    ) -> Response:
        q = _queue(request)
        try:
            q.decide(actor, violation_id, confirm=decision == "confirm", reason=reason)
        except AccessError as exc:
            from platekeeper.web.errors import status_of

            detail = q.open(actor, violation_id)
            return detail_page(request, actor, detail, error=str(exc), status_code=status_of(exc))
        return RedirectResponse(f"/review/{next_id}" if next_id else "/review", status_code=303)

    @router.post(
        "/api/v1/violations/{violation_id}/decision",
        response_model=ViolationDetail,
        tags=TAGS,
        summary="Confirm or reject (the second review when one is due)",
        responses=_ERRORS,
    )
    def decide_api(
        request: Request, violation_id: int, actor: Reviewer, decision: Decision
    ) -> ViolationDetail:
        return _queue(request).decide(
            actor, violation_id, confirm=decision.confirm, reason=decision.reason
        )

    @router.post("/review/{violation_id}/flag", include_in_schema=False)
    def flag_submit(
        request: Request,
        violation_id: int,
        actor: Reviewer,
        offence: Annotated[ManualOffence, Form()],
    ) -> Response:
        q = _queue(request)
        try:
            q.flag(actor, violation_id, offence)
        except AccessError as exc:
            from platekeeper.web.errors import status_of

            detail = q.open(actor, violation_id)
            return detail_page(request, actor, detail, error=str(exc), status_code=status_of(exc))
        return RedirectResponse(f"/review/{violation_id}", status_code=303)

    @router.post(
        "/api/v1/violations/{violation_id}/flag",
        response_model=ViolationSummary,
        status_code=201,
        tags=TAGS,
        summary="Flag an offence seen in the evidence (seatbelt, phone): a new violation",
        responses=_ERRORS,
    )
    def flag_api(
        request: Request, violation_id: int, actor: Reviewer, flag: Flag
    ) -> ViolationSummary:
        return _queue(request).flag(actor, violation_id, flag.offence, flag.note)

    @router.post(
        "/api/v1/violations/{violation_id}/package",
        tags=TAGS,
        summary="The signed evidence package of a confirmed violation (ZIP; audited)",
        response_class=Response,
        responses={**_ERRORS, 200: {"content": {"application/zip": {}}}},
    )
    def package_api(request: Request, violation_id: int, actor: Exporter) -> Response:
        name, data = _queue(request).export(actor, violation_id)
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.post(
        "/api/v1/violations/{violation_id}/driver-link",
        response_model=DriverLink,
        tags=TAGS,
        summary="A signed, expiring link for the driver (who must also type the plate)",
        responses=_ERRORS,
    )
    def driver_link_api(
        request: Request,
        violation_id: int,
        actor: Exporter,
        days: Annotated[int, Query(ge=1, le=90)] = 30,
    ) -> DriverLink:
        links = services_of(request).driver_links
        if links is None:
            raise HTTPException(status_code=404)
        return links.mint(actor, violation_id, days=days)

    return router

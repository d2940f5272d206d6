"""Supervisors approve or refuse wide searches: the page and its twins."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import RedirectResponse

from platekeeper.auth.approvals import ApprovalView, SearchApprovals
from platekeeper.auth.errors import AccessError
from platekeeper.auth.justification import REASON_LABELS
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.web.access import requires, services_of
from platekeeper.web.rendering import render

Approver = Annotated[Principal, requires(Permission.SEARCH_APPROVE)]
TAGS: list[str | Enum] = ["approvals"]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Your own request, or not your role"},
    404: {"description": "No such request in your region"},
    409: {"description": "Already decided, or a refusal without a reason"},
}


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    approve: bool
    note: str = Field(default="", max_length=500, description="Required when refusing")


def _approvals(request: Request) -> SearchApprovals:
    found = services_of(request).approvals
    if found is None:  # mounted only with the store; a safety net
        raise HTTPException(status_code=404)
    return found


def build_router() -> APIRouter:
    router = APIRouter()

    def page(
        request: Request, actor: Principal, *, error: str | None = None, status_code: int = 200
    ) -> Response:
        return render(
            request,
            "approvals.html",
            {
                "pending": _approvals(request).pending(actor),
                "labels": {code.value: label for code, label in REASON_LABELS.items()},
                "error": error,
            },
            status_code=status_code,
        )

    @router.get("/approvals", include_in_schema=False)
    def approvals_page(request: Request, actor: Approver) -> Response:
        return page(request, actor)

    @router.post("/approvals/{approval_id}", include_in_schema=False)
    def decide_submit(
        request: Request,
        approval_id: int,
        actor: Approver,
        decision: Annotated[str, Form(pattern="^(approve|refuse)$")],
        note: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        try:
            _approvals(request).decide(actor, approval_id, approve=decision == "approve", note=note)
        except AccessError as exc:
            from platekeeper.web.errors import status_of

            return page(request, actor, error=str(exc), status_code=status_of(exc))
        return RedirectResponse("/approvals", status_code=303)

    @router.get(
        "/api/v1/approvals",
        response_model=list[ApprovalView],
        tags=TAGS,
        summary="Wide searches waiting for a decision in your regions",
    )
    def pending_api(request: Request, actor: Approver) -> list[ApprovalView]:
        return _approvals(request).pending(actor)

    @router.post(
        "/api/v1/approvals/{approval_id}",
        response_model=ApprovalView,
        tags=TAGS,
        summary="Approve or refuse a wide search (not your own)",
        responses=_ERRORS,
    )
    def decide_api(
        request: Request, approval_id: int, actor: Approver, decision: Decision
    ) -> ApprovalView:
        return _approvals(request).decide(
            actor, approval_id, approve=decision.approve, note=decision.note
        )

    return router

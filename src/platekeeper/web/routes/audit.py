"""The audit log viewer and its twins under /api/v1/audit."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from platekeeper.audit.browse import PAGE_SIZE, AuditPage
from platekeeper.audit.transparency import TransparencyReport
from platekeeper.audit.verify import VerifyReport
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.web.access import requires, services_of
from platekeeper.web.rendering import render

Auditor = Annotated[Principal, requires(Permission.AUDIT_VIEW)]
Overseer = Annotated[Principal, requires(Permission.TRANSPARENCY_VIEW)]
Days = Annotated[int, Query(ge=1, le=3660, description="How many days back")]
TAGS: list[str | Enum] = ["audit"]
Before = Annotated[int | None, Query(ge=1, description="Show entries older than this number")]
Action = Annotated[
    str | None,
    Query(max_length=64, pattern=r"^[a-z0-9_.]*$", description="Action prefix, e.g. 'auth.'"),
]


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/audit", include_in_schema=False)
    def audit_page(
        request: Request, actor: Auditor, before: Before = None, action: Action = None
    ) -> Response:
        page = services_of(request).audit.page(actor, before=before, action=action or None)
        return render(request, "audit.html", {"page": page, "action": action or ""})

    @router.get(
        "/api/v1/audit",
        response_model=AuditPage,
        tags=TAGS,
        summary="Audit entries, newest first, with the verification status",
    )
    def audit_api(
        request: Request,
        actor: Auditor,
        before: Before = None,
        action: Action = None,
        limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
    ) -> AuditPage:
        return services_of(request).audit.page(
            actor, before=before, action=action or None, limit=limit
        )

    @router.get(
        "/api/v1/audit/verification",
        response_model=VerifyReport,
        tags=TAGS,
        summary="Check the chain and the signed checkpoints now",
    )
    def verify_api(request: Request, actor: Auditor) -> VerifyReport:
        return services_of(request).audit.verify(actor)

    @router.get("/transparency", include_in_schema=False)
    def transparency_page(request: Request, actor: Overseer, days: Days = 365) -> Response:
        report = services_of(request).transparency.report(actor, days=days)
        return render(request, "transparency.html", {"report": report, "days": days})

    @router.get(
        "/api/v1/transparency",
        response_model=TransparencyReport,
        tags=TAGS,
        summary="How plate search was used: counts only, no plate, case or person",
    )
    def transparency_api(request: Request, actor: Overseer, days: Days = 365) -> TransparencyReport:
        return services_of(request).transparency.report(actor, days=days)

    return router

"""Plate search and vehicle journeys: pages and their twins under /api/v1.

Everything that names a plate is a POST (plates never travel in URLs, so
they cannot end in a server log, a proxy log or the browser history).
A wide search without an approval answers 403 and the page offers to ask a
supervisor for one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from platekeeper.auth.approvals import ApprovalView, SearchSpec
from platekeeper.auth.errors import AccessError
from platekeeper.auth.justification import reason_options
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.store.search import SearchMode
from platekeeper.web.access import requires, services_of
from platekeeper.web.errors import form_status
from platekeeper.web.investigation import (
    SEARCH_LIMIT,
    ApprovalRequiredError,
    Investigation,
    JourneyView,
    SearchOutcome,
)
from platekeeper.web.rendering import render

Searcher = Annotated[Principal, requires(Permission.PLATES_SEARCH)]
Tracer = Annotated[Principal, requires(Permission.JOURNEY_VIEW)]
TAGS: list[str | Enum] = ["search"]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed: role, or a wide search without an approval"},
    404: {"description": "A camera or approval outside your regions"},
    422: {"description": "The search is malformed or out of bounds"},
    503: {"description": "The search could not be recorded, so it was not run"},
}
FORM_TIME = "%Y-%m-%dT%H:%M"


class SearchCall(SearchSpec):
    """A search as sent to the API: the search, and the approval it runs under."""

    approval: int | None = Field(default=None, description="Id of an approved wide search")
    limit: int = Field(default=SEARCH_LIMIT, ge=1, le=SEARCH_LIMIT)

    def spec(self) -> SearchSpec:
        return SearchSpec.model_validate(self.model_dump(exclude={"approval", "limit"}))


class ApprovalAsk(SearchSpec):
    note: str = Field(default="", max_length=500, description="Why the wide search is needed")

    def spec(self) -> SearchSpec:
        return SearchSpec.model_validate(self.model_dump(exclude={"note"}))


class SearchForm(BaseModel):
    """The fields of the search page's form, as typed (times in UTC)."""

    model_config = ConfigDict(frozen=True)

    plate: str = ""
    mode: str = SearchMode.EXACT.value
    start: str = ""
    end: str = ""
    cameras: list[str] = []
    reason_code: str = ""
    case_number: str = ""
    approval: str = ""
    note: str = ""

    def spec(self) -> SearchSpec:
        return SearchSpec.model_validate(
            {
                "plate": self.plate.strip(),
                "mode": self.mode,
                "start": _form_time(self.start),
                "end": _form_time(self.end),
                "cameras": tuple(self.cameras),
                "reason_code": self.reason_code,
                "case_number": self.case_number.strip(),
            }
        )

    @property
    def approval_id(self) -> int | None:
        return int(self.approval) if self.approval.isdigit() else None

    @classmethod
    def of(cls, spec: SearchSpec, approval: int | None = None) -> SearchForm:
        return cls(
            plate=spec.plate,
            mode=spec.mode.value,
            start=spec.start.astimezone(UTC).strftime(FORM_TIME),
            end=spec.end.astimezone(UTC).strftime(FORM_TIME),
            cameras=list(spec.cameras),
            reason_code=spec.reason_code.value,
            case_number=spec.case_number,
            approval=str(approval or ""),
        )


def _form_time(value: str) -> datetime | str:
    try:
        return datetime.strptime(value.strip(), FORM_TIME).replace(tzinfo=UTC)
    except ValueError:
        return value  # the model names the field


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for e in exc.errors():
            field = str(e["loc"][-1]) if e["loc"] else "search"
            parts.append(f"{field.replace('_', ' ')}: {e['msg'].removeprefix('Value error, ')}")
        return "Please check — " + "; ".join(parts) + "."
    return str(exc)


def default_form(now: datetime, days: int = 7) -> SearchForm:
    """An empty search of the last ``days`` days (to the next minute)."""
    now = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return SearchForm(
        start=(now - timedelta(days=days)).strftime(FORM_TIME), end=now.strftime(FORM_TIME)
    )


def _investigation(request: Request) -> Investigation:
    found = services_of(request).investigation
    if found is None:  # mounted only with the store; a safety net
        raise HTTPException(status_code=404)
    return found


def build_router() -> APIRouter:
    router = APIRouter()

    def page(
        request: Request,
        actor: Principal,
        form: SearchForm,
        *,
        outcome: SearchOutcome | None = None,
        error: str | None = None,
        needs_approval: str | None = None,
        asked: ApprovalView | None = None,
        status_code: int = 200,
    ) -> Response:
        services = services_of(request)
        assert services.approvals is not None
        return render(
            request,
            "search.html",
            {
                "form": form,
                "outcome": outcome,
                "error": error,
                "needs_approval": needs_approval,
                "asked": asked,
                "reasons": reason_options(),
                "modes": [m.value for m in SearchMode],
                "cameras": _investigation(request).cameras(actor),
                "approvals": services.approvals.mine(actor),
                "can_trace": actor.can(Permission.JOURNEY_VIEW),
            },
            status_code=status_code,
        )

    @router.get("/search", include_in_schema=False)
    def search_page(request: Request, actor: Searcher) -> Response:
        return page(request, actor, default_form(services_of(request).clock()))

    @router.post("/search", include_in_schema=False)
    def search_submit(
        request: Request, actor: Searcher, form: Annotated[SearchForm, Form()]
    ) -> Response:
        try:
            spec = form.spec()
            outcome = _investigation(request).search(actor, spec, approval=form.approval_id)
        except ApprovalRequiredError as exc:
            return page(request, actor, form, needs_approval=str(exc), status_code=403)
        except (ValidationError, AccessError) as exc:
            return page(request, actor, form, error=_problem(exc), status_code=form_status(exc))
        return page(request, actor, form, outcome=outcome)

    @router.post(
        "/api/v1/search",
        response_model=SearchOutcome,
        tags=TAGS,
        summary="Search reads by plate (exact, fuzzy or wildcard), with a reason and a case",
        responses=_ERRORS,
    )
    def search_api(request: Request, actor: Searcher, call: SearchCall) -> SearchOutcome:
        return _investigation(request).search(
            actor, call.spec(), approval=call.approval, limit=call.limit
        )

    # -- approvals, as the investigator sees them ----------------------------------

    @router.post("/search/approvals", include_in_schema=False)
    def ask_submit(
        request: Request, actor: Searcher, form: Annotated[SearchForm, Form()]
    ) -> Response:
        services = services_of(request)
        assert services.approvals is not None
        try:
            asked = services.approvals.request(actor, form.spec(), form.note)
        except (ValidationError, AccessError) as exc:
            return page(request, actor, form, error=_problem(exc), status_code=form_status(exc))
        return page(request, actor, form, asked=asked, status_code=201)

    @router.post(
        "/api/v1/search/approvals",
        response_model=ApprovalView,
        status_code=201,
        tags=TAGS,
        summary="Ask a supervisor to approve a wide search",
        responses=_ERRORS,
    )
    def ask_api(request: Request, actor: Searcher, ask: ApprovalAsk) -> ApprovalView:
        services = services_of(request)
        assert services.approvals is not None
        return services.approvals.request(actor, ask.spec(), ask.note)

    @router.get(
        "/api/v1/search/approvals",
        response_model=list[ApprovalView],
        tags=TAGS,
        summary="Your requests for approval, newest first",
    )
    def mine_api(request: Request, actor: Searcher) -> list[ApprovalView]:
        services = services_of(request)
        assert services.approvals is not None
        return services.approvals.mine(actor)

    # -- journeys ------------------------------------------------------------------

    def journey_page(
        request: Request,
        actor: Principal,
        form: SearchForm,
        *,
        journey: JourneyView | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Response:
        points = [
            {
                "lat": s.latitude,
                "lon": s.longitude,
                "label": f"{s.captured_at:%Y-%m-%d %H:%M} · {s.camera_name}",
            }
            for s in (journey.sightings if journey else [])
        ]
        return render(
            request,
            "journey.html",
            {
                "form": form,
                "journey": journey,
                "points": points,
                "error": error,
                "reasons": reason_options(),
            },
            status_code=status_code,
        )

    @router.get("/journey", include_in_schema=False)
    def journey_form(request: Request, actor: Tracer) -> Response:
        return journey_page(request, actor, default_form(services_of(request).clock(), days=30))

    @router.post("/journey", include_in_schema=False)
    def journey_submit(
        request: Request, actor: Tracer, form: Annotated[SearchForm, Form()]
    ) -> Response:
        try:
            journey = _investigation(request).journey(actor, form.spec(), approval=form.approval_id)
        except (ValidationError, AccessError) as exc:
            return journey_page(
                request, actor, form, error=_problem(exc), status_code=form_status(exc)
            )
        return journey_page(request, actor, form, journey=journey)

    @router.post(
        "/api/v1/journey",
        response_model=JourneyView,
        tags=TAGS,
        summary="Every sighting of one plate in a window, oldest first, with a reason and a case",
        responses=_ERRORS,
    )
    def journey_api(
        request: Request, actor: Tracer, call: Annotated[SearchCall, Body()]
    ) -> JourneyView:
        return _investigation(request).journey(actor, call.spec(), approval=call.approval)

    return router

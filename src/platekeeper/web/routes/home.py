"""The dashboard and its twin ``/api/v1/me``, the health check, and the API schema."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse, PlainTextResponse

from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import ROLE_DESCRIPTIONS, Permission, Role
from platekeeper.web.access import public, services_of, signed_in
from platekeeper.web.navigation import NavItem, visible_nav
from platekeeper.web.rendering import render


class MeView(BaseModel):
    """Who is signed in, what they may do, and where they may go."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    username: str
    display_name: str
    role: Role
    role_description: str
    agency: str
    region: str
    all_regions: bool
    permissions: list[Permission]
    navigation: list[NavItem] = Field(description="The pages this user may open")


def me_view(principal: Principal, nav: tuple[NavItem, ...]) -> MeView:
    return MeView(
        user_id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        role_description=ROLE_DESCRIPTIONS[principal.role],
        agency=principal.scope.agency,
        region=principal.scope.region,
        all_regions=principal.scope.all_regions,
        permissions=sorted(principal.permissions),
        navigation=visible_nav(nav, principal),
    )


def build_router() -> APIRouter:
    router = APIRouter()

    def nav_of(request: Request) -> tuple[NavItem, ...]:
        return cast("tuple[NavItem, ...]", request.app.state.nav)

    @router.get("/", include_in_schema=False)
    def dashboard(request: Request, user: Annotated[Principal, signed_in()]) -> Response:
        return render(request, "dashboard.html", {"me": me_view(user, nav_of(request))})

    @router.get("/api/v1/me", response_model=MeView, tags=["account"], summary="Who am I")
    def me_api(request: Request, user: Annotated[Principal, signed_in()]) -> MeView:
        return me_view(user, nav_of(request))

    @router.get("/healthz", dependencies=[public()], include_in_schema=False)
    def healthz(request: Request) -> Response:
        # No details: a public endpoint must not describe the deployment.
        try:
            with services_of(request).db.read() as s:
                s.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return PlainTextResponse("unavailable", status_code=503)
        return PlainTextResponse("ok")

    @router.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi(request: Request, _user: Annotated[Principal, signed_in()]) -> Response:
        return JSONResponse(request.app.openapi())

    return router

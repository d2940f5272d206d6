"""The cameras of your regions: a list and a map, and the JSON twin."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response

from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.web.access import requires, services_of
from platekeeper.web.investigation import CameraView, Investigation
from platekeeper.web.rendering import render

Viewer = Annotated[Principal, requires(Permission.CAMERAS_VIEW)]
TAGS: list[str | Enum] = ["cameras"]


def _investigation(request: Request) -> Investigation:
    found = services_of(request).investigation
    if found is None:  # mounted only with the store; a safety net
        raise HTTPException(status_code=404)
    return found


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/cameras", include_in_schema=False)
    def cameras_page(request: Request, actor: Viewer) -> Response:
        cameras = _investigation(request).cameras(actor)
        points = [
            {"lat": c.latitude, "lon": c.longitude, "label": f"{c.code} · {c.name}"}
            for c in cameras
        ]
        return render(request, "cameras.html", {"cameras": cameras, "points": points})

    @router.get(
        "/api/v1/cameras",
        response_model=list[CameraView],
        tags=TAGS,
        summary="Cameras of your regions",
    )
    def cameras_api(request: Request, actor: Viewer) -> list[CameraView]:
        return _investigation(request).cameras(actor)

    return router

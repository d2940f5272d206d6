"""Camera administration: pages under /admin/cameras and twins under /api/v1/cameras.

Administrators add cameras (the first key's secret shown once), change their
description, disable and enable them, and issue and revoke their keys. Each
page and its twin call one method of :class:`CameraAdmin`, which audits it.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import RedirectResponse

from platekeeper.auth.errors import AccessError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.web.access import requires, services_of
from platekeeper.web.camera_admin import (
    Actor,
    CameraAdmin,
    CameraChanges,
    CameraKeyView,
    IssuedCameraKey,
    NewCamera,
)
from platekeeper.web.errors import form_error, form_status
from platekeeper.web.investigation import CameraView
from platekeeper.web.rendering import render

Manager = Annotated[Principal, requires(Permission.CAMERAS_MANAGE)]
TAGS: list[str | Enum] = ["cameras"]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed (role, or a region outside your own)"},
    404: {"description": "No such camera or key in your regions"},
    422: {"description": "Refused input; nothing was changed"},
}
_OPTIONAL = ("heading", "direction", "road_segment")
_FIELDS = ("name", "bank", "agency", "region", "latitude", "longitude", *_OPTIONAL)


class CameraDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    camera: CameraView
    keys: list[CameraKeyView]


def _admin(request: Request) -> CameraAdmin:
    found = services_of(request).cameras_admin
    if found is None:  # mounted only with the store; a safety net
        raise HTTPException(status_code=404)
    return found


def _form_values(form: dict[str, str]) -> dict[str, str | None]:
    """Form text as the models take it: an empty optional field is no value."""
    return {k: (None if k in _OPTIONAL and not v.strip() else v) for k, v in form.items()}


def build_router() -> APIRouter:
    router = APIRouter()

    def detail_page(
        request: Request, actor: Principal, code: str, *, error: str | None = None, status: int
    ) -> Response:
        admin, who = _admin(request), Actor.of(actor)
        context = {
            "camera": admin.get(who, code),
            "keys": admin.key_list(who, code),
            "error": error,
        }
        return render(request, "cameras/detail.html", context, status_code=status)

    # -- list and new ---------------------------------------------------------

    @router.get("/admin/cameras", include_in_schema=False)
    def cameras_admin_page(request: Request, actor: Manager) -> Response:
        cameras = _admin(request).cameras(Actor.of(actor))
        return render(request, "cameras/admin.html", {"cameras": cameras})

    @router.get("/admin/cameras/new", include_in_schema=False)
    def new_camera_page(request: Request, actor: Manager) -> Response:
        form = {"agency": actor.scope.agency, "region": actor.scope.region}
        return render(request, "cameras/new.html", {"error": None, "form": form})

    @router.post("/admin/cameras", include_in_schema=False)
    def add_camera_submit(
        request: Request,
        *,
        actor: Manager,
        code: Annotated[str, Form(max_length=64)],
        name: Annotated[str, Form(max_length=200)],
        bank: Annotated[str, Form(max_length=64)],
        agency: Annotated[str, Form(max_length=64)],
        region: Annotated[str, Form(max_length=64)],
        latitude: Annotated[str, Form(max_length=32)],
        longitude: Annotated[str, Form(max_length=32)],
        heading: Annotated[str, Form(max_length=32)] = "",
        direction: Annotated[str, Form(max_length=32)] = "",
        road_segment: Annotated[str, Form(max_length=64)] = "",
    ) -> Response:
        form = {
            "code": code, "name": name, "bank": bank, "agency": agency, "region": region,
            "latitude": latitude, "longitude": longitude, "heading": heading,
            "direction": direction, "road_segment": road_segment,
        }  # fmt: skip
        try:
            new = NewCamera.model_validate(_form_values(form))
            issued = _admin(request).add(Actor.of(actor), new)
        except (AccessError, ValidationError) as exc:
            return render(
                request,
                "cameras/new.html",
                {"error": form_error(exc), "form": form},
                status_code=form_status(exc),
            )
        return render(
            request, "cameras/issued.html", {"issued": issued, "created": True}, status_code=201
        )

    @router.post(
        "/api/v1/cameras",
        response_model=IssuedCameraKey,
        status_code=201,
        tags=TAGS,
        responses=_ERRORS,
        summary="Add a camera; answers its first key with the secret, once",
    )
    def add_camera_api(request: Request, actor: Manager, body: NewCamera) -> IssuedCameraKey:
        return _admin(request).add(Actor.of(actor), body)

    # -- one camera -----------------------------------------------------------

    @router.get("/admin/cameras/{code}", include_in_schema=False)
    def camera_page(request: Request, actor: Manager, code: str) -> Response:
        return detail_page(request, actor, code, status=200)

    @router.get(
        "/api/v1/cameras/{code}",
        response_model=CameraDetail,
        tags=TAGS,
        responses=_ERRORS,
        summary="A camera and its keys (never their secrets)",
    )
    def camera_api(request: Request, actor: Manager, code: str) -> CameraDetail:
        admin, who = _admin(request), Actor.of(actor)
        return CameraDetail(camera=admin.get(who, code), keys=admin.key_list(who, code))

    @router.post("/admin/cameras/{code}", include_in_schema=False)
    def update_camera_submit(
        request: Request,
        *,
        actor: Manager,
        code: str,
        name: Annotated[str, Form(max_length=200)],
        bank: Annotated[str, Form(max_length=64)],
        agency: Annotated[str, Form(max_length=64)],
        region: Annotated[str, Form(max_length=64)],
        latitude: Annotated[str, Form(max_length=32)],
        longitude: Annotated[str, Form(max_length=32)],
        heading: Annotated[str, Form(max_length=32)] = "",
        direction: Annotated[str, Form(max_length=32)] = "",
        road_segment: Annotated[str, Form(max_length=64)] = "",
    ) -> Response:
        form = {
            "name": name, "bank": bank, "agency": agency, "region": region,
            "latitude": latitude, "longitude": longitude, "heading": heading,
            "direction": direction, "road_segment": road_segment,
        }  # fmt: skip
        try:
            changes = CameraChanges.model_validate(_form_values(form))
            _admin(request).update(Actor.of(actor), code, changes)
        except (AccessError, ValidationError) as exc:
            return detail_page(request, actor, code, error=form_error(exc), status=form_status(exc))
        return RedirectResponse(f"/admin/cameras/{code}", status_code=303)

    @router.patch(
        "/api/v1/cameras/{code}",
        response_model=CameraView,
        tags=TAGS,
        responses=_ERRORS,
        summary="Change a camera's name, bank, agency, region, position or heading",
    )
    def update_camera_api(
        request: Request, actor: Manager, code: str, body: CameraChanges
    ) -> CameraView:
        return _admin(request).update(Actor.of(actor), code, body)

    # -- state and keys -------------------------------------------------------

    def add_state_change(name: str, active: bool, summary: str) -> None:
        @router.post(
            f"/admin/cameras/{{code}}/{name}", include_in_schema=False, name=f"{name}_camera_page"
        )
        def page(request: Request, actor: Manager, code: str) -> Response:
            _admin(request).set_active(Actor.of(actor), code, active=active)
            return RedirectResponse(f"/admin/cameras/{code}", status_code=303)

        @router.post(
            f"/api/v1/cameras/{{code}}/{name}",
            response_model=CameraView,
            tags=TAGS,
            responses=_ERRORS,
            summary=summary,
            name=f"{name}_camera_api",
        )
        def api(request: Request, actor: Manager, code: str) -> CameraView:
            return _admin(request).set_active(Actor.of(actor), code, active=active)

    add_state_change("disable", False, "Disable a camera: its requests are refused, keys kept")
    add_state_change("enable", True, "Enable a disabled camera")

    @router.post("/admin/cameras/{code}/keys", include_in_schema=False)
    def issue_key_submit(request: Request, actor: Manager, code: str) -> Response:
        issued = _admin(request).issue_key(Actor.of(actor), code)
        return render(
            request, "cameras/issued.html", {"issued": issued, "created": False}, status_code=201
        )

    @router.post(
        "/api/v1/cameras/{code}/keys",
        response_model=IssuedCameraKey,
        status_code=201,
        tags=TAGS,
        responses=_ERRORS,
        summary="Issue another key (to rotate); answers its secret, once",
    )
    def issue_key_api(request: Request, actor: Manager, code: str) -> IssuedCameraKey:
        return _admin(request).issue_key(Actor.of(actor), code)

    @router.post("/admin/cameras/{code}/keys/{key_id}/revoke", include_in_schema=False)
    def revoke_key_submit(request: Request, actor: Manager, code: str, key_id: str) -> Response:
        _admin(request).revoke_key(Actor.of(actor), key_id, code=code)
        return RedirectResponse(f"/admin/cameras/{code}", status_code=303)

    @router.post(
        "/api/v1/cameras/{code}/keys/{key_id}/revoke",
        response_model=CameraKeyView,
        tags=TAGS,
        responses=_ERRORS,
        summary="Revoke a camera key: its requests are refused from now on",
    )
    def revoke_key_api(request: Request, actor: Manager, code: str, key_id: str) -> CameraKeyView:
        return _admin(request).revoke_key(Actor.of(actor), key_id, code=code)

    return router

"""Users and roles administration: pages under /admin and twins under /api/v1/users."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import RedirectResponse

from platekeeper.auth.admin import IssuedPassword, NewUser, UserAdmin, UserChanges, UserSummary
from platekeeper.auth.errors import AccessError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import ROLE_DESCRIPTIONS, ROLE_PERMISSIONS, Permission, Role
from platekeeper.web.access import requires, services_of
from platekeeper.web.errors import form_error, form_status
from platekeeper.web.rendering import render

Admin = Annotated[Principal, requires(Permission.USERS_MANAGE)]
TAGS: list[str | Enum] = ["users"]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed (role, own account, or region)"},
    404: {"description": "No such user in your region"},
    409: {"description": "Conflicts with the current state"},
}


class RoleView(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    description: str
    permissions: list[Permission]


def roles_view() -> list[RoleView]:
    return [
        RoleView(
            role=role,
            description=ROLE_DESCRIPTIONS[role],
            permissions=sorted(ROLE_PERMISSIONS[role]),
        )
        for role in Role
    ]


def build_router() -> APIRouter:
    router = APIRouter()

    def admin_of(request: Request) -> UserAdmin:
        return services_of(request).users

    # -- list and roles ---------------------------------------------------

    @router.get("/admin/users", include_in_schema=False)
    def users_page(request: Request, actor: Admin) -> Response:
        return render(request, "users/list.html", {"users": admin_of(request).list(actor)})

    @router.get(
        "/api/v1/users",
        response_model=list[UserSummary],
        tags=TAGS,
        summary="Accounts in your region",
    )
    def users_api(request: Request, actor: Admin) -> list[UserSummary]:
        return admin_of(request).list(actor)

    @router.get("/admin/roles", include_in_schema=False)
    def roles_page(request: Request, _actor: Admin) -> Response:
        return render(request, "users/roles.html", {"roles": roles_view()})

    @router.get(
        "/api/v1/roles",
        response_model=list[RoleView],
        tags=TAGS,
        summary="Roles and the permissions each grants",
    )
    def roles_api(_actor: Admin) -> list[RoleView]:
        return roles_view()

    # -- create -----------------------------------------------------------

    @router.get("/admin/users/new", include_in_schema=False)
    def new_user_page(request: Request, actor: Admin) -> Response:
        return render(request, "users/new.html", {"error": None, "form": {}, "actor": actor})

    @router.post("/admin/users", include_in_schema=False)
    def create_user_submit(
        request: Request,
        *,
        actor: Admin,
        username: Annotated[str, Form(max_length=64)],
        display_name: Annotated[str, Form(max_length=128)],
        role: Annotated[str, Form(max_length=32)],
        agency: Annotated[str, Form(max_length=64)],
        region: Annotated[str, Form(max_length=64)],
        all_regions: Annotated[bool, Form()] = False,
    ) -> Response:
        form = {
            "username": username,
            "display_name": display_name,
            "role": role,
            "agency": agency,
            "region": region,
            "all_regions": all_regions,
        }
        try:
            issued = admin_of(request).create(actor, NewUser.model_validate(form))
        except (AccessError, ValidationError) as exc:
            return render(
                request,
                "users/new.html",
                {"error": form_error(exc), "form": form, "actor": actor},
                status_code=form_status(exc),
            )
        return render(
            request, "users/issued.html", {"issued": issued, "created": True}, status_code=201
        )

    @router.post(
        "/api/v1/users",
        response_model=IssuedPassword,
        status_code=201,
        tags=TAGS,
        responses=_ERRORS,
        summary="Create an account; answers its one-time password",
    )
    def create_user_api(request: Request, actor: Admin, body: NewUser) -> IssuedPassword:
        return admin_of(request).create(actor, body)

    # -- one user ---------------------------------------------------------

    @router.get("/admin/users/{user_id}", include_in_schema=False)
    def user_page(request: Request, actor: Admin, user_id: int) -> Response:
        user = admin_of(request).get(actor, user_id)
        return render(
            request,
            "users/detail.html",
            {"user": user, "error": None, "self_view": user.id == actor.user_id},
        )

    @router.get(
        "/api/v1/users/{user_id}",
        response_model=UserSummary,
        tags=TAGS,
        responses=_ERRORS,
        summary="One account",
    )
    def user_api(request: Request, actor: Admin, user_id: int) -> UserSummary:
        return admin_of(request).get(actor, user_id)

    @router.post("/admin/users/{user_id}", include_in_schema=False)
    def update_user_submit(
        request: Request,
        *,
        actor: Admin,
        user_id: int,
        display_name: Annotated[str, Form(max_length=128)],
        role: Annotated[str, Form(max_length=32)],
        agency: Annotated[str, Form(max_length=64)],
        region: Annotated[str, Form(max_length=64)],
        all_regions: Annotated[bool, Form()] = False,
    ) -> Response:
        admin = admin_of(request)
        try:
            changes = UserChanges.model_validate(
                {
                    "display_name": display_name,
                    "role": role,
                    "agency": agency,
                    "region": region,
                    "all_regions": all_regions,
                }
            )
            admin.update(actor, user_id, changes)
        except (AccessError, ValidationError) as exc:
            user = admin.get(actor, user_id)
            return render(
                request,
                "users/detail.html",
                {"user": user, "error": form_error(exc), "self_view": user.id == actor.user_id},
                status_code=form_status(exc),
            )
        return RedirectResponse(f"/admin/users/{user_id}", status_code=303)

    @router.patch(
        "/api/v1/users/{user_id}",
        response_model=UserSummary,
        tags=TAGS,
        responses=_ERRORS,
        summary="Change role, region, agency or name",
    )
    def update_user_api(
        request: Request, actor: Admin, user_id: int, body: UserChanges
    ) -> UserSummary:
        return admin_of(request).update(actor, user_id, body)

    # -- state changes ----------------------------------------------------

    def add_state_change(
        name: str, call: Callable[[UserAdmin], Callable[..., UserSummary]], summary: str
    ) -> None:
        @router.post(
            f"/admin/users/{{user_id}}/{name}", include_in_schema=False, name=f"{name}_user_page"
        )
        def page(request: Request, actor: Admin, user_id: int) -> Response:
            try:
                call(admin_of(request))(actor, user_id)
            except AccessError as exc:
                user = admin_of(request).get(actor, user_id)
                return render(
                    request,
                    "users/detail.html",
                    {"user": user, "error": str(exc), "self_view": user.id == actor.user_id},
                    status_code=form_status(exc),
                )
            return RedirectResponse(f"/admin/users/{user_id}", status_code=303)

        @router.post(
            f"/api/v1/users/{{user_id}}/{name}",
            response_model=UserSummary,
            tags=TAGS,
            responses=_ERRORS,
            summary=summary,
            name=f"{name}_user_api",
        )
        def api(request: Request, actor: Admin, user_id: int) -> UserSummary:
            return call(admin_of(request))(actor, user_id)

    add_state_change("disable", lambda a: a.disable, "Disable an account and end its sessions")
    add_state_change("enable", lambda a: a.enable, "Enable a disabled account")
    add_state_change("unlock", lambda a: a.unlock, "Lift a sign-in lockout")

    @router.post("/admin/users/{user_id}/reset", include_in_schema=False)
    def reset_user_submit(request: Request, actor: Admin, user_id: int) -> Response:
        try:
            issued = admin_of(request).reset(actor, user_id)
        except AccessError as exc:
            user = admin_of(request).get(actor, user_id)
            return render(
                request,
                "users/detail.html",
                {"user": user, "error": str(exc), "self_view": user.id == actor.user_id},
                status_code=form_status(exc),
            )
        return render(request, "users/issued.html", {"issued": issued, "created": False})

    @router.post(
        "/api/v1/users/{user_id}/reset",
        response_model=IssuedPassword,
        tags=TAGS,
        responses=_ERRORS,
        summary="New one-time password; TOTP and recovery codes cleared",
    )
    def reset_user_api(request: Request, actor: Admin, user_id: int) -> IssuedPassword:
        return admin_of(request).reset(actor, user_id)

    return router

"""The settings page for administrators and its twin ``/api/v1/settings`` (read only)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, cast

from fastapi import APIRouter, Request, Response

from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.config import Settings
from platekeeper.web.access import requires
from platekeeper.web.rendering import render
from platekeeper.web.settings_view import SettingsSection, settings_view

Manager = Annotated[Principal, requires(Permission.SETTINGS_MANAGE)]
TAGS: list[str | Enum] = ["settings"]


def _sections(request: Request) -> list[SettingsSection]:
    return settings_view(cast("Settings", request.app.state.settings))


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/admin/settings", include_in_schema=False)
    def settings_page(request: Request, _actor: Manager) -> Response:
        return render(request, "settings.html", {"sections": _sections(request)})

    @router.get(
        "/api/v1/settings",
        response_model=list[SettingsSection],
        tags=TAGS,
        summary="The settings this server runs with (changed in its config, not here)",
    )
    def settings_api(request: Request, _actor: Manager) -> list[SettingsSection]:
        return _sections(request)

    return router

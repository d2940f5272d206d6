"""Server-rendered pages: the Jinja2 environment and the one way to render a page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from platekeeper import __version__
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import ROLE_DESCRIPTIONS
from platekeeper.web.navigation import NavItem, visible_nav
from platekeeper.web.settings import WebSettings


def build_templates(web: WebSettings) -> Jinja2Templates:
    env = Environment(
        loader=PackageLoader("platekeeper.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        app_version=__version__,
        web=web,
        role_descriptions={role.value: text for role, text in ROLE_DESCRIPTIONS.items()},
    )
    env.filters["when"] = _when
    return Jinja2Templates(env=env)


def _when(value: Any) -> str:
    if value is None:
        return "—"
    return cast("str", value.strftime("%Y-%m-%d %H:%M:%S UTC"))


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    principal: Principal | None = None,
) -> HTMLResponse:
    """Render ``template`` with the layout's context (who is signed in, what they may open)."""
    templates = cast("Jinja2Templates", request.app.state.templates)
    principal = principal or getattr(request.state, "principal", None)
    nav_items = cast("tuple[NavItem, ...]", request.app.state.nav)
    full = {
        "principal": principal,
        "nav": visible_nav(nav_items, principal) if principal else [],
        "path": request.url.path,
        **(context or {}),
    }
    return templates.TemplateResponse(request, template, full, status_code=status_code)

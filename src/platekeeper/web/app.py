"""The FastAPI application factory.

``create_app(settings, services)`` builds a complete app and holds no state
outside it: settings, services and templates live on ``app.state``. It
refuses to return an app in which any route lacks an access declaration.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from platekeeper import __version__
from platekeeper.config import Settings
from platekeeper.web.access import check_declarations
from platekeeper.web.errors import install_error_handlers
from platekeeper.web.navigation import Feature, NavItem
from platekeeper.web.rendering import build_templates
from platekeeper.web.routes import (
    alerts,
    approvals,
    audit,
    camera_admin,
    cameras,
    home,
    hotlists,
    ingest,
    login,
    reads,
    review,
    search,
    users,
    verify,
)
from platekeeper.web.routes import settings as settings_page
from platekeeper.web.security import (
    CrossOriginProtection,
    SecurityHeaders,
    content_security_policy,
)
from platekeeper.web.services import Services

logger = logging.getLogger(__name__)

API_DESCRIPTION = """\
The JSON twin of every page of platekeeper. Authentication is the same
session cookie as the pages (sign in through `/api/v1/login` and its steps);
state-changing requests from a browser must come from the same origin.
"""


def _with_store(services: Services) -> bool:
    return services.investigation is not None


def default_features() -> tuple[Feature, ...]:
    from platekeeper.auth.roles import Permission

    return (
        Feature("login", login.build_router),
        Feature(
            "home", home.build_router, nav=(NavItem(title="Dashboard", href="/", api="/api/v1/me"),)
        ),
        Feature(
            "reads",
            reads.build_router,
            nav=(
                NavItem(
                    title="Live reads",
                    href="/reads/live",
                    api="/api/v1/reads/live",
                    permission=Permission.READS_LIVE,
                ),
            ),
            enabled=_with_store,
        ),
        Feature(
            "search",
            search.build_router,
            nav=(
                NavItem(
                    title="Plate search",
                    href="/search",
                    api="/api/v1/search",
                    permission=Permission.PLATES_SEARCH,
                ),
                NavItem(
                    title="Journey",
                    href="/journey",
                    api="/api/v1/journey",
                    permission=Permission.JOURNEY_VIEW,
                ),
            ),
            enabled=_with_store,
        ),
        Feature(
            "review",
            review.build_router,
            nav=(
                NavItem(
                    title="Review",
                    href="/review",
                    api="/api/v1/violations",
                    permission=Permission.VIOLATIONS_REVIEW,
                ),
            ),
            enabled=_with_store,
        ),
        Feature("verify", verify.build_router, enabled=_with_store),
        Feature(
            "hotlists",
            hotlists.build_router,
            nav=(
                NavItem(
                    title="Hotlists",
                    href="/hotlists",
                    api="/api/v1/hotlists",
                    permission=Permission.HOTLISTS_MANAGE,
                ),
            ),
            enabled=_with_store,
        ),
        Feature(
            "approvals",
            approvals.build_router,
            nav=(
                NavItem(
                    title="Approvals",
                    href="/approvals",
                    api="/api/v1/approvals",
                    permission=Permission.SEARCH_APPROVE,
                ),
            ),
            enabled=_with_store,
        ),
        Feature(
            "cameras",
            cameras.build_router,
            nav=(
                NavItem(
                    title="Cameras",
                    href="/cameras",
                    api="/api/v1/cameras",
                    permission=Permission.CAMERAS_VIEW,
                ),
            ),
            enabled=_with_store,
        ),
        Feature(
            "camera_admin",
            camera_admin.build_router,
            nav=(
                NavItem(
                    title="Manage cameras",
                    href="/admin/cameras",
                    permission=Permission.CAMERAS_MANAGE,
                ),
            ),
            enabled=lambda s: s.cameras_admin is not None,
        ),
        Feature(
            "users",
            users.build_router,
            nav=(
                NavItem(
                    title="Users",
                    href="/admin/users",
                    api="/api/v1/users",
                    permission=Permission.USERS_MANAGE,
                ),
                NavItem(
                    title="Roles",
                    href="/admin/roles",
                    api="/api/v1/roles",
                    permission=Permission.USERS_MANAGE,
                ),
            ),
        ),
        Feature(
            "settings",
            settings_page.build_router,
            nav=(
                NavItem(
                    title="Settings",
                    href="/admin/settings",
                    api="/api/v1/settings",
                    permission=Permission.SETTINGS_MANAGE,
                ),
            ),
        ),
        Feature(
            "audit",
            audit.build_router,
            nav=(
                NavItem(
                    title="Audit log",
                    href="/audit",
                    api="/api/v1/audit",
                    permission=Permission.AUDIT_VIEW,
                ),
                NavItem(
                    title="Transparency",
                    href="/transparency",
                    api="/api/v1/transparency",
                    permission=Permission.TRANSPARENCY_VIEW,
                ),
            ),
        ),
        Feature("alerts", alerts.build_router, enabled=lambda s: s.alerts is not None),
        Feature("ingest", ingest.build_router, enabled=lambda s: s.ingest is not None),
    )


def create_app(
    settings: Settings,
    services: Services,
    *,
    features: Sequence[Feature] | None = None,
    background_checkpoints: bool = True,
) -> FastAPI:
    chosen = [f for f in (features or default_features()) if f.enabled(services)]

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = None
        if background_checkpoints:
            task = asyncio.create_task(
                _checkpoint_loop(services, settings.audit.checkpoint_interval_seconds)
            )
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="platekeeper",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = services
    app.state.templates = build_templates(settings.web)
    app.state.nav = tuple(item for f in chosen for item in f.nav)
    for feature in chosen:
        app.include_router(feature.router())
    app.mount("/static", StaticFiles(packages=[("platekeeper.web", "static")]), name="static")
    install_error_handlers(app)
    app.add_middleware(CrossOriginProtection, allowed_origins=settings.web.allowed_origins)
    app.add_middleware(SecurityHeaders, csp=content_security_policy(settings.web))
    app.state.access = check_declarations(app)
    return app


async def _checkpoint_loop(services: Services, interval: int) -> None:
    """Sign the head of the audit log every ``interval`` seconds when it has grown."""
    while True:
        await asyncio.sleep(interval)
        try:
            info = await run_in_threadpool(services.audit_log.checkpoint, services.db)
        except Exception:  # the loop must survive a database hiccup
            logger.exception("could not write an audit checkpoint")
            continue
        if info is not None:
            logger.info("audit checkpoint at entry %d", info.seq)

"""Live reads (page, JSON twin, server-sent events) and the images of reads.

Images are served only through the per-user, expiring links that a search
result or the live view handed out, and each one opened is audited.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.web.access import requires, services_of, signed_in
from platekeeper.web.live import LiveReads, LiveReadsPage, live_events
from platekeeper.web.rendering import render

Watcher = Annotated[Principal, requires(Permission.READS_LIVE)]
Anyone = Annotated[Principal, signed_in()]
TAGS: list[str | Enum] = ["reads"]
Token = Annotated[str, Path(min_length=16, max_length=96, pattern=r"^[A-Za-z0-9_-]+$")]


def _live(request: Request) -> LiveReads:
    found = services_of(request).live
    if found is None:  # mounted only with the store; a safety net
        raise HTTPException(status_code=404)
    return found


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/reads/live", include_in_schema=False)
    def live_page(request: Request, actor: Watcher) -> Response:
        live = _live(request)
        live.opened(actor, "page")
        return render(request, "reads_live.html", {"page": live.recent(actor)})

    @router.get(
        "/api/v1/reads/live",
        response_model=LiveReadsPage,
        tags=TAGS,
        summary="The newest reads of your regions' cameras (the last minutes)",
    )
    def live_api(
        request: Request, actor: Watcher, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> LiveReadsPage:
        live = _live(request)
        live.opened(actor, "api")
        return live.recent(actor, limit=limit)

    @router.get(
        "/api/v1/reads/stream",
        tags=TAGS,
        summary="Server-sent events: one 'read' event per new read in your regions",
        response_class=StreamingResponse,
    )
    async def live_stream(request: Request, actor: Watcher) -> StreamingResponse:
        live = _live(request)
        await run_in_threadpool(live.opened, actor, "stream")
        settings = request.app.state.settings.alerts
        events = live_events(
            live,
            actor,
            max_seconds=settings.stream_max_seconds,
            heartbeat_s=settings.stream_heartbeat_s,
        )
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @router.get(
        "/api/v1/evidence/{token}",
        tags=TAGS,
        summary="An image of a read you were shown (link from a search or the live view)",
        response_class=Response,
        responses={404: {"description": "No such image, expired link, or not yours"}},
    )
    def evidence(request: Request, actor: Anyone, token: Token) -> Response:
        investigation = services_of(request).investigation
        if investigation is None:
            raise HTTPException(status_code=404)
        media_type, data = investigation.evidence(actor, token)
        return Response(
            data,
            media_type=media_type,
            headers={"Cache-Control": "private, no-store", "Content-Disposition": "inline"},
        )

    return router

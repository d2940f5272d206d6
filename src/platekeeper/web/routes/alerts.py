"""Live alerts for the dashboard: a server-sent event stream and its JSON twin.

Both need ``reads.live`` and show only alerts of the regions the user's
scope covers. What they carry is the plate-free alert payload; opening the
finding behind an alert (with its plate and evidence) is a review page,
audited like every view of a plate.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import StreamingResponse

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.model import Alert
from platekeeper.alerts.sse import alert_events
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.web.access import requires, services_of

LiveViewer = Annotated[Principal, requires(Permission.READS_LIVE)]
TAGS: list[str | Enum] = ["alerts"]


class AlertView(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int = Field(description="Order of the alert; the SSE event id")
    id: str = Field(description="Opaque alert id")
    offence: str
    priority: int
    camera: str
    region: str
    lists: list[str]
    captured_at: str
    raised_at: str


class AlertList(BaseModel):
    alerts: list[AlertView]
    last_seq: int = Field(description="Pass as Last-Event-ID to stream what follows")


def _bus(request: Request) -> AlertBus:
    bus = services_of(request).alerts
    if bus is None:  # the feature is mounted only with a bus; this is a safety net
        raise HTTPException(status_code=404)
    return bus


def _view(alert: Alert) -> AlertView:
    p = alert.payload()
    return AlertView(
        seq=alert.seq,
        id=alert.id,
        offence=alert.offence,
        priority=alert.priority,
        camera=alert.camera,
        region=alert.region,
        lists=list(alert.lists),
        captured_at=p["captured_at"],
        raised_at=p["raised_at"],
    )


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get(
        "/api/v1/alerts",
        response_model=AlertList,
        tags=TAGS,
        summary="Recent alerts in your regions, oldest first",
    )
    def alert_list(
        request: Request,
        viewer: LiveViewer,
        after: Annotated[int, Query(ge=0, description="Only alerts after this seq")] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> AlertList:
        bus = _bus(request)
        found = [a for a in bus.since(after) if viewer.scope.covers(a.region)]
        return AlertList(alerts=[_view(a) for a in found[-limit:]], last_seq=bus.last_seq)

    @router.get(
        "/api/v1/alerts/stream",
        tags=TAGS,
        summary="Server-sent events: one 'alert' event per new alert in your regions",
        response_class=StreamingResponse,
    )
    async def alert_stream(
        request: Request,
        viewer: LiveViewer,
        last_event_id: Annotated[
            str | None, Header(alias="Last-Event-ID", max_length=20, pattern=r"^\d+$")
        ] = None,
    ) -> StreamingResponse:
        bus = _bus(request)
        settings = request.app.state.settings.alerts
        scope = viewer.scope
        events = alert_events(
            bus,
            accept=lambda alert: scope.covers(alert.region),
            last_event_id=int(last_event_id) if last_event_id is not None else None,
            max_seconds=settings.stream_max_seconds,
            heartbeat_s=settings.stream_heartbeat_s,
        )
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router

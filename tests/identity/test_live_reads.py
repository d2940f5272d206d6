"""Live reads: the recent reads of one's regions, the page, the audited opening,
and the event stream that sends each new read once."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta

from fastapi import FastAPI
from identity_helpers import Clock, add_user, new_client, sign_in
from investigation_helpers import Sightings, add_live_read
from sqlalchemy import func, select

from platekeeper.audit.models import AuditEntry
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Role, Scope, permissions_for
from platekeeper.store.facade import Store
from platekeeper.web.live import live_events
from platekeeper.web.services import Services


def audited(services: Services, action: str) -> int:
    with services.db.read() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
            or 0
        )


def test_recent_reads_of_own_region_only(
    store_app: FastAPI,
    store_services: Services,
    web_store: Store,
    clock: Clock,
    sightings: Sightings,
) -> None:
    north = add_live_read(web_store, clock() - timedelta(minutes=1), "10B777QQ")
    add_live_read(web_store, clock() - timedelta(minutes=2), "95H321LA", camera="SAM-001")
    add_live_read(web_store, clock() - timedelta(minutes=30), "30C444DD")  # before the window
    account = add_user(store_services, "otto", Role.OPERATOR)
    with sign_in(new_client(store_app), account, clock) as c:
        page = c.get("/api/v1/reads/live").json()
        assert [r["id"] for r in page["reads"]] == [north]
        assert page["reads"][0]["plate"] == "10B777QQ"
        assert page["cameras"] == 2
        html = c.get("/reads/live")
        assert html.status_code == 200
        assert "10B777QQ" in html.text
        assert "95H321LA" not in html.text
        assert 'data-live-stream="/api/v1/reads/stream"' in html.text
        thumb = c.get(page["reads"][0]["crop_url"])
        assert thumb.status_code == 200
        assert thumb.content[:2] == b"\xff\xd8"
    assert audited(store_services, "reads.live") == 2
    assert audited(store_services, "evidence.view") == 1


def test_the_stream_sends_each_new_read_once(
    store_services: Services, web_store: Store, clock: Clock, sightings: Sightings
) -> None:
    account = add_user(store_services, "otto", Role.OPERATOR)
    live = store_services.live
    assert live is not None
    principal = Principal(
        user_id=account.id,
        username=account.username,
        display_name="Otto",
        role=Role.OPERATOR,
        scope=Scope("traffic police", "north"),
        permissions=permissions_for(Role.OPERATOR),
        session_id=0,
    )
    first = add_live_read(web_store, clock() - timedelta(seconds=5), "10B777QQ")

    async def collect() -> list[dict[str, object]]:
        got: list[dict[str, object]] = []
        stream = live_events(live, principal, max_seconds=4.0, poll_s=0.2, heartbeat_s=1.0)
        added = False
        async for chunk in stream:
            for block in chunk.decode().split("\n\n"):
                if block.startswith("event: read"):
                    got.append(json.loads(block.split("data: ", 1)[1]))
            if got and not added:
                added = True
                # Another writer (say, the worker process) stores a read meanwhile.
                threading.Thread(
                    target=add_live_read, args=(web_store, clock(), "01A123BC")
                ).start()
                threading.Thread(
                    target=add_live_read,
                    args=(web_store, clock(), "95H321LA", "SAM-001"),
                ).start()
        return got

    got = asyncio.run(collect())
    assert next(g["id"] for g in got) == first
    assert [g["plate"] for g in got] == ["10B777QQ", "01A123BC"]  # once each, no south

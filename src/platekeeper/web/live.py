"""Live reads: the newest reads of the cameras of a person's regions.

The page and its JSON twin list the reads of the last minutes; the
server-sent event stream polls the store once a second and sends each new
read once (the reads may come from another process — a worker or a second
server — so the database, not an in-process bus, is the source). Opening
the view is audited; each image opened from it is audited on its own.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from platekeeper.audit.log import AuditLog
from platekeeper.auth.principal import Principal
from platekeeper.auth.trail import Clock
from platekeeper.store.engine import Database
from platekeeper.web.investigation import Investigation, ReadView, read_view

RETRY_MS = 3000
# Reads reach the store a little after their capture (edge batching, a
# worker's queue): the stream looks back this far past the newest it sent.
LATE_ARRIVAL = timedelta(seconds=90)


class LiveReadsPage(BaseModel):
    reads: list[ReadView] = Field(description="Newest first")
    as_of: datetime
    cameras: int = Field(description="Cameras of your regions")


class LiveReads:
    def __init__(
        self,
        investigation: Investigation,
        audit_db: Database,
        audit: AuditLog,
        *,
        window: timedelta,
        clock: Clock,
    ) -> None:
        self.investigation = investigation
        self.db = audit_db
        self.audit = audit
        self.window = window
        self.clock = clock

    def opened(self, actor: Principal, view: str) -> None:
        """Record that ``actor`` opened the live view (the page or the stream)."""
        with self.db.write() as s:
            self.audit.record(
                s,
                "reads.live",
                actor_id=actor.user_id,
                actor=actor.username,
                client_address=actor.client_address,
                details={"view": view},
            )

    def recent(
        self, actor: Principal, *, since: datetime | None = None, limit: int = 50
    ) -> LiveReadsPage:
        now = self.clock()
        floor = now - self.window
        cameras = self.investigation.cameras_of(actor)
        reads = self.investigation.store.reads.latest(
            [c.id for c in cameras], max(since, floor) if since else floor, limit
        )
        links = self.investigation.links
        return LiveReadsPage(
            reads=[read_view(r, actor, links) for r in reads], as_of=now, cameras=len(cameras)
        )


def encode(read: ReadView) -> bytes:
    data = json.dumps(read.model_dump(mode="json"), separators=(",", ":"))
    return f"event: read\ndata: {data}\n\n".encode()


async def live_events(
    live: LiveReads,
    actor: Principal,
    *,
    max_seconds: float = 300.0,
    poll_s: float = 1.0,
    heartbeat_s: float = 15.0,
) -> AsyncIterator[bytes]:
    """The byte chunks of one SSE connection: each new read once, oldest first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    sent: OrderedDict[int, None] = OrderedDict()
    since: datetime | None = None
    quiet = 0.0
    yield f"retry: {RETRY_MS}\n\n".encode()
    while loop.time() < deadline:
        page = await run_in_threadpool(live.recent, actor, since=since, limit=200)
        fresh = [r for r in reversed(page.reads) if r.id not in sent]
        for read in fresh:
            sent[read.id] = None
            yield encode(read)
        while len(sent) > 5000:
            sent.popitem(last=False)
        if page.reads:
            since = page.reads[0].captured_at - LATE_ARRIVAL
        quiet = 0.0 if fresh else quiet + poll_s
        if quiet >= heartbeat_s:
            quiet = 0.0
            yield b": keep-alive\n\n"
        await asyncio.sleep(min(poll_s, max(0.0, deadline - loop.time())))

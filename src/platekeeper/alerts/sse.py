"""Server-sent events of the alert bus, for the dashboard.

Each connection subscribes to the bus through a bounded asyncio queue fed
from the bus's thread (``call_soon_threadsafe``). The event id is the bus's
sequence number, so a browser that reconnects with ``Last-Event-ID`` gets
what it missed from the bus's ring first. A stream ends after
``max_seconds`` (the browser reconnects by itself after ``retry``), which
keeps proxies from cutting it at random and lets a server shut down
cleanly; between alerts a comment line keeps it alive. A client too slow to
drain its queue is told so with a ``gap`` event and should reload the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.model import Alert

RETRY_MS = 2000


def encode(alert: Alert) -> bytes:
    data = json.dumps(alert.payload(), separators=(",", ":"))
    return f"id: {alert.seq}\nevent: alert\ndata: {data}\n\n".encode()


async def alert_events(
    bus: AlertBus,
    *,
    accept: Callable[[Alert], bool],
    last_event_id: int | None = None,
    max_seconds: float = 300.0,
    heartbeat_s: float = 15.0,
    queue_size: int = 1000,
) -> AsyncIterator[bytes]:
    """The byte chunks of one SSE connection."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Alert] = asyncio.Queue(maxsize=queue_size)
    overflowed = False

    def put(alert: Alert) -> None:
        nonlocal overflowed
        try:
            queue.put_nowait(alert)
        except asyncio.QueueFull:
            overflowed = True

    def deliver(alert: Alert) -> None:  # on the bus's thread
        with contextlib.suppress(RuntimeError):  # the loop has closed: the stream is gone
            loop.call_soon_threadsafe(put, alert)

    unsubscribe = bus.subscribe(deliver)  # before the replay, so nothing falls between
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        last = bus.last_seq if last_event_id is None else last_event_id
        if last_event_id is not None:
            for alert in bus.since(last_event_id):
                last = alert.seq
                if accept(alert):
                    yield encode(alert)
        deadline = loop.time() + max_seconds
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                alert = await asyncio.wait_for(queue.get(), min(heartbeat_s, remaining))
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if overflowed:
                overflowed = False
                yield b"event: gap\ndata: {}\n\n"
            if alert.seq <= last:
                continue
            last = alert.seq
            if accept(alert):
                yield encode(alert)
    finally:
        unsubscribe()

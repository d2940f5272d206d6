"""``platekeeper worker``: central recognition of queued camera frames.

Run as many as the CPUs allow, on any machine that reaches the database and
the queue (NATS JetStream in the scale-out configuration). ``serve`` with
the embedded queue runs one itself.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from platekeeper.commands.context import app_context, fail


def worker(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Process what is queued now, then exit.")
    ] = False,
) -> None:
    """Recognise queued frames and store their reads."""
    from platekeeper.commands.webstack import open_store_if_initialised
    from platekeeper.ingest.wiring import frame_worker, open_queue, work

    settings = app_context(ctx).settings()
    store = open_store_if_initialised(settings)
    if store is None:
        fail("no master key yet: run `platekeeper init` first")
        return
    queue = open_queue(settings, store)
    try:
        frames = frame_worker(settings, store, queue)
        if once:
            while frames.run_once():
                pass
        else:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                work(frames, stop)
            except KeyboardInterrupt:
                stop.set()
        typer.echo(f"processed {frames.frames} frame(s), stored {frames.reads} read(s)")
    finally:
        queue.close()
        store.close()

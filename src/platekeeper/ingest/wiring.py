"""Building the camera door and its queue from settings, for ``serve`` and
``worker``; and the loop a worker runs."""

from __future__ import annotations

import logging
import threading

from platekeeper.config import Settings
from platekeeper.ingest.camera_keys import CameraKeys
from platekeeper.ingest.queue import Sealer, TableQueue, WorkQueue
from platekeeper.ingest.service import IngestGateway, IngestService
from platekeeper.ingest.worker import FrameWorker
from platekeeper.recognition import Recognizer
from platekeeper.store.facade import Store

logger = logging.getLogger(__name__)


def open_queue(settings: Settings, store: Store) -> WorkQueue:
    sealer = Sealer(store.vault)
    url = settings.ingest.queue_url
    if url == "local":
        return TableQueue(store.db, sealer)
    from platekeeper.ingest.jetstream import JetStreamQueue

    stream = settings.ingest.queue_stream
    return JetStreamQueue(url, sealer, stream=stream, subject=f"platekeeper.{stream}")


def gateway(settings: Settings, store: Store, queue: WorkQueue | None) -> IngestGateway:
    keys = CameraKeys(store.db, store.vault, window=settings.ingest.signature_window_seconds)
    return IngestGateway(keys, IngestService(store.reads), queue)


def frame_worker(settings: Settings, store: Store, queue: WorkQueue) -> FrameWorker:
    return FrameWorker(
        queue,
        Recognizer(settings.recognition),
        IngestService(store.reads),
        countries=list(settings.ingest.countries) or None,
    )


def work(worker: FrameWorker, stop: threading.Event, idle_seconds: float = 0.5) -> None:
    """Process frames until ``stop`` is set; wait a little whenever none is queued."""
    while not stop.is_set():
        try:
            taken = worker.run_once()
        except Exception:
            logger.exception("the work queue failed; trying again shortly")
            taken = 0
        if not taken:
            stop.wait(idle_seconds)

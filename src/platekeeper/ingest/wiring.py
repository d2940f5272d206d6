"""Building the camera door and its queue from settings, for ``serve`` and
``worker``; the loop a worker runs; the door with its helpers running."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from platekeeper.config import Settings
from platekeeper.ingest.camera_keys import CameraKeys
from platekeeper.ingest.queue import Sealer, TableQueue, WorkQueue
from platekeeper.ingest.service import IngestGateway, IngestService
from platekeeper.ingest.worker import FrameWorker
from platekeeper.recognition import Recognizer
from platekeeper.store.facade import Store

if TYPE_CHECKING:
    from platekeeper.ingest.mqtt import TopicHandler

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
        lambda: Recognizer(settings.recognition),
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


@contextmanager
def running_door(
    settings: Settings, store: Store, *, topics: Mapping[str, TopicHandler] | None = None
) -> Iterator[IngestGateway]:
    """The camera door with what runs beside it: the MQTT listener when a
    broker is set (with the handlers of ``topics`` beside reads and frames),
    and, on the embedded queue, the recognition worker that the single
    ``serve`` process runs itself."""
    from platekeeper.ingest.mqtt import MqttIngest

    queue = open_queue(settings, store)
    door = gateway(settings, store, queue)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    listener = None
    try:
        if settings.ingest.mqtt_host:
            listener = MqttIngest(
                door,
                host=settings.ingest.mqtt_host,
                port=settings.ingest.mqtt_port,
                prefix=settings.ingest.mqtt_prefix,
                topics=topics,
            )
            listener.start()
        if settings.ingest.queue_url == "local":
            worker = frame_worker(settings, store, queue)
            threads.append(threading.Thread(target=work, args=(worker, stop), daemon=True))
            threads[-1].start()
        yield door
    finally:
        stop.set()
        if listener is not None:
            listener.stop()
        for thread in threads:
            thread.join(timeout=30)
        queue.close()

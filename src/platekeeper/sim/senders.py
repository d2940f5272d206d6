"""Posting the simulated cameras' batches from a few threads at once.

One thread that posts every bank's batches in turn waits for each answer
before it sends the next: while the server stores one batch the sender
idles, and while the sender builds and signs the next the server does.
With a few threads, each owning a fixed group of cameras, one batch is in
flight while the next is being stored; a camera's batches still go in
order, from its one thread. A queue of a few batches per thread holds the
feed back when the server is slower than the feed.
"""

from __future__ import annotations

import logging
import queue
import threading
import zlib
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

Post = Callable[[str, list[dict[str, Any]]], None]
QUEUED = 4  # batches waiting per thread


class Senders:
    """``threads`` threads posting with ``post`` (one: the caller posts)."""

    def __init__(self, post: Post, threads: int = 1) -> None:
        if not 1 <= threads <= 64:
            raise ValueError("between 1 and 64 sender threads")
        self._post = post
        self._queues: list[queue.Queue[tuple[str, list[dict[str, Any]]] | None]] = []
        self._threads: list[threading.Thread] = []
        if threads == 1:
            return
        for n in range(threads):
            waiting: queue.Queue[tuple[str, list[dict[str, Any]]] | None] = queue.Queue(QUEUED)
            thread = threading.Thread(
                target=self._run, args=(waiting,), daemon=True, name=f"sim-sender-{n}"
            )
            thread.start()
            self._queues.append(waiting)
            self._threads.append(thread)

    @property
    def threads(self) -> int:
        return max(1, len(self._threads))

    def send(self, camera: str, reads: list[dict[str, Any]]) -> None:
        """Post ``reads`` as ``camera``'s: now, or queued to its thread."""
        if not self._queues:
            self._post(camera, reads)
            return
        # A fixed group per camera (not Python's salted hash): its batches
        # keep their order.
        self._queues[zlib.crc32(camera.encode()) % len(self._queues)].put((camera, reads))

    def wait(self) -> None:
        """Return once every batch handed over so far has been answered."""
        for waiting in self._queues:
            waiting.join()

    def close(self) -> None:
        """Send what is queued, then end the threads."""
        for waiting in self._queues:
            waiting.put(None)
        for thread in self._threads:
            thread.join()
        self._queues.clear()
        self._threads.clear()

    def _run(self, waiting: queue.Queue[tuple[str, list[dict[str, Any]]] | None]) -> None:
        while True:
            item = waiting.get()
            try:
                if item is None:
                    return
                self._post(*item)
            except Exception:  # one failed batch must not end the camera group's thread
                logger.exception("simulated camera: a batch could not be sent")
            finally:
                waiting.task_done()

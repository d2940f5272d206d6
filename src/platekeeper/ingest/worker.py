"""Central recognition: workers take queued frames, read their plates and
store the reads, through the same idempotent ingest as edge reads.

A frame's reads are keyed by the frame's own key and the plate's place in
it, so a frame delivered twice (its worker died after storing, before
``done``) stores nothing twice. A frame that cannot be decoded, or whose
reads the store refuses, is finished with a log line (retrying would not
change it); any other failure gives the frame back for another try.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import datetime

from platekeeper.edge.folder import read_entry
from platekeeper.ingest.camera_keys import VerifiedCamera
from platekeeper.ingest.payloads import ReadBatch
from platekeeper.ingest.queue import Job, WorkQueue
from platekeeper.ingest.service import IngestService
from platekeeper.recognition import ImageError, Recognizer
from platekeeper.recognition.imageio import decode_image
from platekeeper.store.errors import InvalidRead

logger = logging.getLogger(__name__)


class FrameWorker:
    def __init__(
        self,
        queue: WorkQueue,
        recognizer: Recognizer | Callable[[], Recognizer],
        ingest: IngestService,
        *,
        countries: list[str] | None = None,
        lease_seconds: float = 120.0,
    ) -> None:
        self.queue = queue
        self._recognizer = recognizer
        self.ingest = ingest
        self.countries = countries
        self.lease_seconds = lease_seconds
        self.frames = 0
        self.reads = 0

    @property
    def recognizer(self) -> Recognizer:
        """Made on first use when given as a factory: a server whose cameras
        send no frames never loads the models."""
        if not isinstance(self._recognizer, Recognizer):
            self._recognizer = self._recognizer()
        return self._recognizer

    def run_once(self, limit: int = 4) -> int:
        """Process up to ``limit`` queued frames; returns how many were taken."""
        jobs = self.queue.take(limit, self.lease_seconds)
        for job in jobs:
            try:
                self._process(job)
            except (ImageError, InvalidRead, ValueError) as exc:
                logger.warning("frame %s finished without reads: %s", job.message_id, exc)
                self.queue.done(job)
            except Exception:
                logger.exception("frame %s failed; giving it back", job.message_id)
                self.queue.retry(job)
            else:
                self.queue.done(job)
                self.frames += 1
        return len(jobs)

    def _process(self, job: Job) -> None:
        message = json.loads(job.payload)
        data = base64.b64decode(message["jpeg"])
        image = decode_image(data, max_pixels=self.recognizer.settings.max_pixels)
        plates = self.recognizer.read(image, countries=self.countries)
        if not plates:
            return
        captured_at = datetime.fromisoformat(message["captured_at"])
        reads = [
            read_entry(f"frame-{message['key']}-{i}", captured_at, plate, frame_jpeg=data)
            for i, plate in enumerate(plates)
        ]
        camera = VerifiedCamera("", int(message["camera_id"]), str(message["camera"]))
        result = self.ingest.ingest(camera, ReadBatch.model_validate({"reads": reads}))
        self.reads += result.stored

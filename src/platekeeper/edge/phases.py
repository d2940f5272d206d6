"""Signal phases the agent reads from its video, sent to the central signal
door (``POST /api/v1/signals/phases``) signed with the camera's key.

Phase changes are few (one every few seconds at most), so they are kept in
memory and sent by the agent's delivery thread, never by the thread that
reads the video (a server that does not answer must not hold up the
frames); a batch that gets no answer stays and goes with the next try.
Unlike reads they are not kept across a restart: a lost phase leaves the
crossings of its span undetermined on the server, which raises nothing
rather than something wrong. A 4xx is the server refusing the events for
good (a head not of this camera's bank, a time in the future): they are
dropped and logged, with the reason.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime

import httpx

from platekeeper.ingest.signing import sign

logger = logging.getLogger(__name__)

PATH = "/api/v1/signals/phases"
MAX_PENDING = 500


class PhaseSender:
    def __init__(self, client: httpx.Client, key_id: str, secret: bytes, signal: str) -> None:
        self.client = client
        self.key_id = key_id
        self.secret = secret
        self.signal = signal
        self.pending: list[dict[str, str]] = []
        self.sent = 0
        self.refused = 0
        # The video thread queues while the delivery thread sends.
        self._lock = threading.Lock()

    def queue(self, at: datetime, phase: str) -> None:
        """Keep one change for the next :meth:`flush` (the video thread's part)."""
        with self._lock:
            if len(self.pending) >= MAX_PENDING:
                self.pending.pop(0)  # the oldest is the least likely still to matter
            self.pending.append({"signal": self.signal, "at": at.isoformat(), "phase": phase})

    def add(self, at: datetime, phase: str) -> None:
        """Queue one change and try to send what is queued."""
        self.queue(at, phase)
        self.flush()

    def flush(self) -> bool:
        """Send what is queued; True when nothing is left to send."""
        with self._lock:
            batch = list(self.pending)
        if not batch:
            return True
        body = json.dumps({"events": batch}).encode()
        headers = sign(self.key_id, self.secret, "POST", PATH, body)
        headers["Content-Type"] = "application/json"
        try:
            answer = self.client.post(PATH, content=body, headers=headers)
        except httpx.HTTPError as exc:
            logger.warning("signal phases not sent (%s); kept for the next try", type(exc).__name__)
            return False
        if 200 <= answer.status_code < 300:
            self.sent += len(batch)
        elif 400 <= answer.status_code < 500:
            self.refused += len(batch)
            logger.error(
                "the server refused %d signal phase(s): %s %s",
                len(batch),
                answer.status_code,
                answer.text[:200],
            )
        else:
            logger.warning("signal phases not taken (%s); kept", answer.status_code)
            return False
        done = {id(event) for event in batch}
        with self._lock:
            # By identity: changes queued (or dropped at the cap) meanwhile stay as they are.
            self.pending = [event for event in self.pending if id(event) not in done]
            return not self.pending

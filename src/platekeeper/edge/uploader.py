"""Delivering the outbox to the central ingest, exactly once, in order.

The uploader sends the oldest entries as one signed batch and marks them
delivered only after the server's 2xx (which means stored). A lost answer,
a dead link or a killed agent means the batch is sent again; the server's
idempotency keys make the repeat harmless. One batch is in flight at a
time, so a camera's reads arrive in the order they were put.

Answers decide what happens next:

* 2xx: delivered;
* 422 naming one read: that read is set aside (dead letter), the rest retried;
  422 for the whole batch (a malformed body): the oldest read is set aside;
* 401/403: the key is wrong or revoked: nothing is dropped, the alarm is
  raised and the uploader waits for an operator;
* 413: the batch is halved;
* anything else, or no answer: retry with exponential back-off and jitter.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from platekeeper.edge.outbox import Entry, Outbox
from platekeeper.ingest.signing import sign

logger = logging.getLogger(__name__)

PATH = "/api/v1/ingest/reads"
_READ_INDEX = re.compile(r"^read (\d+): ")


@dataclass
class UploadState:
    delivered: int = 0
    attempts: int = 0
    failures: int = 0
    alarm: str | None = None


class Uploader:
    def __init__(
        self,
        outbox: Outbox,
        client: httpx.Client,
        key_id: str,
        secret: bytes,
        *,
        batch: int = 50,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.key_id = key_id
        self.secret = secret
        self.batch = batch
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.state = UploadState()
        self._backoff = 0.5

    def send_once(self) -> bool:
        """Try to deliver one batch. True when it was delivered (or there was
        nothing to send); False when the caller should wait and retry."""
        entries = self.outbox.peek(self.batch)
        if not entries:
            return True
        body = json.dumps({"reads": [e.read for e in entries]}).encode()
        headers = sign(self.key_id, self.secret, "POST", PATH, body)
        headers["Content-Type"] = "application/json"
        self.state.attempts += 1
        try:
            answer = self.client.post(PATH, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return self._failed(f"no answer from the server ({type(exc).__name__})")
        return self._answered(entries, answer)

    def _answered(self, entries: list[Entry], answer: httpx.Response) -> bool:
        status = answer.status_code
        if 200 <= status < 300:
            self.outbox.delivered([e.seq for e in entries])
            self.state.delivered += len(entries)
            self.state.alarm = None
            self._backoff = 0.5
            return True
        reason = _detail(answer)
        if status in (401, 403):
            self.state.alarm = f"the server refuses this camera's key ({status}: {reason})"
            logger.error("%s", self.state.alarm)
            return self._failed(self.state.alarm)
        if status == 413 and self.batch > 1:
            self.batch = max(1, self.batch // 2)
            return False
        if status == 422:
            self._set_aside(entries, reason)
            return True
        return self._failed(f"server answered {status}")

    def _set_aside(self, entries: list[Entry], reason: str) -> None:
        match = _READ_INDEX.match(reason)
        index = int(match.group(1)) if match else 0
        if index >= len(entries):
            index = 0
        self.outbox.dead_letter(entries[index], reason)

    def _failed(self, why: str) -> bool:
        self.state.failures += 1
        logger.warning("upload failed: %s; retrying in %.1f s", why, self._backoff)
        return False

    def wait(self) -> None:
        """Back off before the next try (exponential, with jitter, capped)."""
        self.sleep(self._backoff * random.uniform(0.5, 1.0))
        self._backoff = min(self.max_backoff, self._backoff * 2)

    def drain(self, *, until: Callable[[], bool] | None = None) -> None:
        """Send until the outbox is empty, ``until`` says stop, or the server
        refuses the key (the alarm says so; nothing is dropped)."""
        while self.outbox.pending():
            if until is not None and until():
                return
            if not self.send_once():
                if self.state.alarm:
                    return
                self.wait()


def _detail(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail", "")
    except (ValueError, AttributeError):
        return answer.text[:200]
    return str(detail)[:500]

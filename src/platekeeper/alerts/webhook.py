"""Webhook delivery of alerts: HMAC-signed POSTs, retried with exponential
back-off and jitter, dead-lettered after ``max_attempts``.

A request carries the plate-free alert payload as JSON and the headers

- ``X-Platekeeper-Timestamp``: Unix seconds when this attempt was signed;
- ``X-Platekeeper-Signature``: ``v1=`` + hex HMAC-SHA256 of
  ``"<timestamp>." + body`` under the webhook's secret (a receiver checks it
  with :func:`verify_signature` and refuses stale timestamps: no replay);
- ``X-Platekeeper-Delivery``: the delivery id, the same on every retry, for
  the receiver's idempotency.

A 2xx answer is success. A timeout, a connection failure, 408, 429 or a 5xx
is retried; any other answer (the receiver refuses it) goes straight to the
dead-letter sink, as does a delivery whose attempts ran out. Redirects are
not followed. Logs name the webhook, never its URL (it may hold a token).

Deliveries wait in memory, bounded by ``max_pending``; a restart loses what
is pending (the store's alert table will make them durable).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from platekeeper.alerts.model import Alert

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Platekeeper-Signature"
TIMESTAMP_HEADER = "X-Platekeeper-Timestamp"
DELIVERY_HEADER = "X-Platekeeper-Delivery"
RETRY_STATUS = frozenset({408, 429})


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_signature(
    secret: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: float = 300.0,
    now: float | None = None,
) -> bool:
    """What a receiver does: check the signature and the timestamp's freshness."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered[TIMESTAMP_HEADER.lower()])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    return hmac.compare_digest(given, sign(secret, timestamp, body))


@dataclass(frozen=True)
class WebhookTarget:
    name: str
    url: str = field(repr=False)
    secret: bytes = field(repr=False)
    offences: frozenset[str] | None = None
    max_attempts: int = 6
    backoff_initial_s: float = 2.0
    backoff_max_s: float = 600.0
    timeout_s: float = 5.0

    def wants(self, alert: Alert) -> bool:
        return self.offences is None or alert.offence in self.offences

    def backoff(self, attempts: int, rng: random.Random) -> float:
        """Delay before attempt ``attempts + 1``: exponential, capped, with full jitter
        over its upper half so that receivers coming back are not stampeded."""
        ceiling = min(self.backoff_max_s, self.backoff_initial_s * 2.0 ** (attempts - 1))
        return float(ceiling * (0.5 + 0.5 * rng.random()))


@dataclass(frozen=True)
class DeadLetter:
    webhook: str
    delivery: str
    attempts: int
    reason: str
    payload: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(
            {
                "webhook": self.webhook,
                "delivery": self.delivery,
                "attempts": self.attempts,
                "reason": self.reason,
                "payload": self.payload,
            },
            separators=(",", ":"),
        )


class DeadLetterSink(Protocol):
    def put(self, letter: DeadLetter) -> None: ...


class MemoryDeadLetters:
    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []
        self._lock = threading.Lock()

    def put(self, letter: DeadLetter) -> None:
        with self._lock:
            self.letters.append(letter)


class FileDeadLetters:
    """Dead letters appended to a JSON-lines file (payloads hold no plate)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def put(self, letter: DeadLetter) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(letter.to_json() + "\n")


@dataclass
class _Delivery:
    target: WebhookTarget
    id: str
    body: bytes
    payload: dict[str, Any]
    attempts: int = 0
    last_error: str = ""


class WebhookDispatcher:
    """Sends alerts to webhooks from ``threads`` background threads."""

    def __init__(
        self,
        targets: list[WebhookTarget],
        dead_letters: DeadLetterSink,
        *,
        threads: int = 2,
        max_pending: int = 10_000,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
    ) -> None:
        self.targets = list(targets)
        self.dead_letters = dead_letters
        self.max_pending = max_pending
        self._client = client or httpx.Client(follow_redirects=False)
        self._owns_client = client is None
        self._clock = clock
        self._rng = random.Random(seed)
        self._heap: list[tuple[float, int, _Delivery]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._run, name=f"webhooks-{i}", daemon=True)
            for i in range(threads)
        ]
        self.delivered = 0
        self.failed_attempts = 0
        self.dead = 0

    # ------------------------------------------------------------------ API
    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)
        if self._owns_client:
            self._client.close()

    def submit(self, alert: Alert) -> None:
        """Queue ``alert`` for every webhook that wants it (a bus subscriber)."""
        payload = alert.payload()
        body = json.dumps(payload, separators=(",", ":")).encode()
        for target in self.targets:
            if not target.wants(alert):
                continue
            delivery = _Delivery(target, str(uuid.uuid4()), body, payload)
            with self._cond:
                if len(self._heap) >= self.max_pending:
                    overflow = True
                else:
                    overflow = False
                    heapq.heappush(self._heap, (self._clock(), next(self._order), delivery))
                    self._cond.notify()
            if overflow:
                self._dead(delivery, "too many deliveries pending")

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)

    # ------------------------------------------------------------- internals
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    if self._heap and self._heap[0][0] <= self._clock():
                        break
                    wait = self._heap[0][0] - self._clock() if self._heap else None
                    self._cond.wait(wait)
                if self._stopping:
                    return
                _, _, delivery = heapq.heappop(self._heap)
            self._attempt(delivery)

    def _attempt(self, delivery: _Delivery) -> None:
        target = delivery.target
        delivery.attempts += 1
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "platekeeper-alerts",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(target.secret, timestamp, delivery.body),
            DELIVERY_HEADER: delivery.id,
        }
        retry = True
        try:
            response = self._client.post(
                target.url, content=delivery.body, headers=headers, timeout=target.timeout_s
            )
        except httpx.HTTPError as exc:
            delivery.last_error = type(exc).__name__
        else:
            if 200 <= response.status_code < 300:
                with self._cond:
                    self.delivered += 1
                return
            delivery.last_error = f"HTTP {response.status_code}"
            retry = response.status_code >= 500 or response.status_code in RETRY_STATUS
        with self._cond:
            self.failed_attempts += 1
        logger.warning(
            "webhook %s: attempt %d failed (%s)",
            target.name,
            delivery.attempts,
            delivery.last_error,
        )
        if not retry:
            self._dead(delivery, f"refused by the receiver ({delivery.last_error})")
            return
        if delivery.attempts >= target.max_attempts:
            self._dead(
                delivery, f"gave up after {delivery.attempts} attempts ({delivery.last_error})"
            )
            return
        with self._cond:
            due = self._clock() + target.backoff(delivery.attempts, self._rng)
            heapq.heappush(self._heap, (due, next(self._order), delivery))
            self._cond.notify()

    def _dead(self, delivery: _Delivery, reason: str) -> None:
        with self._cond:
            self.dead += 1
        logger.error("webhook %s: delivery dead-lettered: %s", delivery.target.name, reason)
        try:
            self.dead_letters.put(
                DeadLetter(
                    delivery.target.name, delivery.id, delivery.attempts, reason, delivery.payload
                )
            )
        except OSError as exc:
            logger.error("could not write a dead letter: %s", type(exc).__name__)

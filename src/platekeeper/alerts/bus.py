"""The alert bus: rules raise alerts, deliverers subscribe.

``raise_alert(finding)`` gives the finding an opaque id and a sequence
number, keeps it in a ring of the latest alerts (the dashboard replays from
there after a reconnect) and hands it to every subscriber. Subscribers must
be quick — they enqueue; delivery happens on their own threads or event
loops — and one that raises is logged and skipped, never the others.

Thread-safe: a worker thread raises, an event loop and a webhook thread
consume.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from platekeeper.alerts.model import Alert
from platekeeper.rules.model import Finding

logger = logging.getLogger(__name__)

Subscriber = Callable[[Alert], None]


class AlertBus:
    """Publishes alerts to subscribers and remembers the last ``keep``."""

    def __init__(self, *, keep: int = 1000, clock: Callable[[], float] = time.time) -> None:
        if keep < 1:
            raise ValueError("the bus keeps at least one alert")
        self._lock = threading.Lock()
        self._ring: deque[Alert] = deque(maxlen=keep)
        self._by_id: dict[str, Alert] = {}
        self._subscribers: dict[int, Subscriber] = {}
        self._next_sub = 0
        self._seq = 0
        self.clock = clock

    def raise_alert(self, finding: Finding) -> Alert:
        with self._lock:
            self._seq += 1
            alert = Alert.from_finding(finding, self._seq, self.clock())
            if len(self._ring) == self._ring.maxlen:
                self._by_id.pop(self._ring[0].id, None)
            self._ring.append(alert)
            self._by_id[alert.id] = alert
            subscribers = list(self._subscribers.values())
        for subscriber in subscribers:
            try:
                subscriber(alert)
            except Exception as exc:  # one bad deliverer must not starve the others
                logger.error("alert subscriber failed: %s", type(exc).__name__)
        return alert

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        with self._lock:
            token = self._next_sub
            self._next_sub += 1
            self._subscribers[token] = subscriber

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers.pop(token, None)

        return unsubscribe

    def since(self, seq: int) -> list[Alert]:
        """Remembered alerts after sequence number ``seq``, oldest first."""
        with self._lock:
            return [a for a in self._ring if a.seq > seq]

    def get(self, alert_id: str) -> Alert | None:
        with self._lock:
            return self._by_id.get(alert_id)

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq

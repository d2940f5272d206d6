"""Wires the alert bus to its deliverers from the settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.mqtt import MqttPublisher
from platekeeper.alerts.settings import AlertsSettings
from platekeeper.alerts.webhook import FileDeadLetters, WebhookDispatcher, WebhookTarget


class AlertService:
    """The bus with its webhook dispatcher and MQTT publisher; ``start`` and
    ``stop`` bracket the server's life."""

    def __init__(self, settings: AlertsSettings, data_dir: Path) -> None:
        self.settings = settings
        self.bus = AlertBus(keep=settings.keep)
        self.webhooks: WebhookDispatcher | None = None
        self.mqtt: MqttPublisher | None = None
        if settings.webhooks:
            targets = [
                WebhookTarget(
                    name=name,
                    url=w.url,
                    secret=w.read_secret(),
                    offences=frozenset(w.offences) if w.offences is not None else None,
                    max_attempts=w.max_attempts,
                    backoff_initial_s=w.backoff_initial_s,
                    backoff_max_s=w.backoff_max_s,
                    timeout_s=w.timeout_s,
                )
                for name, w in settings.webhooks.items()
            ]
            path = settings.dead_letter_file or data_dir / "alerts-dead-letters.jsonl"
            self.webhooks = WebhookDispatcher(targets, FileDeadLetters(path))
        if settings.mqtt.enabled:
            self.mqtt = MqttPublisher(settings.mqtt)
        self._unsubscribe: list[Callable[[], None]] = []

    def start(self) -> None:
        if self.webhooks is not None:
            self.webhooks.start()
            self._unsubscribe.append(self.bus.subscribe(self.webhooks.submit))
        if self.mqtt is not None:
            self.mqtt.start()
            self._unsubscribe.append(self.bus.subscribe(self.mqtt.submit))

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self.webhooks is not None:
            self.webhooks.stop()
        if self.mqtt is not None:
            self.mqtt.stop()

"""Alerts on an MQTT topic (``<prefix>/<offence>``), plate-free JSON, QoS 1
by default.

paho's network loop runs on its own thread and queues messages while the
broker is away, so ``submit`` never blocks the bus. Where the broker needs
it, a user name, a password (from the environment) and TLS.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from platekeeper.alerts.model import Alert
from platekeeper.alerts.settings import MqttSettings

logger = logging.getLogger(__name__)
MAX_QUEUED = 10_000


class MqttPublisher:
    def __init__(self, settings: MqttSettings) -> None:
        self.settings = settings
        self.connected = threading.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=mqtt.MQTTv311,
        )
        if settings.username is not None:
            password = settings.password.get_secret_value() if settings.password else None
            client.username_pw_set(settings.username, password)
        if settings.tls:
            client.tls_set()
        client.max_queued_messages_set(MAX_QUEUED)
        client.reconnect_delay_set(1, 60)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._client = client
        self.published = 0

    def start(self) -> None:
        self._client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def topic(self, alert: Alert) -> str:
        return f"{self.settings.topic_prefix}/{alert.offence}"

    def submit(self, alert: Alert) -> None:
        body = json.dumps(alert.payload(), separators=(",", ":"))
        info = self._client.publish(self.topic(alert), body, qos=self.settings.qos)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            logger.error("MQTT publish refused (code %s)", info.rc)
            return
        self.published += 1

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, "is_failure", False):
            logger.error("MQTT broker refused the connection: %s", reason)
            return
        self.connected.set()
        logger.info("connected to the MQTT broker")

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.connected.clear()
        if getattr(reason, "is_failure", True):
            logger.warning("MQTT connection lost; paho reconnects")

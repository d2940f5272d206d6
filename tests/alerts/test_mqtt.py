"""Alerts on an MQTT topic, through the Mosquitto broker on loopback
(required under CI=true)."""

from __future__ import annotations

import json
import queue
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from alert_helpers import PLATE, finding
from paho.mqtt.enums import CallbackAPIVersion

from platekeeper.alerts.mqtt import MqttPublisher
from platekeeper.alerts.service import AlertService
from platekeeper.alerts.settings import AlertsSettings, MqttSettings


def subscriber(
    topic: str, broker: tuple[str, int]
) -> tuple[mqtt.Client, queue.Queue[mqtt.MQTTMessage]]:
    received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    subscribed = queue.Queue[bool]()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
    client.on_message = lambda c, u, m: received.put(m)
    client.on_connect = lambda c, u, f, r, p: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda c, u, mid, r, p: subscribed.put(True)
    client.connect(*broker)
    client.loop_start()
    subscribed.get(timeout=5)
    return client, received


def test_alerts_are_published_without_a_plate(tmp_path: Path, mqtt_broker: tuple[str, int]) -> None:
    prefix = f"platekeeper-test/{uuid.uuid4().hex[:8]}"
    listener, received = subscriber(f"{prefix}/#", mqtt_broker)
    settings = AlertsSettings(
        mqtt=MqttSettings(
            enabled=True,
            host=mqtt_broker[0],
            port=mqtt_broker[1],
            topic_prefix=prefix,
            client_id=f"pk-{uuid.uuid4().hex[:8]}",
        )
    )
    service = AlertService(settings, tmp_path)
    service.start()
    try:
        assert service.mqtt is not None
        assert service.mqtt.connected.wait(5)
        alert = service.bus.raise_alert(finding(offence="stolen"))
        message = received.get(timeout=5)
    finally:
        service.stop()
        listener.loop_stop()
        listener.disconnect()
    assert message.topic == f"{prefix}/stolen"
    body = json.loads(message.payload)
    assert body["id"] == alert.id
    assert body["offence"] == "stolen"
    assert PLATE.encode() not in message.payload


def test_alerts_raised_before_the_connection_are_sent_on_connect(
    mqtt_broker: tuple[str, int],
) -> None:
    prefix = f"platekeeper-test/{uuid.uuid4().hex[:8]}"
    listener, received = subscriber(f"{prefix}/#", mqtt_broker)
    publisher = MqttPublisher(
        MqttSettings(
            enabled=True,
            host=mqtt_broker[0],
            port=mqtt_broker[1],
            topic_prefix=prefix,
            client_id=f"pk-{uuid.uuid4().hex[:8]}",
        )
    )
    from platekeeper.alerts.bus import AlertBus

    bus = AlertBus()
    bus.subscribe(publisher.submit)
    bus.raise_alert(finding(n=1))  # before the publisher has connected
    publisher.start()
    try:
        message = received.get(timeout=5)
    finally:
        publisher.stop()
        listener.loop_stop()
        listener.disconnect()
    assert json.loads(message.payload)["offence"] == "hotlist"

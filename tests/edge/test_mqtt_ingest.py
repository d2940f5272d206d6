"""The camera door over MQTT (the Mosquitto broker on loopback): a signed
envelope is stored once and answered on the camera's ack topic; unsigned,
forged, replayed and wrong-topic messages are refused and store nothing."""

from __future__ import annotations

import base64
import json
import queue
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from edge_central import Central
from paho.mqtt.enums import CallbackAPIVersion

from platekeeper.ingest.signing import sign


class Camera:
    """A camera's MQTT side: publishes envelopes, collects its acks."""

    def __init__(self, host: str, port: int, prefix: str, code: str) -> None:
        self.host, self.port, self.prefix, self.code = host, port, prefix, code
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cam-{uuid.uuid4().hex}")
        self.client.on_message = lambda _c, _u, m: self.acks.put(json.loads(m.payload))
        self.client.connect(host, port)
        self.client.subscribe(f"{prefix}/{code}/acks", qos=1)
        self.client.loop_start()
        time.sleep(0.3)

    def send(self, topic: str, envelope: dict[str, Any] | bytes) -> dict[str, Any]:
        payload = envelope if isinstance(envelope, bytes) else json.dumps(envelope)
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)
        return self.acks.get(timeout=20)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def envelope(central: Central, topic: str, body: bytes) -> dict[str, Any]:
    headers = sign(central.camera.key_id, central.camera.secret, "PUBLISH", topic, body)
    return {"headers": headers, "body": base64.b64encode(body).decode()}


def reads(*keys: str) -> bytes:
    at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    batch = [
        {"idempotency_key": k, "captured_at": at, "plate": "01A123BC", "confidence": 0.9}
        for k in keys
    ]
    return json.dumps({"reads": batch}).encode()


@pytest.fixture
def camera(central: Central, mqtt_broker: tuple[str, int]) -> Any:
    host, port = mqtt_broker
    prefix = f"pktest/{uuid.uuid4().hex[:8]}"
    central.env = {
        "PLATEKEEPER_INGEST__MQTT_HOST": host,
        "PLATEKEEPER_INGEST__MQTT_PORT": str(port),
        "PLATEKEEPER_INGEST__MQTT_PREFIX": prefix,
    }
    central.start()
    time.sleep(1.0)  # the server subscribes once connected
    cam = Camera(host, port, prefix, "EDGE-01")
    yield cam
    cam.close()


def test_signed_reads_over_mqtt_are_stored_once(central: Central, camera: Camera) -> None:
    topic = f"{camera.prefix}/EDGE-01/reads"
    message = envelope(central, topic, reads("m1", "m2"))
    ack = camera.send(topic, message)
    assert ack["status"] == 200, ack
    assert ack["stored"] == 2
    assert ack["nonce"] == message["headers"]["X-Platekeeper-Nonce"]
    again = camera.send(topic, envelope(central, topic, reads("m1", "m2")))
    assert (again["stored"], again["duplicates"]) == (0, 2)
    assert len(central.stored()) == 2


def test_refused_messages_store_nothing(central: Central, camera: Camera) -> None:
    topic = f"{camera.prefix}/EDGE-01/reads"
    good = envelope(central, topic, reads("r1"))
    forged = {**good, "body": base64.b64encode(reads("r2")).decode()}
    assert camera.send(topic, forged)["status"] == 401
    assert camera.send(topic, {"body": good["body"]})["status"] == 422
    assert camera.send(topic, b"not json")["status"] == 422
    http_signed = sign(central.camera.key_id, central.camera.secret, "POST", topic, reads("r3"))
    as_http = {"headers": http_signed, "body": base64.b64encode(reads("r3")).decode()}
    assert camera.send(topic, as_http)["status"] == 401
    # EDGE-01's key, signed for another camera's topic: refused there.
    other = f"{camera.prefix}/OTHER-CAM/reads"
    elsewhere = Camera(camera.host, camera.port, camera.prefix, "OTHER-CAM")
    try:
        assert elsewhere.send(other, envelope(central, other, reads("r4")))["status"] == 403
    finally:
        elsewhere.close()
    assert camera.send(topic, good)["status"] == 200
    assert camera.send(topic, good)["status"] == 401, "a replayed message is refused"
    assert len(central.stored()) == 1


def test_signal_phases_over_mqtt_reach_the_red_light_timeline(
    central: Central, camera: Camera
) -> None:
    from platekeeper.config import Settings
    from platekeeper.rules.signal_store import DatabaseSignalTimeline
    from platekeeper.rules.signals import Phase
    from platekeeper.store.facade import StoreConfig, open_store

    topic = f"{camera.prefix}/EDGE-01/signals"
    at = datetime.now(UTC) - timedelta(seconds=30)

    def phases(*events: tuple[str, datetime, str]) -> bytes:
        batch = [{"signal": s, "at": t.isoformat(), "phase": p} for s, t, p in events]
        return json.dumps({"events": batch}).encode()

    good = phases(("EDGE-sig", at, "red"), ("EDGE-sig", at + timedelta(seconds=10), "green"))
    ack = camera.send(topic, envelope(central, topic, good))
    assert (ack["status"], ack["recorded"]) == (200, 2), ack
    # Another bank's head, a future instant, no such phase: refused, nothing kept.
    elsewhere = phases(("SAM-B1-sig", at, "green"))
    assert camera.send(topic, envelope(central, topic, elsewhere))["status"] == 403
    future = phases(("EDGE-sig", at + timedelta(hours=1), "green"))
    assert camera.send(topic, envelope(central, topic, future))["status"] == 422
    purple = phases(("EDGE-sig", at + timedelta(seconds=20), "purple"))
    assert camera.send(topic, envelope(central, topic, purple))["status"] == 422
    # Signed for the reads topic or for HTTP: not valid on the signals topic.
    reads_topic = f"{camera.prefix}/EDGE-01/reads"
    later = phases(("EDGE-sig", at + timedelta(seconds=25), "amber"))
    assert camera.send(topic, envelope(central, reads_topic, later))["status"] == 401
    http = sign(central.camera.key_id, central.camera.secret, "POST", topic, later)
    as_http = {"headers": http, "body": base64.b64encode(later).decode()}
    assert camera.send(topic, as_http)["status"] == 401

    store = open_store(StoreConfig.from_settings(Settings(data_dir=central.data_dir)))
    try:
        timeline = DatabaseSignalTimeline(store.db)
        red = timeline.state_at("EDGE-sig", at.timestamp() + 5)
        assert red is not None
        assert red.phase is Phase.RED
        green = timeline.state_at("EDGE-sig", at.timestamp() + 10)
        assert green is not None
        assert green.phase is Phase.GREEN
        latest = timeline.latest("EDGE-sig")  # neither purple nor the refused amber got in
        assert latest == pytest.approx(at.timestamp() + 10)
        assert timeline.state_at("SAM-B1-sig", at.timestamp() + 5) is None
    finally:
        store.close()

"""The camera door over MQTT, for sites whose cameras already speak it.

A camera publishes to ``<prefix>/<camera code>/reads`` (or ``/frames``) an
envelope ``{"headers": {...signature headers...}, "body": "<base64>"}``
whose body is exactly what it would POST, signed the same way with the
method ``PUBLISH`` and the topic as the path (so a signature made for HTTP
cannot be replayed here, nor one for another camera's topic). The answer
goes to ``<prefix>/<camera code>/acks``: ``{"nonce", "status", ...}`` with
the HTTP status the request would have had, so the camera resends until it
sees a 200 — the idempotency keys make the resends harmless.

Other kinds of message join through ``topics``: a handler per last topic
level, given the verified camera's code and the body. ``serve`` adds
``signals``: a junction controller's phases, as it would POST them to
``/api/v1/signals/phases`` (``rules.signal_door.phases_topic``).

The subscription is QoS 1 on a persistent session (a fixed client id, no
clean start): what cameras publish while the server is down waits at the
broker, and a message whose processing was cut short is delivered again.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel, ValidationError

from platekeeper.ingest.payloads import (
    FrameBatch,
    ReadBatch,
    describe,
)
from platekeeper.ingest.service import IngestGateway
from platekeeper.ingest.signing import NONCE_HEADER, SignatureError
from platekeeper.store.errors import InvalidRead

logger = logging.getLogger(__name__)

TopicHandler = Callable[[str, bytes], BaseModel]
"""Handles one signed message of a camera (its code, the body); raises
:class:`TopicRefused` with the status the camera is answered."""


class TopicRefused(Exception):
    """A message refused, with the HTTP status it would have had."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class MqttIngest:
    def __init__(
        self,
        gateway: IngestGateway,
        *,
        host: str,
        port: int = 1883,
        prefix: str = "platekeeper/cameras",
        client_id: str = "platekeeper-ingest",
        topics: Mapping[str, TopicHandler] | None = None,
    ) -> None:
        self.gateway = gateway
        self.topics = dict(topics or {})
        if {"reads", "frames", "acks"} & set(self.topics):
            raise ValueError("reads, frames and acks are the door's own topics")
        self.prefix = prefix.rstrip("/")
        self.host, self.port = host, port
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        self._client = client
        self.handled = 0

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, "is_failure", False):
            logger.error("MQTT broker refused the connection: %s", reason)
            return
        kinds = ["reads", "frames", *sorted(self.topics)]
        client.subscribe([(f"{self.prefix}/+/{kind}", 1) for kind in kinds])
        logger.info("camera ingest listening on MQTT %s/+/%s", self.prefix, "|".join(kinds))

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        topic = str(message.topic)
        code = topic[len(self.prefix) + 1 :].split("/", 1)[0]
        answer = self.handle(topic, bytes(message.payload))
        client.publish(f"{self.prefix}/{code}/acks", json.dumps(answer), qos=1)
        self.handled += 1

    def handle(self, topic: str, payload: bytes) -> dict[str, Any]:
        """What the camera is answered for one published envelope."""
        nonce = None
        try:
            headers, body = self._open(payload)
            nonce = headers.get(NONCE_HEADER)
            result = self._deliver(topic, headers, body)
        except TopicRefused as exc:
            return {"status": exc.status, "detail": exc.detail, "nonce": nonce}
        return {"status": 200, "nonce": nonce, **result.model_dump()}

    def _open(self, payload: bytes) -> tuple[dict[str, str], bytes]:
        if len(payload) > self.gateway.max_body_bytes * 4 // 3 + 4096:
            raise TopicRefused(413, "message too large")
        try:
            envelope = json.loads(payload)
            headers = {str(k): str(v) for k, v in dict(envelope["headers"]).items()}
            return headers, base64.b64decode(str(envelope["body"]), validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise TopicRefused(422, "not a signed envelope") from None

    def _deliver(self, topic: str, headers: dict[str, str], body: bytes) -> BaseModel:
        try:
            camera = self.gateway.keys.verify(headers, "PUBLISH", topic, body)
        except SignatureError as exc:
            raise TopicRefused(exc.status, exc.reason) from None
        code, _, kind = topic[len(self.prefix) + 1 :].partition("/")
        if code != camera.camera_code:
            raise TopicRefused(403, "this key may not publish here")
        handler = self.topics.get(kind)
        if handler is not None:
            return handler(camera.camera_code, body)
        try:
            if kind == "reads":
                return self.gateway.service.ingest(camera, ReadBatch.model_validate_json(body))
            if self.gateway.queue is None:
                raise TopicRefused(404, "this server takes no frames")
            return self.gateway.queue_frames(camera, FrameBatch.model_validate_json(body))
        except ValidationError as exc:
            raise TopicRefused(422, describe(exc)) from None
        except InvalidRead as exc:
            raise TopicRefused(422, str(exc)) from None

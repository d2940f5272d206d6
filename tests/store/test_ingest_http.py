"""The camera door over HTTP, on SQLite and PostgreSQL: a signed batch is
stored once however often it is sent; unsigned, forged, replayed, stale,
revoked, oversized and malformed requests are refused and store nothing."""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from store_testkit import StoreEnv, jpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "identity"))

from identity_helpers import FAST_AUTH, make_database, new_client

from platekeeper.config import Settings
from platekeeper.ingest.camera_keys import CameraKeys, IssuedKey
from platekeeper.ingest.mqtt import MqttIngest
from platekeeper.ingest.service import IngestGateway, IngestService
from platekeeper.ingest.signing import sign
from platekeeper.store.facade import Store
from platekeeper.store.models import Read, ReadEvidence
from platekeeper.web.access import AccessKind, check_declarations
from platekeeper.web.app import create_app
from platekeeper.web.services import build_services

PATH = "/api/v1/ingest/reads"
PLATE = "01A123BC"


@pytest.fixture
def keys(env: StoreEnv, store: Store, cameras: dict[str, int]) -> CameraKeys:
    return CameraKeys(store.db, store.vault, clock=env.clock)


@pytest.fixture
def client(env: StoreEnv, store: Store, keys: CameraKeys, tmp_path: Path) -> Iterator[TestClient]:
    gateway = IngestGateway(keys, IngestService(store.reads, env.clock), max_body_bytes=200_000)
    web_db = make_database(f"sqlite:///{tmp_path / 'web.db'}")
    services = build_services(
        Settings(data_dir=tmp_path, auth=FAST_AUTH),
        web_db,
        sealing_key=os.urandom(32),
        signing_key=Ed25519PrivateKey.generate(),
        ingest=gateway,
    )
    app = create_app(Settings(data_dir=tmp_path, auth=FAST_AUTH), services)
    assert check_declarations(app)[f"POST {PATH}"].kind is AccessKind.CAMERA
    with new_client(app) as c:
        yield c
    web_db.dispose()


@pytest.fixture
def camera(keys: CameraKeys) -> IssuedKey:
    return keys.issue("TAS-001")


def batch(env: StoreEnv, *keys: str, **extra: Any) -> bytes:
    at = (env.clock() - timedelta(minutes=5)).isoformat()
    reads = [
        {"idempotency_key": k, "captured_at": at, "plate": PLATE, "confidence": 0.93, **extra}
        for k in keys
    ]
    return json.dumps({"reads": reads}).encode()


def post(client: TestClient, env: StoreEnv, camera: IssuedKey, body: bytes, **headers: str) -> Any:
    signed = sign(camera.key_id, camera.secret, "POST", PATH, body, now=env.clock().timestamp())
    return client.post(
        PATH, content=body, headers={**signed, "Content-Type": "application/json", **headers}
    )


def stored(store: Store) -> int:
    with store.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Read)) or 0)


def test_a_batch_is_stored_once_however_often_it_is_sent(
    client: TestClient, env: StoreEnv, camera: IssuedKey, store: Store
) -> None:
    crop = base64.b64encode(jpeg(200, 50, "crop")).decode()
    body = batch(env, "pass-1", "pass-2", crop_jpeg=crop)
    first = post(client, env, camera, body)
    assert first.status_code == 200, first.text
    assert first.json() == {"stored": 2, "duplicates": 0}
    assert PLATE not in first.text
    again = post(client, env, camera, body)
    assert again.json() == {"stored": 0, "duplicates": 2}
    overlapping = post(client, env, camera, batch(env, "pass-2", "pass-3"))
    assert overlapping.json() == {"stored": 1, "duplicates": 1}
    assert stored(store) == 3
    with store.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ReadEvidence)) == 2


def test_refused_requests_store_nothing(
    client: TestClient, env: StoreEnv, camera: IssuedKey, keys: CameraKeys, store: Store
) -> None:
    body = batch(env, "r1")
    unsigned = client.post(PATH, content=body)
    assert unsigned.status_code == 401
    assert "missing" in unsigned.json()["detail"]
    headers = sign(camera.key_id, camera.secret, "POST", PATH, body, now=env.clock().timestamp())
    tampered = client.post(PATH, content=batch(env, "r2"), headers=headers)
    assert tampered.status_code == 401
    assert tampered.json()["detail"] == "bad signature"
    assert client.post(PATH, content=body, headers=headers).status_code == 200
    replayed = client.post(PATH, content=body, headers=headers)
    assert replayed.status_code == 401
    assert "replay" in replayed.json()["detail"]
    stale = sign(
        camera.key_id, camera.secret, "POST", PATH, body, now=env.clock().timestamp() - 900
    )
    assert client.post(PATH, content=batch(env, "r3"), headers=stale).status_code == 401
    keys.revoke(camera.key_id)
    revoked = post(client, env, camera, batch(env, "r4"))
    assert revoked.status_code == 403
    assert stored(store) == 1


def test_oversized_and_malformed_bodies(
    client: TestClient, env: StoreEnv, camera: IssuedKey, store: Store
) -> None:
    big = batch(env, "big", crop_jpeg="A" * 250_000)
    assert post(client, env, camera, big).status_code == 413
    lying = post(client, env, camera, batch(env, "x"), **{"Content-Length": "999999999"})
    assert lying.status_code == 413
    cases = {
        b"not json": "JSON",
        batch(env, "k1", plate="X" * 40): "plate",
        batch(env, "bad key!"): "idempotency_key",
        batch(env, "k2", crop_jpeg="***"): "base64",
        json.dumps({"reads": []}).encode(): "reads",
        json.dumps({"reads": [{"idempotency_key": "k3"}]}).encode(): "captured_at",
    }
    for body, reason in cases.items():
        answer = post(client, env, camera, body)
        assert answer.status_code == 422, body
        assert reason in answer.json()["detail"], (body, answer.json())
    naive = batch(env, "k4").replace(b"+00:00", b"")
    assert "UTC offset" in post(client, env, camera, naive).json()["detail"]
    assert stored(store) == 0


def test_a_bad_lane_or_vehicle_class_is_refused_over_http_and_mqtt(
    client: TestClient,
    *,
    env: StoreEnv,
    camera: IssuedKey,
    keys: CameraKeys,
    store: Store,
    cameras: dict[str, int],
) -> None:
    second = json.loads(batch(env, "ok", "cu"))
    second["reads"][1]["vehicle_class"] = "Lorry"
    cases = {
        batch(env, "l0", lane=0): "read 0: lane",
        batch(env, "l17", lane=17): "read 0: lane",
        batch(env, "ls", lane="2"): "read 0: lane",
        json.dumps(second).encode(): "read 1: vehicle_class",
        batch(env, "cl", vehicle_class="x" * 33): "read 0: vehicle_class",
        batch(env, "cp", vehicle_class="car|2"): "read 0: vehicle_class",
    }
    # The MQTT side of the same door, handed envelopes as the broker would.
    gateway = IngestGateway(keys, IngestService(store.reads, env.clock))
    mqtt = MqttIngest(gateway, host="127.0.0.1")
    topic = "platekeeper/cameras/TAS-001/reads"
    for body, reason in cases.items():
        answer = post(client, env, camera, body)
        assert answer.status_code == 422, body
        assert reason in answer.json()["detail"], (body, answer.json())
        headers = sign(
            camera.key_id, camera.secret, "PUBLISH", topic, body, now=env.clock().timestamp()
        )
        envelope = {"headers": headers, "body": base64.b64encode(body).decode()}
        ack = mqtt.handle(topic, json.dumps(envelope).encode())
        assert (ack["status"], ack["detail"]) == (422, answer.json()["detail"])
    assert stored(store) == 0
    good = post(client, env, camera, batch(env, "ok", lane=1, vehicle_class="truck"))
    assert good.json() == {"stored": 1, "duplicates": 0}
    (read,) = store.reads.latest([cameras["TAS-001"]], env.clock() - timedelta(hours=1))
    assert (read.lane, read.vehicle_class) == (1, "truck")


def test_a_refused_read_refuses_its_whole_batch(
    client: TestClient, env: StoreEnv, camera: IssuedKey, store: Store
) -> None:
    at = (env.clock() - timedelta(minutes=1)).isoformat()
    future = (env.clock() + timedelta(hours=2)).isoformat()
    reads = [
        {"idempotency_key": "ok", "captured_at": at, "plate": PLATE, "confidence": 0.9},
        {"idempotency_key": "late", "captured_at": future, "plate": PLATE, "confidence": 0.9},
    ]
    answer = post(client, env, camera, json.dumps({"reads": reads}).encode())
    assert answer.status_code == 422
    assert "read 1" in answer.json()["detail"]
    assert "future" in answer.json()["detail"]
    not_jpeg = base64.b64encode(b"GIF89a not a jpeg").decode()
    answer = post(client, env, camera, batch(env, "img", frame_jpeg=not_jpeg))
    assert answer.status_code == 422
    assert stored(store) == 0
    # The refused batch left no receipt: the good read goes in when sent alone.
    assert post(client, env, camera, batch(env, "ok")).json() == {"stored": 1, "duplicates": 0}


def test_receipts_outlive_the_retention_of_their_reads_only(
    env: StoreEnv, store: Store, camera: IssuedKey, keys: CameraKeys
) -> None:
    from platekeeper.ingest.payloads import ReadBatch
    from platekeeper.store.models import IngestReceipt

    service = IngestService(store.reads, env.clock)
    who = keys.verify(
        sign(camera.key_id, camera.secret, "POST", PATH, b"", now=env.clock().timestamp()),
        "POST",
        PATH,
        b"",
    )

    def receipts() -> int:
        with store.db.read() as s:
            return len(s.scalars(select(IngestReceipt.read_id)).all())

    assert service.ingest(who, ReadBatch.model_validate_json(batch(env, "a"))).stored == 1
    env.clock.advance(hours=2)
    assert service.ingest(who, ReadBatch.model_validate_json(batch(env, "b"))).stored == 1
    assert receipts() == 2, "receipts within the reads' retention are kept"
    assert service.receipt_horizon >= timedelta(days=30)
    env.clock.advance(days=service.receipt_horizon.days + 1)
    assert service.ingest(who, ReadBatch.model_validate_json(batch(env, "c"))).stored == 1
    assert receipts() == 1, "receipts past the horizon are pruned on the way"


def test_the_camera_door_documents_its_signed_body(client: TestClient) -> None:
    # The door reads its signed body raw and checks it only once the signature
    # holds; the OpenAPI schema describes it all the same, without references.
    schema = client.app.openapi()  # type: ignore[attr-defined]
    body = schema["paths"]["/api/v1/ingest/reads"]["post"]["requestBody"]
    read = body["content"]["application/json"]["schema"]["properties"]["reads"]["items"]
    assert {"plate", "captured_at", "lane", "vehicle_class", "track"} <= set(read["properties"])
    assert "$ref" not in json.dumps(body)
    for path in ("/api/v1/ingest/frames", "/api/v1/signals/phases"):
        assert "requestBody" in schema["paths"][path]["post"]

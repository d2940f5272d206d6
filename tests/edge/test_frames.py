"""Frames from cameras that do not read plates: queued durably by the door,
recognised centrally — by ``serve`` itself on the embedded queue, by
``platekeeper worker`` on NATS JetStream — and stored once."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx
import nats
import numpy as np
import pytest
from edge_central import Central
from typer.testing import CliRunner

from platekeeper.cli import app
from platekeeper.ingest.signing import sign
from platekeeper.sim.render import SceneOptions, render_scene

PATH = "/api/v1/ingest/frames"


def frame_jpeg() -> bytes:
    options = SceneOptions(
        width=1280,
        height=720,
        formats=("uz_private",),
        vehicles=(1, 1),
        lighting="day",
        plate_width_px=(150, 190),
    )
    scene = render_scene(np.random.default_rng(8), options)
    ok, data = cv2.imencode(".jpg", scene.image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return bytes(data)


def post(central: Central, frames: list[dict[str, str]]) -> httpx.Response:
    body = json.dumps({"frames": frames}).encode()
    headers = sign(central.camera.key_id, central.camera.secret, "POST", PATH, body)
    return httpx.post(central.url + PATH, content=body, headers=headers, timeout=30)


def frame(key: str, data: bytes) -> dict[str, str]:
    at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    return {"idempotency_key": key, "captured_at": at, "jpeg": base64.b64encode(data).decode()}


def wait_for_reads(central: Central, count: int, seconds: float = 60) -> int:
    deadline = time.time() + seconds
    while time.time() < deadline:
        stored = len(central.stored())
        if stored >= count:
            return stored
        time.sleep(0.5)
    return len(central.stored())


def test_frames_are_queued_once_and_read_by_the_server(central: Central) -> None:
    central.start()
    data = frame_jpeg()
    first = post(central, [frame("f1", data)])
    assert first.status_code == 200, first.text
    assert first.json() == {"queued": 1, "duplicates": 0}
    assert post(central, [frame("f1", data)]).json()["duplicates"] == 1
    assert wait_for_reads(central, 1) >= 1
    stored = len(central.stored())
    # A frame sent again after it was processed is queued again, and stores nothing twice.
    post(central, [frame("f1", data)])
    time.sleep(3)
    assert len(central.stored()) == stored
    bad = post(central, [frame("f2", b"GIF89a")])
    assert bad.status_code == 422
    assert "JPEG" in bad.json()["detail"]
    unsigned = httpx.post(central.url + PATH, content=b"{}", timeout=10)
    assert unsigned.status_code == 401


def test_workers_read_frames_from_jetstream(
    central: Central, nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = f"PKTEST_{uuid.uuid4().hex[:10].upper()}"
    central.env = {
        "PLATEKEEPER_INGEST__QUEUE_URL": nats_url,
        "PLATEKEEPER_INGEST__QUEUE_STREAM": stream,
    }
    central.start()
    try:
        data = frame_jpeg()
        answer = post(central, [frame("n1", data), frame("n2", data)])
        assert answer.json() == {"queued": 2, "duplicates": 0}
        assert central.stored() == [], "serve does not read a NATS queue itself"
        for name, value in {**central.env, "PLATEKEEPER_DATA_DIR": str(central.data_dir)}.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "processed 2 frame(s)" in result.output
        assert len(central.stored()) >= 2
    finally:

        async def drop() -> None:
            nc = await nats.connect(nats_url)
            try:
                await nc.jetstream().delete_stream(stream)
            finally:
                await nc.close()

        asyncio.run(drop())

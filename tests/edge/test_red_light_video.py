"""A red light on rendered video: a car drives over a junction's stop line
while the controller (through the signal door) says red; the edge agent
tracks its plate across frames, measures its stop-line track and sends the
frames around the crossing; a real ``platekeeper serve`` running the
red-light rule makes a violation with frames before, at and past the line."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from edge_central import Central
from sqlalchemy import select
from typer.testing import CliRunner

from platekeeper.cli import app
from platekeeper.config import Settings
from platekeeper.ingest.signing import sign
from platekeeper.recognition.text import confusion_skeleton
from platekeeper.review.models import Violation
from platekeeper.sim.render.video import VideoOptions, render_video
from platekeeper.store.facade import StoreConfig, open_store
from platekeeper.video.stop_line import StopLine

# One car coming towards the camera, its plate 90-180 px wide from the top of
# a 960x540 frame to the bottom; it is in view for about two seconds.
OPTIONS = VideoOptions(
    width=960,
    height=540,
    fps=10,
    seconds=3,
    vehicles=1,
    lighting="day",
    plate_width_px=(90, 180),
    speed_mps=(1.5, 1.5),
    view="front",
    clutter=False,
)
SEED = 4
STOP_Y = 90.0
LANE = "250,0,400,300"  # where the plate passes: recognition looks only there
SIGNAL = "EDGE-sig"  # a head of the camera's bank, EDGE


def post_phases(central: Central, events: list[dict[str, str]]) -> httpx.Response:
    path = "/api/v1/signals/phases"
    body = json.dumps({"events": events}).encode()
    headers = sign(central.camera.key_id, central.camera.secret, "POST", path, body)
    headers["Content-Type"] = "application/json"
    return httpx.post(central.url + path, content=body, headers=headers, timeout=10)


def wait_for_violation(central: Central, timeout: float = 15.0) -> Violation:
    store = open_store(StoreConfig.from_settings(Settings(data_dir=central.data_dir)))
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with store.db.read() as s:
                found = s.scalars(select(Violation).where(Violation.offence == "red_light")).all()
            if found:
                (row,) = found
                return row
            time.sleep(0.2)
    finally:
        store.close()
    raise AssertionError("no red-light violation")


def test_a_car_crossing_on_red_in_rendered_video_is_a_violation(
    central: Central, tmp_path: Path
) -> None:
    video = tmp_path / "junction.mp4"
    truth = render_video(video, SEED, OPTIONS)
    (car,) = truth.vehicles  # its plate is read in every sampled frame it is in
    line = StopLine((0.0, STOP_Y), (float(OPTIONS.width), STOP_Y), (480.0, 0.0))
    readable = [p for p in car.points if p.readable]
    offsets = [line.offset(_box(p.quad)) for p in readable]
    assert offsets[0] < 0 < offsets[-1]  # the scene: the car crosses while readable
    # The video was filmed 40 s ago, half a minute into red.
    started = datetime.now(UTC) - timedelta(seconds=40)
    os.utime(video, (started.timestamp(), started.timestamp()))
    central.env = {
        "PLATEKEEPER_RULES": json.dumps(
            {
                "checks": {
                    "red-light": {
                        "type": "red_light",
                        "approaches": {"EDGE-01": {"signal": SIGNAL}},
                    }
                }
            }
        )
    }
    central.start()
    phases = [
        {"signal": SIGNAL, "at": (started - timedelta(seconds=s)).isoformat(), "phase": p}
        # Green again after the video: the controller's feed covers the crossing.
        for s, p in ((120, "green"), (35, "amber"), (32, "red"), (-10, "green"))
    ]
    answer = post_phases(central, phases)
    assert answer.status_code == 200, answer.text

    secret = tmp_path / "secret"
    secret.write_text(base64.urlsafe_b64encode(central.camera.secret).decode())
    args = ["edge", "run", "--video", str(video), "--server", central.url]
    args += ["--key-id", central.camera.key_id, "--secret-file", str(secret)]
    args += ["--outbox", str(tmp_path / "outbox"), "--country", "UZ", "--sample-fps", "5"]
    args += ["--lane", LANE, "--stop-line", f"0,{STOP_Y:g},960,{STOP_Y:g}"]
    args += ["--approach-from", "480,0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "read 1 vehicle pass(es)" in result.output

    row = wait_for_violation(central)
    details = json.loads(row.details)
    assert details["signal"] == SIGNAL
    assert details["evidence_complete"] is True
    crossed = datetime.fromtimestamp(details["crossed_at"], UTC)
    assert started < crossed < started + timedelta(seconds=OPTIONS.seconds)
    assert 32 < details["into_red_s"] < 32 + OPTIONS.seconds
    frames = [e for e in json.loads(row.evidence) if e["kind"] == "frame"]
    assert [e["role"] for e in frames] == ["before", "at", "past"]
    times = [e["ts"] for e in frames]
    assert times == sorted(times)
    assert times[0] < details["crossed_at"] < times[2]

    store = open_store(StoreConfig.from_settings(Settings(data_dir=central.data_dir)))
    try:
        read = store.reads.get(row.read_id or 0)
        assert read is not None
        assert confusion_skeleton(read.plate) == confusion_skeleton(car.text)  # 0/O and kin
        assert {int(e["ref"]) for e in frames} <= read.track_frame_ids
        assert len(read.track_frame_ids) == 4  # two frames on each side of the crossing
        for e in frames:
            _ref, data = store.reads.evidence_bytes(int(e["ref"]))
            assert data[:3] == b"\xff\xd8\xff"
    finally:
        store.close()


def _box(quad: object) -> tuple[float, float, float, float]:
    import numpy as np

    points = np.asarray(quad, dtype=float)
    x0, y0 = points[:, 0].min(), points[:, 1].min()
    return x0, y0, points[:, 0].max() - x0, points[:, 1].max() - y0


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (["--stop-line", "0,150,960,150"], "both --stop-line and --approach-from"),
        (["--stop-line", "0,150,960", "--approach-from", "1,1"], "X1,Y1,X2,Y2"),
        (["--stop-line", "0,150,960,150", "--approach-from", "480,150"], "on the stop line"),
        (["--signal-head", "600,10,40,100"], "both --signal-head and --signal-id"),
        (["--signal-head", "600,10,40", "--signal-id", "EDGE-sig"], "x,y,w,h"),
        (["--signal-head", "600,10,40,100", "--signal-id", "no spaces"], "the signal id"),
    ],
)
def test_a_malformed_stop_line_is_refused(tmp_path: Path, extra: list[str], problem: str) -> None:
    args = ["edge", "run", "--video", str(tmp_path / "v.mp4"), "--server", "https://127.0.0.1:1"]
    args += ["--key-id", "ck_" + "0" * 20, *extra]
    result = CliRunner().invoke(app, args, env={"PLATEKEEPER_EDGE_SECRET": "A" * 43})
    assert result.exit_code != 0
    assert problem in result.output

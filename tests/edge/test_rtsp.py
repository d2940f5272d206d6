"""An RTSP camera: a rendered road video published to a real RTSP server on
loopback (Debian's rtsp-server-perl), read live by ``platekeeper edge run
--video rtsp://…`` into a running central server."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from edge_central import Central, free_port
from typer.testing import CliRunner

from platekeeper.cli import app
from platekeeper.sim.render.video import VideoOptions, render_video

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def rtsp_ports() -> Iterator[tuple[int, int]]:
    binary = shutil.which("rtsp-server-perl")
    if binary is None:
        message = "rtsp-server-perl is not installed (make test installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    client, source = free_port(), free_port()
    args = [binary, "-c", str(client), "-s", str(source), "-l", "1"]
    args += ["--client_listen_address", "127.0.0.1", "--source_listen_address", "127.0.0.1"]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    yield client, source
    server.kill()
    server.wait()


def publish(video: Path, url: str) -> None:
    """Push ``video`` to the RTSP server in real time, as a camera would."""
    with av.open(str(video)) as src:
        stream = src.streams.video[0]
        out = av.open(url, mode="w", format="rtsp", options={"rtsp_transport": "udp"})
        try:
            sent = out.add_stream_from_template(stream)
            start = time.time()
            for packet in src.demux(stream):
                if packet.dts is None or packet.pts is None:
                    continue
                due = float(packet.pts * stream.time_base)
                time.sleep(max(0.0, due - (time.time() - start)))
                packet.stream = sent
                out.mux(packet)
        finally:
            out.close()


def test_a_live_rtsp_camera_becomes_stored_reads(
    central: Central, rtsp_ports: tuple[int, int], tmp_path: Path
) -> None:
    client_port, source_port = rtsp_ports
    video = tmp_path / "camera.mp4"
    options = VideoOptions(
        seconds=10, vehicles=3, lighting="day", plate_width_px=(100, 200), speed_mps=(2.0, 4.0)
    )
    render_video(video, 6, options)
    central.start()
    camera = threading.Thread(
        target=publish, args=(video, f"rtsp://127.0.0.1:{source_port}/cam"), daemon=True
    )
    camera.start()
    time.sleep(0.5)
    secret = tmp_path / "secret"
    secret.write_text(base64.urlsafe_b64encode(central.camera.secret).decode())
    args = ["edge", "run", "--video", f"rtsp://127.0.0.1:{client_port}/cam"]
    args += ["--rtsp-transport", "udp", "--server", central.url, "--key-id", central.camera.key_id]
    args += ["--secret-file", str(secret), "--outbox", str(tmp_path / "outbox"), "-C", "UZ"]
    result = CliRunner().invoke(app, args)
    camera.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert "vehicle pass(es)" in result.output
    assert len(central.stored()) >= 2, result.output

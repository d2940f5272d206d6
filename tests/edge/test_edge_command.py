"""``platekeeper edge run --once``: stills in a folder become stored reads
on the central server; an undecodable file is set aside with its reason."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
from edge_central import Central
from typer.testing import CliRunner

from platekeeper.cli import app
from platekeeper.sim.render import SceneOptions, render_scene


def test_stills_become_stored_reads(central: Central, tmp_path: Path) -> None:
    watch = tmp_path / "camera"
    watch.mkdir()
    rng = np.random.default_rng(8)
    options = SceneOptions(
        width=1280,
        height=720,
        formats=("uz_private",),
        vehicles=(1, 1),
        lighting="day",
        plate_width_px=(150, 190),
    )
    scene = render_scene(rng, options)
    ok, jpeg = cv2.imencode(".jpg", scene.image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    (watch / "0001.jpg").write_bytes(bytes(jpeg))
    (watch / "0002.jpg").write_bytes(b"\xff\xd8 this is not really a JPEG")
    secret = tmp_path / "secret"
    secret.write_text(base64.urlsafe_b64encode(central.camera.secret).decode())
    central.start()
    args = ["edge", "run", "--watch", str(watch), "--server", central.url]
    args += ["--key-id", central.camera.key_id, "--secret-file", str(secret)]
    args += ["--outbox", str(tmp_path / "outbox"), "--country", "UZ", "--once"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 failed" in result.output
    assert (watch / "done" / "0001.jpg").exists()
    assert (watch / "failed" / "0002.jpg").exists()
    assert (watch / "failed" / "0002.jpg.error.txt").read_text().strip()
    stored = central.stored()
    assert len(stored) >= 1
    # Running again finds nothing new and stores nothing twice.
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert len(central.stored()) == len(stored)


def test_the_secret_is_required_and_checked(tmp_path: Path) -> None:
    watch = tmp_path / "camera"
    watch.mkdir()
    base = ["edge", "run", "--watch", str(watch), "--server", "https://127.0.0.1:1"]
    base += ["--key-id", "ck_" + "0" * 20, "--once"]
    missing = CliRunner().invoke(app, base, env={"PLATEKEEPER_EDGE_SECRET": ""})
    assert missing.exit_code != 0
    assert "secret" in missing.output
    bad = CliRunner().invoke(app, base, env={"PLATEKEEPER_EDGE_SECRET": "short"})
    assert bad.exit_code != 0
    plain = ["edge", "run", "--watch", str(watch), "--server", "http://ingest.example:8443"]
    plain += ["--key-id", "ck_" + "0" * 20, "--once"]
    refused = CliRunner().invoke(app, plain, env={"PLATEKEEPER_EDGE_SECRET": "A" * 43})
    assert refused.exit_code != 0
    assert "plain HTTP" in refused.output

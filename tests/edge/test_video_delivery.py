"""A rendered road video through ``platekeeper edge run --video`` into a
running server: one read per vehicle, each with its crop, frame and clip."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path

from edge_central import Central
from sqlalchemy import select
from typer.testing import CliRunner

from platekeeper.cli import app
from platekeeper.config import Settings
from platekeeper.sim.render.video import VideoOptions, render_video
from platekeeper.store.facade import StoreConfig, open_store
from platekeeper.store.models import EvidenceBlob, ReadEvidence
from platekeeper.store.search import OpenGuard, ReasonCode, SearchJustification


def test_one_read_per_vehicle_with_its_evidence(central: Central, tmp_path: Path) -> None:
    video = tmp_path / "junction.mp4"
    # Day, three cars at a camera's design plate sizes (100-200 px wide).
    options = VideoOptions(
        seconds=10,
        vehicles=3,
        lighting="day",
        plate_width_px=(100, 200),
        speed_mps=(2.0, 4.0),
    )
    truth = render_video(video, 6, options)
    secret = tmp_path / "secret"
    secret.write_text(base64.urlsafe_b64encode(central.camera.secret).decode())
    central.start()
    args = ["edge", "run", "--video", str(video), "--server", central.url]
    args += ["--key-id", central.camera.key_id, "--secret-file", str(secret)]
    args += ["--outbox", str(tmp_path / "outbox"), "--country", "UZ", "--sample-fps", "5"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "read 3 vehicle pass(es)" in result.output
    assert len(central.stored()) == 3

    store = open_store(StoreConfig.from_settings(Settings(data_dir=central.data_dir)))
    try:
        why = SearchJustification(ReasonCode.INVESTIGATION, "TEST-001")
        search = store.search_service(OpenGuard())
        stored = central.stored()
        start = min(at for _i, at in stored)
        at = datetime.fromisoformat(start)
        for vehicle in truth.vehicles:
            found = search.journey(
                vehicle.text, at - timedelta(minutes=5), at + timedelta(minutes=5), why
            )
            assert len(found.reads) == 1, vehicle.text
        with store.db.read() as s:
            kinds = s.scalars(
                select(EvidenceBlob.kind).join(
                    ReadEvidence, ReadEvidence.blob_id == EvidenceBlob.id
                )
            ).all()
        assert sorted(kinds) == sorted(["crop", "frame", "clip"] * 3)
    finally:
        store.close()
    # The same video again: the same passes, stored nothing twice.
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert len(central.stored()) == 3

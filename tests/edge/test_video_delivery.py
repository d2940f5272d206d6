"""A rendered road video through ``platekeeper edge run --video`` into a
running server: one read per vehicle, each with its crop, frame and clip."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
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


def test_lanes_limit_where_plates_are_looked_for(tmp_path: Path) -> None:
    from platekeeper.edge.outbox import Outbox
    from platekeeper.edge.video import process_video
    from platekeeper.recognition import RecognitionSettings, Recognizer

    video = tmp_path / "road.mp4"
    options = VideoOptions(
        seconds=4, vehicles=1, lighting="day", plate_width_px=(100, 200), speed_mps=(2.0, 4.0)
    )
    render_video(video, 1, options)
    recognizer = Recognizer(RecognitionSettings(countries=("UZ",)))
    started = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    whole = Outbox(tmp_path / "whole")
    everywhere = [(0, 0, 1280, 720)]
    found = process_video(str(video), recognizer, whole, started_at=started, lanes=everywhere)
    assert found >= 1
    assert [e.read["lane"] for e in whole.peek()] == [1] * found
    corner = Outbox(tmp_path / "corner")
    nowhere = [(0, 0, 40, 40)]
    assert process_video(str(video), recognizer, corner, started_at=started, lanes=nowhere) == 0
    assert corner.pending() == 0
    # The plate is in the second lane given (the first, a corner, holds nothing).
    second = Outbox(tmp_path / "second")
    both = [*nowhere, *everywhere]
    assert process_video(str(video), recognizer, second, started_at=started, lanes=both) == found
    assert [e.read["lane"] for e in second.peek()] == [2] * found
    unlaned = Outbox(tmp_path / "unlaned")
    assert process_video(str(video), recognizer, unlaned, started_at=started) == found
    assert all("lane" not in e.read for e in unlaned.peek())


def test_a_read_is_in_the_first_lane_that_holds_its_plates_centre() -> None:
    from platekeeper.edge.video import lane_of

    lanes = [(0, 400, 640, 320), (640, 400, 640, 320), (0, 0, 1280, 720)]
    assert lane_of((100, 500, 120, 30), lanes) == 1
    assert lane_of((600, 500, 60, 30), lanes) == 1  # centre at x = 630
    assert lane_of((620, 500, 60, 30), lanes) == 2  # centre at x = 650, half in lane 1
    assert lane_of((100, 100, 120, 30), lanes) == 3  # above both road lanes
    assert lane_of((100, 100, 120, 30), lanes[:2]) is None
    assert lane_of((100, 500, 120, 30), []) is None


def test_a_malformed_lane_is_refused(tmp_path: Path) -> None:
    args = ["edge", "run", "--video", str(tmp_path / "v.mp4"), "--server", "https://127.0.0.1:1"]
    args += ["--key-id", "ck_" + "0" * 20, "--lane", "1,2,three,4"]
    result = CliRunner().invoke(app, args, env={"PLATEKEEPER_EDGE_SECRET": "A" * 43})
    assert result.exit_code != 0
    assert "x,y,w,h" in result.output
    many = [arg for _ in range(17) for arg in ("--lane", "0,0,32,32")]
    result = CliRunner().invoke(app, args[:-2] + many, env={"PLATEKEEPER_EDGE_SECRET": "A" * 43})
    assert result.exit_code != 0
    assert "at most 16 lanes" in result.output

"""The rules as ``platekeeper serve`` runs them, fed through the signed
camera door: a hotlist hit on the alert bus within a second of the ingest
call, a pass with no readable plate as a no-plate violation (its clip and
the vehicles around it in the review) where the lane and class the camera
reports say the rule watches it, and a red light from phases and
stop-line tracks through review to a signed evidence package that
verifies offline."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from door_helpers import PHASES, READS, b64, post_signed, read_body, serving
from identity_helpers import Clock, add_user, new_client, sign_in
from investigation_helpers import OTHER, TRACKED, jpeg
from sqlalchemy import select
from typer.testing import CliRunner

from platekeeper.audit.models import AuditEntry
from platekeeper.auth.roles import Role
from platekeeper.cli import app as cli_app
from platekeeper.config import Settings
from platekeeper.review.models import Violation
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.video.encode import write_h264


def violations(store: Store, offence: str) -> list[Violation]:
    with store.db.read() as s:
        return list(
            s.scalars(select(Violation).where(Violation.offence == offence).order_by(Violation.id))
        )


def test_a_hotlist_hit_is_on_the_alert_bus_within_a_second(
    settings: Settings, db: Database, clock: Clock, web_store: Store
) -> None:
    stolen = web_store.hotlists.create("stolen", priority=8)
    web_store.hotlists.add_entry(stolen.id, TRACKED)
    web_store.hotlists.add_entry(stolen.id, "40Z*")
    checks = {"hotlist": {"type": "hotlist"}}
    with serving(settings, db, clock, web_store, checks) as stack:
        key = stack.door.keys.issue("TAS-001")
        latencies = []
        with new_client(stack.app) as c:
            for n, plate in enumerate([TRACKED, "01B999ZZ", OTHER, TRACKED]):
                at = clock() - timedelta(seconds=60 - n)
                started = time.perf_counter()
                answer = post_signed(c, key, READS, {"reads": [read_body(f"k{n}", at, plate)]})
                assert answer.status_code == 200, answer.text
                if plate == "01B999ZZ":
                    continue
                arrived, alert = stack.alerts.get(timeout=5)
                assert alert.offence == "hotlist"
                assert alert.lists == ("stolen",)
                latencies.append(arrived - started)
            stack.wait_idle()
        assert stack.alerts.empty()  # the unlisted plate raised nothing
    print(f"hotlist alert after the ingest call: {[round(s * 1000, 1) for s in latencies]} ms")
    assert len(latencies) == 3
    assert max(latencies) < 1.0


def tiny_clip() -> bytes:
    out = io.BytesIO()
    frames = (np.full((48, 64, 3), 20 * n, np.uint8) for n in range(10))
    write_h264(out, frames, width=64, height=48, fps=10)
    return out.getvalue()


def test_a_pass_without_a_plate_is_a_no_plate_violation_with_its_clip_and_neighbours(
    settings: Settings, db: Database, clock: Clock, web_store: Store
) -> None:
    checks = {"no-plate": {"type": "no_plate"}}
    with serving(settings, db, clock, web_store, checks) as stack:
        key = stack.door.keys.issue("TAS-001")
        at = clock() - timedelta(minutes=1)
        reads = [
            read_body(
                "pass-1",
                at,
                None,
                frame_jpeg=b64(jpeg(320, 180, seed=1)),
                clip_mp4=b64(tiny_clip()),
            ),
            read_body("pass-2", at + timedelta(seconds=1), TRACKED, crop_jpeg=b64(jpeg(96, 24, 2))),
            read_body("pass-3", at + timedelta(seconds=5), OTHER),
        ]
        with new_client(stack.app) as c:
            answer = post_signed(c, key, READS, {"reads": reads})
            assert answer.json() == {"stored": 3, "duplicates": 0}
            bad = post_signed(c, key, READS, {"reads": [{**reads[0], "plate": ""}]})
            assert bad.status_code == 422  # an empty plate is not "no plate"
        stack.wait_idle()
        (row,) = violations(web_store, "no_plate")
        operator = sign_in(
            new_client(stack.app), add_user(stack.services, "otto", Role.OPERATOR), clock
        )
        with operator:
            detail = operator.get(f"/api/v1/violations/{row.id}").json()
            assert detail["plate"] is None
            (own,) = detail["reads"]
            assert own["plate"] == ""
            assert own["crop_url"] is None
            assert own["frame_url"] is not None
            clip = operator.get(own["clip_url"])
            assert clip.status_code == 200
            assert clip.headers["content-type"] == "video/mp4"
            assert clip.content == tiny_clip()
            (nearby,) = detail["nearby"]  # one second away; the third is five
            assert (nearby["plate"], nearby["camera"]) == (TRACKED, "TAS-001")
            assert operator.get(nearby["crop_url"]).status_code == 200
        # The view's entry records that another vehicle was shown: its read, not its plate.
        with db.read() as s:
            (view,) = s.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "violation.view",
                    AuditEntry.target == f"violation:{row.id}",
                )
            ).all()
        shown = json.loads(view.details)
        assert (shown["nearby"], shown["nearby_reads"]) == (1, str(nearby["id"]))
        assert TRACKED not in view.details


def test_the_lane_and_class_a_camera_reports_decide_a_lane_watching_rule(
    settings: Settings, db: Database, clock: Clock, web_store: Store
) -> None:
    """A no-plate check of the two kerb lanes, cyclists exempt: of four
    passes with no plate only the car in lane 1 is a violation (lane 3 is
    not watched, a bicycle needs no plate, and a pass with no lane is in
    none of the watched lanes)."""
    checks = {"no-plate": {"type": "no_plate", "lanes": [1, 2], "exempt_classes": ["bicycle"]}}
    with serving(settings, db, clock, web_store, checks) as stack:
        key = stack.door.keys.issue("TAS-001")
        at = clock() - timedelta(minutes=1)
        passes = [
            ("kerb", {"lane": 1, "vehicle_class": "car"}),
            ("outer", {"lane": 3, "vehicle_class": "car"}),
            ("cyclist", {"lane": 1, "vehicle_class": "bicycle"}),
            ("unplaced", {}),
        ]
        reads = [
            read_body(name, at + timedelta(seconds=n), None, **seen)
            for n, (name, seen) in enumerate(passes)
        ]
        with new_client(stack.app) as c:
            answer = post_signed(c, key, READS, {"reads": reads})
            assert answer.json() == {"stored": 4, "duplicates": 0}
        stack.wait_idle()
    (row,) = violations(web_store, "no_plate")
    details = json.loads(row.details)
    assert (details["lane"], details["vehicle_class"]) == (1, "car")
    assert row.read_id is not None
    read = web_store.reads.get(row.read_id)
    assert read is not None
    assert (read.lane, read.vehicle_class) == (1, "car")


def instant(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def track(at: float) -> list[dict[str, object]]:
    """Approach, cross the stop line at ``at`` (UTC seconds), drive on."""

    def point(t: float, offset: float) -> dict[str, object]:
        return {"at": instant(t).isoformat(), "offset_m": offset}

    return [point(at - 1.0, -6.0), point(at - 0.2, -1.0), point(at + 0.3, 1.5)]


def test_a_red_light_from_the_door_to_a_verified_evidence_package(
    settings: Settings, db: Database, clock: Clock, web_store: Store, tmp_path: Path
) -> None:
    checks = {
        "red-light": {
            "type": "red_light",
            "approaches": {"TAS-001": {"signal": "TAS-B1-sig"}},
            "amber_grace_s": 1.0,
        }
    }
    now = clock()
    with serving(settings, db, clock, web_store, checks) as stack:
        key = stack.door.keys.issue("TAS-001")  # bank TAS-B1: its controller signs with it
        phases = [
            {"signal": "TAS-B1-sig", "at": (now - timedelta(seconds=s)).isoformat(), "phase": p}
            for s, p in ((90, "green"), (50, "amber"), (45, "red"), (5, "green"))
        ]
        green_pass = (now - timedelta(seconds=60)).timestamp()
        amber_grace = (now - timedelta(seconds=44.5)).timestamp()  # half a second into red
        red_pass = (now - timedelta(seconds=20)).timestamp()
        with new_client(stack.app) as c:
            assert post_signed(c, key, PHASES, {"events": phases}).status_code == 200
            reads = [
                read_body(
                    f"x{n}",
                    instant(at + 0.3),
                    plate,
                    crop_jpeg=b64(jpeg(96, 24, seed=n)),
                    frame_jpeg=b64(jpeg(320, 180, seed=10 + n)),
                    track=track(at),
                )
                for n, (plate, at) in enumerate(
                    [(OTHER, green_pass), ("01B999ZZ", amber_grace), (TRACKED, red_pass)]
                )
            ]
            assert post_signed(c, key, READS, {"reads": reads}).status_code == 200
        stack.wait_idle()
        (row,) = violations(web_store, "red_light")
        operator = sign_in(
            new_client(stack.app), add_user(stack.services, "otto", Role.OPERATOR), clock
        )
        supervisor = sign_in(
            new_client(stack.app), add_user(stack.services, "sara", Role.SUPERVISOR), clock
        )
        with operator, supervisor:
            detail = operator.get(f"/api/v1/violations/{row.id}").json()
            assert detail["plate"] == TRACKED
            assert detail["details"]["signal"] == "TAS-B1-sig"
            assert 24 < detail["details"]["into_red_s"] < 26
            first = operator.post(f"/api/v1/violations/{row.id}/decision", json={"confirm": True})
            assert first.json()["status"] == "awaiting_second"
            early = supervisor.post(f"/api/v1/violations/{row.id}/package")
            assert early.status_code == 409  # not final before the second review
            second = supervisor.post(
                f"/api/v1/violations/{row.id}/decision", json={"confirm": True}
            )
            assert second.json()["status"] == "confirmed"
            package = supervisor.post(f"/api/v1/violations/{row.id}/package")
            assert package.status_code == 200
    zipped = tmp_path / "violation.zip"
    zipped.write_bytes(package.content)
    with zipfile.ZipFile(zipped) as z:
        names = set(z.namelist())
    assert any(n.endswith("-crop.jpg") for n in names)
    assert any(n.endswith("-frame.jpg") for n in names)
    public_key = tmp_path / "authority.pem"
    public_key.write_bytes(web_store.keys.signer().public_key.pem())

    runner = CliRunner()
    good = runner.invoke(
        cli_app, ["evidence", "verify", str(zipped), "--public-key", str(public_key)]
    )
    assert good.exit_code == 0, good.output
    assert "verified" in good.output

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(zipped) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("-frame.jpg"):
                data = data[:-16] + bytes(16)  # one image changed after signing
            dst.writestr(item, data)
    bad = runner.invoke(
        cli_app, ["evidence", "verify", str(tampered), "--public-key", str(public_key)]
    )
    assert bad.exit_code == 1
    assert "changed" in bad.output

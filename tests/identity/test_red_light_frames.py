"""Red-light evidence through the signed camera door: a read's track points
carry their frames, the rule names them before, at and past the stop line,
the review shows them by role, and the signed package names them so in its
manifest. Track frames that break the limits are refused with nothing kept."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from door_helpers import PHASES, READS, b64, post_signed, read_body, serving
from identity_helpers import Clock, add_user, new_client, sign_in
from investigation_helpers import TRACKED, jpeg
from sqlalchemy import func, select

from platekeeper.auth.roles import Role
from platekeeper.config import Settings
from platekeeper.review.models import Violation
from platekeeper.review.package import verify_package
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.store.models import EvidenceBlob, Read

CHECKS = {
    "red-light": {
        "type": "red_light",
        "approaches": {"TAS-001": {"signal": "TAS-B1-sig"}},
        "amber_grace_s": 1.0,
    }
}
# (seconds from the crossing, metres from the line): the crossing falls 0.1 s
# after the second point, so that point is "at", the first "before" and the
# third "past"; the fourth is one more frame of the pass.
POINTS = ((-1.0, -9.0), (-0.1, -1.0), (0.8, 7.0), (1.6, 15.0))


def track(at: float, frames: list[bytes | None]) -> list[dict[str, Any]]:
    out = []
    for (dt, offset), frame in zip(POINTS, frames, strict=True):
        point: dict[str, Any] = {
            "at": datetime.fromtimestamp(at + dt, UTC).isoformat(),
            "offset_m": offset,
        }
        if frame is not None:
            point["frame_jpeg"] = b64(frame)
        out.append(point)
    return out


def counts(store: Store) -> tuple[int, int]:
    with store.db.read() as s:
        reads = s.scalar(select(func.count()).select_from(Read)) or 0
        blobs = s.scalar(select(func.count()).select_from(EvidenceBlob)) or 0
    return reads, blobs


def test_track_frames_are_the_red_light_evidence_by_role(
    settings: Settings, db: Database, clock: Clock, web_store: Store
) -> None:
    now = clock()
    frames = [jpeg(320, 180, seed=40 + n) for n in range(4)]
    own_frame = jpeg(320, 180, seed=50)
    crop = jpeg(96, 24, seed=51)
    crossing = (now - timedelta(seconds=20)).timestamp()
    with serving(settings, db, clock, web_store, CHECKS) as stack:
        key = stack.door.keys.issue("TAS-001")
        phases = [
            {"signal": "TAS-B1-sig", "at": (now - timedelta(seconds=s)).isoformat(), "phase": p}
            for s, p in ((90, "green"), (50, "amber"), (45, "red"), (5, "green"))
        ]
        read = read_body(
            "red-1",
            datetime.fromtimestamp(crossing + 0.8, UTC),
            TRACKED,
            crop_jpeg=b64(crop),
            frame_jpeg=b64(own_frame),
            track=track(crossing, list(frames)),
        )
        with new_client(stack.app) as c:
            assert post_signed(c, key, PHASES, {"events": phases}).status_code == 200
            answer = post_signed(c, key, READS, {"reads": [read]})
            assert answer.json() == {"stored": 1, "duplicates": 0}
        stack.wait_idle()
        with web_store.db.read() as s:
            (row,) = s.scalars(select(Violation).where(Violation.offence == "red_light")).all()
        operator = sign_in(
            new_client(stack.app), add_user(stack.services, "otto", Role.OPERATOR), clock
        )
        supervisor = sign_in(
            new_client(stack.app), add_user(stack.services, "sara", Role.SUPERVISOR), clock
        )
        with operator, supervisor:
            detail = operator.get(f"/api/v1/violations/{row.id}").json()
            assert detail["details"]["evidence_complete"] is True
            assert [f["role"] for f in detail["frames"]] == ["before", "at", "past"]
            shown = [operator.get(f["url"]).content for f in detail["frames"]]
            assert shown == frames[:3]
            (own,) = detail["reads"]
            assert operator.get(own["frame_url"]).content == own_frame  # not a track frame
            page = operator.get(f"/review/{row.id}").text
            for caption in ("Before the line", "At the line", "Past the line"):
                assert caption in page
            operator.post(f"/api/v1/violations/{row.id}/decision", json={"confirm": True})
            supervisor.post(f"/api/v1/violations/{row.id}/decision", json={"confirm": True})
            package = supervisor.post(f"/api/v1/violations/{row.id}/package")
            assert package.status_code == 200
    assert verify_package(package.content, web_store.keys.signer().public_key).ok
    with zipfile.ZipFile(io.BytesIO(package.content)) as z:
        manifest = json.loads(z.read("manifest.json"))
        files = {f["name"]: f for f in manifest["files"]}
        read_id = manifest["violation"]["reads"][0]["id"]
        for role, frame in zip(("before", "at", "past"), frames, strict=False):
            name = f"read-{read_id}-{role}.jpg"
            assert files[name]["role"] == role
            assert z.read(name) == frame
        assert z.read(f"read-{read_id}-track-4.jpg") == frames[3]
        assert z.read(f"read-{read_id}-frame.jpg") == own_frame
        assert z.read(f"read-{read_id}-crop.jpg") == crop
        assert "role" not in files[f"read-{read_id}-crop.jpg"]


def test_track_frames_beyond_the_limits_are_refused_and_nothing_is_kept(
    settings: Settings, db: Database, clock: Clock, web_store: Store
) -> None:
    at = (clock() - timedelta(seconds=30)).timestamp()
    good = jpeg(160, 90, seed=7)
    truncated = good[: len(good) // 2]
    with serving(settings, db, clock, web_store, CHECKS) as stack:
        key = stack.door.keys.issue("TAS-001")
        before = counts(web_store)

        def send(n: int, points: list[dict[str, Any]]) -> Any:
            body = read_body(f"bad-{n}", datetime.fromtimestamp(at, UTC), TRACKED, track=points)
            with new_client(stack.app) as c:
                return post_signed(c, key, READS, {"reads": [body]})

        nine = [
            {
                "at": datetime.fromtimestamp(at + k / 10, UTC).isoformat(),
                "offset_m": k - 4.0,
                "frame_jpeg": b64(jpeg(64, 36, seed=k)),
            }
            for k in range(9)
        ]
        too_many = send(1, nine)
        assert too_many.status_code == 422
        assert "at most 8 track points carry a frame" in too_many.text
        not_jpeg = send(2, track(at, [None, b"\x89PNG\r\n\x1a\n" + bytes(32), None, None]))
        assert not_jpeg.status_code == 422
        assert "not a JPEG" in not_jpeg.text
        damaged = send(3, track(at, [good, truncated, None, None]))
        assert damaged.status_code == 422
        assert "track point 1" in damaged.text
        assert counts(web_store) == before

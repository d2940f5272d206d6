"""The operator's windscreen classifier as ``platekeeper serve`` runs it, fed
through the signed camera door: a read's frame comes from the store's
encrypted evidence and the windscreen is cut above the plate box the edge
sent; the tiny ONNX model the rules tests build stands in for the
operator's."""

from __future__ import annotations

import hashlib
import importlib.util
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from door_helpers import READS, b64, post_signed, read_body, serving
from identity_helpers import Clock, add_user, new_client, sign_in
from investigation_helpers import OTHER, TRACKED
from PIL import Image
from sqlalchemy import func, select

from platekeeper.auth.roles import Role
from platekeeper.config import Settings
from platekeeper.edge.folder import plate_box
from platekeeper.recognition.types import PlateRead
from platekeeper.review.models import Violation
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.store.models import Read

_BUILDER = Path(__file__).parents[1] / "rules" / "onnx_builder.py"


def tiny_classifier() -> bytes:
    spec = importlib.util.spec_from_file_location("onnx_builder", _BUILDER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data: bytes = module.tiny_classifier(32, 32)
    return data


PLATE = {"x": 300, "y": 350, "w": 100, "h": 25}


def frame_jpeg(windscreen_rgb: tuple[int, int, int]) -> bytes:
    """A 640x480 frame: the windscreen above the plate in one colour (the
    tiny model's blue is "seatbelt"), the plate white, the rest grey."""
    image = np.full((480, 640, 3), 90, dtype=np.uint8)
    image[175:288, 150:550] = windscreen_rgb
    image[350:375, 300:400] = 255
    out = io.BytesIO()
    Image.fromarray(image).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_a_seatbelt_seen_by_the_classifier_in_the_stored_frame_goes_to_review(
    settings: Settings, db: Database, clock: Clock, web_store: Store, tmp_path: Path
) -> None:
    model = tmp_path / "windscreen.onnx"
    model.write_bytes(tiny_classifier())
    checks = {
        "windscreen": {
            "type": "windscreen_classifier",
            "model": str(model),
            "sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
            "labels": {"seatbelt": 1, "phone": 2},
            "input_size": [32, 32],
            "threshold": 0.9,
        }
    }
    blue, grey = (0, 0, 230), (128, 128, 128)
    at = clock() - timedelta(minutes=2)
    with serving(settings, db, clock, web_store, checks) as stack:
        key = stack.door.keys.issue("TAS-001")

        def read(n: int, plate: str, colour: tuple[int, int, int], **extra: Any) -> Any:
            return read_body(
                f"w{n}",
                at + timedelta(seconds=n),
                plate,
                frame_jpeg=b64(frame_jpeg(colour)),
                **extra,
            )

        with new_client(stack.app) as c:
            reads = [
                read(0, TRACKED, blue, plate_box=PLATE),
                read(1, OTHER, grey, plate_box=PLATE),  # nothing to see
                read(2, "01B999ZZ", blue),  # no plate box: no windscreen to cut
            ]
            assert post_signed(c, key, READS, {"reads": reads}).json()["stored"] == 3
            with web_store.db.read() as s:
                before = s.scalar(select(func.count()).select_from(Read))
            for bad, problem in (
                ({**read(3, OTHER, grey), "plate_box": PLATE, "frame_jpeg": None}, "frame_jpeg"),
                (read(4, OTHER, grey, plate_box={**PLATE, "x": -1}), "plate_box.x"),
                (read(5, OTHER, grey, plate_box={**PLATE, "w": 0}), "plate_box.w"),
            ):
                refused = post_signed(c, key, READS, {"reads": [bad]})
                assert refused.status_code == 422
                assert problem in refused.text
            with web_store.db.read() as s:
                assert s.scalar(select(func.count()).select_from(Read)) == before
        stack.wait_idle()
        with web_store.db.read() as s:
            found = list(s.scalars(select(Violation).order_by(Violation.id)))
        assert [v.offence for v in found] == ["seatbelt"]
        (row,) = found
        operator = sign_in(
            new_client(stack.app), add_user(stack.services, "otto", Role.OPERATOR), clock
        )
        with operator:
            detail = operator.get(f"/api/v1/violations/{row.id}").json()
            assert detail["plate"] == TRACKED
            assert detail["details"]["score"] >= 0.9
            (own,) = detail["reads"]
            assert operator.get(own["frame_url"]).content == frame_jpeg(blue)
    assert '"role": "windscreen"' in row.evidence


def test_the_edge_sends_the_plate_box_cut_to_the_frame() -> None:
    def plate_at(quad: Any) -> PlateRead:
        crop = np.zeros((10, 40, 3), np.uint8)
        return PlateRead("01A123BC", 0.9, (), quad, "UZ", "uz", False, crop)

    inside = plate_at(((300.0, 350.0), (400.0, 350.0), (400.0, 375.0), (300.0, 375.0)))
    assert plate_box(inside) == PLATE
    at_the_edge = plate_at(((-4.0, -3.0), (96.0, -3.0), (96.0, 29.0), (-4.0, 29.0)))
    assert plate_box(at_the_edge) == {"x": 0, "y": 0, "w": 96, "h": 29}

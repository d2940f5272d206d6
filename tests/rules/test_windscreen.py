"""The operator's windscreen classifier plug-in point, with a tiny ONNX
model built by the test, and the manual flag that goes with it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from onnx_builder import tiny_classifier
from rules_helpers import build, context, read

from platekeeper.rules import Box, EvidenceRef, RulesEngine, Source
from platekeeper.rules.plugin import PluginError

PLATE = Box(300, 350, 100, 25)
FRAME = EvidenceRef("frame", "frame-1", role="at")


class Images:
    """Evidence images by reference (what the store will serve, decrypted)."""

    def __init__(self) -> None:
        self.frames: dict[str, npt.NDArray[np.uint8]] = {}

    def load(self, ref: EvidenceRef) -> npt.NDArray[np.uint8] | None:
        return self.frames.get(ref.ref)


def frame(windscreen_bgr: tuple[int, int, int]) -> npt.NDArray[np.uint8]:
    image = np.full((480, 640, 3), 90, dtype=np.uint8)
    # The default region: 1.5 plate widths left to 2.5 right, 7 to 2.5 plate
    # heights above the plate.
    image[175:288, 150:550] = windscreen_bgr
    image[350:375, 300:400] = 255  # the plate itself
    return image


@pytest.fixture
def model(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "windscreen.onnx"
    path.write_bytes(tiny_classifier(32, 32))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def classifier(model: tuple[Path, str], images: Images, **kw: Any) -> Any:
    path, digest = model
    config = {
        "type": "windscreen_classifier",
        "model": str(path),
        "sha256": digest,
        "labels": {"seatbelt": 1, "phone": 2},
        "input_size": [32, 32],
        "threshold": 0.9,
        **kw,
    }
    return build("windscreen", config, context(images=images))


@pytest.mark.parametrize(
    ("colour", "flagged"),
    [((0, 0, 230), ["phone"]), ((230, 0, 0), ["seatbelt"]), ((128, 128, 128), [])],
)
def test_the_model_flags_what_it_sees(
    model: tuple[Path, str], colour: tuple[int, int, int], flagged: list[str]
) -> None:
    images = Images()
    images.frames["frame-1"] = frame(colour)
    rule = classifier(model, images)
    found = rule.evaluate(read(plate_box=PLATE, evidence=(FRAME,)))
    assert [f.offence for f in found] == flagged
    for f in found:
        assert f.source is Source.CLASSIFIER
        assert f.needs_review
        assert f.details["score"] >= 0.9
        assert f.evidence[0].role == "windscreen"


def test_the_windscreen_is_cut_from_the_right_place(model: tuple[Path, str]) -> None:
    images = Images()
    image = frame((128, 128, 128))
    image[0:150, :] = (0, 0, 255)  # red well above the windscreen: not looked at
    images.frames["frame-1"] = image
    rule = classifier(model, images)
    assert rule.evaluate(read(plate_box=PLATE, evidence=(FRAME,))) == []
    vehicle = classifier(model, images, anchor="vehicle", region=[0.0, 0.0, 1.0, 0.3])
    car = Box(100, 0, 400, 400)  # its top 30 % is the red band
    assert [f.offence for f in vehicle.evaluate(read(vehicle_box=car, evidence=(FRAME,)))] == [
        "phone"
    ]


def test_without_a_frame_or_a_box_nothing_is_classified(model: tuple[Path, str]) -> None:
    images = Images()
    images.frames["frame-1"] = frame((0, 0, 230))
    rule = classifier(model, images)
    assert not rule.evaluate(read(evidence=(FRAME,)))  # no plate box
    assert not rule.evaluate(read(plate_box=PLATE))  # no frame
    off_image = Box(5000, 5000, 100, 25)
    assert not rule.evaluate(read(plate_box=off_image, evidence=(FRAME,)))
    assert rule.stats()["no_image"] == 3


def test_the_model_must_be_the_pinned_file(model: tuple[Path, str], tmp_path: Path) -> None:
    path, digest = model
    with pytest.raises(ValueError, match="SHA-256"):
        classifier((path, "0" * 64), Images())
    with pytest.raises(ValueError, match="no model file"):
        classifier((tmp_path / "missing.onnx", digest), Images())
    with pytest.raises(ValueError, match="does not take 3x64x64"):
        classifier(model, Images(), input_size=[64, 64])
    with pytest.raises(ValueError, match="label index 5"):
        classifier(model, Images(), labels={"phone": 5})
    with pytest.raises(PluginError, match="sha256"):
        classifier((path, "not-a-digest"), Images())


def test_a_manual_flag_does_not_repeat_the_classifiers(model: tuple[Path, str]) -> None:
    images = Images()
    images.frames["frame-1"] = frame((0, 0, 230))
    rule = classifier(model, images)
    engine = RulesEngine([rule], rule.context)
    seen = read(plate_box=PLATE, evidence=(FRAME,))
    (phone,) = engine.process(seen)
    assert engine.flag(seen, "phone", flagged_by="reviewer-7") is None
    seatbelt = engine.flag(seen, "seatbelt", flagged_by="reviewer-7", note="no belt")
    assert seatbelt is not None
    assert seatbelt.source is Source.MANUAL
    assert seatbelt.details == {"flagged_by": "reviewer-7", "note": "no belt"}
    assert seatbelt.key != phone.key
    with pytest.raises(ValueError, match="offence name"):
        engine.flag(seen, "Phone!", flagged_by="reviewer-7")

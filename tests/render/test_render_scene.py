"""render_scene: reproducible frames whose ground-truth quads lie inside the
image, cover the rendered plate, and never hide behind another vehicle."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from platekeeper.sim.render import SceneOptions, render_scene
from platekeeper.sim.render.background import make_geometry
from platekeeper.sim.render.camera import make_lighting
from platekeeper.sim.render.compose import Pose, composite_plate, plate_quad
from platekeeper.sim.render.scene import make_rig, mount_vehicle

SMALL = SceneOptions(width=640, height=360)


def test_same_seed_same_scene() -> None:
    a = render_scene(np.random.default_rng(21), SMALL)
    b = render_scene(np.random.default_rng(21), SMALL)
    assert np.array_equal(a.image, b.image)
    assert [p.text for p in a.plates] == [p.text for p in b.plates]
    for pa, pb in zip(a.plates, b.plates, strict=True):
        assert np.array_equal(pa.quad, pb.quad)
    c = render_scene(np.random.default_rng(22), SMALL)
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("lighting", ["day", "dusk", "night", "night_ir"])
def test_quads_inside_and_plates_not_hidden(lighting: str) -> None:
    rng = np.random.default_rng(30)
    opts = SceneOptions(width=960, height=540, lighting=lighting, vehicles=(2, 4))
    for _ in range(3):
        scene = render_scene(rng, opts)
        assert scene.image.shape == (540, 960, 3)
        assert scene.image.dtype == np.uint8
        assert scene.lighting == lighting
        assert scene.plates, "a frame with no plate"
        for p in scene.plates:
            assert p.quad.shape == (4, 2)
            assert (p.quad[:, 0] >= 0).all()
            assert (p.quad[:, 0] <= 960).all()
            assert (p.quad[:, 1] >= 0).all()
            assert (p.quad[:, 1] <= 540).all()
            # TL, TR, BR, BL: the text runs left to right along the top edge.
            assert p.quad[1, 0] > p.quad[0, 0]
            assert p.quad[2, 1] > p.quad[1, 1]
            assert "".join(c.char for c in p.chars) == p.text
            x0, y0, x1, y1 = p.box
            for c in p.chars:
                cx, cy = (c.box[0] + c.box[2]) / 2, (c.box[1] + c.box[3]) / 2
                assert x0 - 1 <= cx <= x1 + 1
                assert y0 - 1 <= cy <= y1 + 1
        if lighting == "night_ir":
            assert np.array_equal(scene.image[..., 0], scene.image[..., 2])  # grey


def test_requested_plates_are_in_the_frame() -> None:
    plates = [("01A123BC", "uz_private"), ("40777ABC", "uz_company")]
    scene = render_scene(np.random.default_rng(4), SceneOptions(vehicles=(2, 2)), plates)
    assert sorted(p.text for p in scene.plates) == ["01A123BC", "40777ABC"]
    assert {p.format for p in scene.plates} == {"uz_private", "uz_company"}
    assert all(p.country == "UZ" for p in scene.plates)


def test_jpeg_bytes_decode_to_the_image() -> None:
    scene = render_scene(
        np.random.default_rng(6), SceneOptions(width=640, height=360, jpeg_quality=(80, 80))
    )
    assert scene.jpeg is not None
    assert scene.params["jpeg_quality"] == 80
    decoded = cv2.imdecode(np.frombuffer(scene.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(decoded, scene.image)


def test_quad_is_where_the_plate_is_drawn() -> None:
    """Warp the frame back through the quad: it must give the plate raster."""
    rng = np.random.default_rng(11)
    rig = make_rig(rng, "uz_private", False, "sedan", "rear")
    scale = 300 / rig.plate_size_m[0]
    g = make_geometry(rng, 1280, 720, scale * 1.05, cam_h=5.0)
    light = make_lighting(rng, "day")
    m = mount_vehicle(rng, rig, "uz_private", "01A123BC", False, scale, light, 0.0)
    frame = np.zeros((720, 1280, 3), np.uint8)
    pose = Pose(0.0, g.focal / scale, 12.0, 10.0, 4.0)
    quad = composite_plate(frame, g, m, pose)
    assert np.allclose(quad, plate_quad(g, rig, pose))
    h, w = m.plate_image.shape[:2]
    corners = np.array(
        [[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], np.float32
    )
    back = cv2.getPerspectiveTransform(quad - np.float32(0.5), corners)
    rectified = cv2.warpPerspective(frame, back, (w, h), flags=cv2.INTER_LINEAR)
    inner = (slice(h // 8, h - h // 8), slice(w // 16, w - w // 16))
    a = rectified[inner].astype(np.float32).ravel()
    b = m.plate_image[inner].astype(np.float32).ravel()
    corr = float(np.corrcoef(a, b)[0, 1])
    assert corr > 0.9, corr
    # A quad shifted by two pixels fits clearly worse.
    back2 = cv2.getPerspectiveTransform(quad + np.float32(1.5), corners)
    shifted = cv2.warpPerspective(frame, back2, (w, h))[inner].astype(np.float32).ravel()
    assert float(np.corrcoef(shifted, b)[0, 1]) < corr - 0.02
    assert math.isfinite(corr)


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="frame size"):
        SceneOptions(width=10)
    with pytest.raises(ValueError, match="vehicles"):
        SceneOptions(vehicles=(3, 1))
    with pytest.raises(ValueError, match="unknown plate format"):
        SceneOptions(formats=("nope",))
    with pytest.raises(ValueError, match="lighting"):
        render_scene(np.random.default_rng(0), SceneOptions(lighting="noon"))

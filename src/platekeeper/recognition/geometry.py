"""Quadrilaterals: rectifying a plate out of a picture, and comparing boxes."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from platekeeper.recognition.imageio import as_image
from platekeeper.recognition.types import Image, Quad

Points = npt.NDArray[np.float32]


def quad_size(quad: Points) -> tuple[float, float]:
    """Width and height of a quadrilateral (longest opposite sides)."""
    width = max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3]))
    height = max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1]))
    return float(width), float(height)


def rectify(image: Image, quad: Points, height: int | None = None) -> Image:
    """The quadrilateral's content warped to an upright rectangle.

    With ``height`` the result is scaled to that height, keeping the aspect.
    """
    width, h = quad_size(quad)
    width, h = max(width, 2.0), max(h, 2.0)
    if height is not None:
        width, h = width * height / h, float(height)
    out_w, out_h = max(2, int(round(width))), max(2, int(round(h)))
    target = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return as_image(
        cv2.warpPerspective(
            image, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    )


def scale_quad(quad: Points, sx: float, sy: float | None = None) -> Points:
    """Grow or shrink a quadrilateral about its centre."""
    sy = sx if sy is None else sy
    centre = quad.mean(axis=0)
    x_axis = (quad[1] - quad[0] + quad[2] - quad[3]) / 2
    y_axis = (quad[3] - quad[0] + quad[2] - quad[1]) / 2
    x_unit = x_axis / max(float(np.linalg.norm(x_axis)), 1e-6)
    y_unit = y_axis / max(float(np.linalg.norm(y_axis)), 1e-6)
    out = []
    for point in quad:
        rel = point - centre
        along_x = float(rel @ x_unit)
        along_y = float(rel @ y_unit)
        out.append(centre + x_unit * along_x * sx + y_unit * along_y * sy)
    return np.array(out, dtype=np.float32)


def to_quad(points: Points) -> Quad:
    p = [(float(x), float(y)) for x, y in points.reshape(4, 2)]
    return (p[0], p[1], p[2], p[3])


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes."""
    ax0, ay0, aw, ah = a
    bx0, by0, bw, bh = b
    ix = max(0.0, min(ax0 + aw, bx0 + bw) - max(ax0, bx0))
    iy = max(0.0, min(ay0 + ah, by0 + bh) - max(ay0, by0))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def quad_box(quad: Points) -> tuple[float, float, float, float]:
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)

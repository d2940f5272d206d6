"""Turning untrusted bytes or arrays into the BGR uint8 images recognition works on.

Every failure is an ``ImageError`` with a reason an operator can act on; no
input makes the caller crash. The pixel count is checked from the header
before any decoding, so a small file that would expand to gigabytes
(a decompression bomb) is refused cheaply.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from platekeeper.recognition.types import Image

JPEG_SOI = b"\xff\xd8"
JPEG_EOI = b"\xff\xd9"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IEND = b"IEND"


class ImageError(ValueError):
    """An image that cannot be used, with the reason."""


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from the header, without decoding pixels."""
    if not data:
        raise ImageError("empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as img:
                return int(img.size[0]), int(img.size[1])
    except PILImage.DecompressionBombError as exc:
        raise ImageError("image too large (decompression bomb guard)") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError("not a recognised image format") from exc


def decode_image(data: bytes, *, max_pixels: int, reduce: int = 1) -> Image:
    """Decode JPEG/PNG/WebP/TIFF/BMP bytes to a BGR uint8 image.

    ``reduce`` (1, 2, 4 or 8) asks the decoder for a smaller image directly,
    which for JPEG skips most of the work (DCT scaling).
    """
    width, height = image_size(data)
    if width <= 0 or height <= 0:
        raise ImageError("image has no pixels")
    if width * height > max_pixels:
        raise ImageError(f"image has {width}x{height} pixels, more than the cap of {max_pixels:,}")
    _check_complete(data)
    flags = {
        1: cv2.IMREAD_COLOR,
        2: cv2.IMREAD_REDUCED_COLOR_2,
        4: cv2.IMREAD_REDUCED_COLOR_4,
        8: cv2.IMREAD_REDUCED_COLOR_8,
    }.get(reduce)
    if flags is None:
        raise ValueError("reduce must be 1, 2, 4 or 8")
    buffer = np.frombuffer(data, dtype=np.uint8)
    decoded = cv2.imdecode(buffer, flags)
    if decoded is not None:
        return to_bgr8(np.asarray(decoded))
    image = to_bgr8(_decode_with_pillow(data))
    if reduce > 1:
        size = (max(1, image.shape[1] // reduce), max(1, image.shape[0] // reduce))
        image = as_image(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    return image


def load_image(path: Path, *, max_pixels: int) -> Image:
    """Read and decode an image file."""
    try:
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise ImageError("is a directory") from exc
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc.strerror}") from exc
    return decode_image(data, max_pixels=max_pixels)


def as_image(array: object) -> Image:
    """An OpenCV result as the uint8 image type (no copy when it already is one)."""
    return np.asarray(array, dtype=np.uint8)


def to_bgr8(array: npt.NDArray[np.generic]) -> Image:
    """Normalise an array to BGR uint8: greyscale, alpha, 16-bit and float are accepted."""
    if not isinstance(array, np.ndarray):
        raise ImageError("image must be a numpy array")
    if array.ndim not in (2, 3) or array.size == 0:
        raise ImageError(f"image must be HxW or HxWxC, got shape {array.shape}")
    img: Image
    if array.dtype == np.uint8:
        img = np.asarray(array, dtype=np.uint8)
    elif array.dtype == np.uint16:
        img = (np.asarray(array, dtype=np.uint16) >> 8).astype(np.uint8)
    elif array.dtype in (np.float32, np.float64):
        values = np.nan_to_num(np.asarray(array, dtype=np.float64))
        scale = 255.0 if float(values.max()) <= 1.0 else 1.0
        img = np.clip(values * scale, 0, 255).astype(np.uint8)
    else:
        raise ImageError(f"unsupported pixel type {array.dtype}")
    channels = 1 if img.ndim == 2 else img.shape[2]
    if channels == 1:
        return as_image(cv2.cvtColor(img, cv2.COLOR_GRAY2BGR))
    if channels == 4:
        return as_image(cv2.cvtColor(img, cv2.COLOR_BGRA2BGR))
    if channels == 3:
        return np.ascontiguousarray(img)
    raise ImageError(f"unsupported channel count {channels}")


def _check_complete(data: bytes) -> None:
    # libjpeg and libpng happily return a half-grey picture for a cut-off
    # file; a read from such a picture would be evidence of nothing.
    if data.startswith(JPEG_SOI):
        if JPEG_EOI not in data[-1024:]:
            raise ImageError("truncated JPEG (no end-of-image marker)")
    elif data.startswith(PNG_SIGNATURE) and PNG_IEND not in data[-64:]:
        raise ImageError("truncated PNG (no IEND chunk)")


def _decode_with_pillow(data: bytes) -> npt.NDArray[np.generic]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as img:
                img.load()
                if img.mode in ("I;16", "I;16B", "I;16L", "I"):
                    arr = np.asarray(img, dtype=np.uint32)
                    return (arr >> 8 if arr.max() > 255 else arr).astype(np.uint8)
                rgb = img if img.mode in ("RGB", "L", "RGBA") else img.convert("RGB")
                arr = np.asarray(rgb)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"cannot decode image: {exc}") from exc
    if arr.ndim == 3 and arr.shape[2] == 3:
        return as_image(cv2.cvtColor(arr, cv2.COLOR_RGB2BGR))
    if arr.ndim == 3 and arr.shape[2] == 4:
        return as_image(cv2.cvtColor(arr, cv2.COLOR_RGBA2BGRA))
    return arr

"""Untrusted image input: a clear ImageError or a usable BGR image, never a crash."""

import struct
import zlib

import cv2
import numpy as np
import pytest

from platekeeper.recognition.imageio import ImageError, decode_image, to_bgr8

CAP = 64_000_000


def encode(img: np.ndarray, ext: str = ".png") -> bytes:
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header announces width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_empty_file() -> None:
    with pytest.raises(ImageError, match="empty"):
        decode_image(b"", max_pixels=CAP)


def test_not_an_image() -> None:
    with pytest.raises(ImageError, match="not a recognised image"):
        decode_image(b"%PDF-1.7 hello", max_pixels=CAP)


def test_truncated_jpeg() -> None:
    data = encode(np.full((200, 300, 3), 128, np.uint8), ".jpg")
    with pytest.raises(ImageError, match="truncated JPEG"):
        decode_image(data[: len(data) // 2], max_pixels=CAP)


def test_truncated_png() -> None:
    noise = np.random.default_rng(1).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    data = encode(noise)
    with pytest.raises(ImageError, match=r"truncated PNG|cannot decode"):
        decode_image(data[: len(data) // 2], max_pixels=CAP)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ImageError, match=r"more than the cap|decompression bomb"):
        decode_image(png_claiming(50_000, 50_000), max_pixels=CAP)


def test_pixel_cap_is_configurable() -> None:
    data = encode(np.zeros((100, 100, 3), np.uint8))
    with pytest.raises(ImageError, match="cap of 9,999"):
        decode_image(data, max_pixels=9_999)
    assert decode_image(data, max_pixels=10_000).shape == (100, 100, 3)


def test_sixteen_bit_greyscale_png() -> None:
    grey16 = np.full((40, 60), 40_000, np.uint16)
    out = decode_image(encode(grey16), max_pixels=CAP)
    assert out.dtype == np.uint8
    assert out.shape == (40, 60, 3)
    assert 150 <= int(out.mean()) <= 160  # 40000 / 257


def test_rgba_png() -> None:
    rgba = np.zeros((30, 50, 4), np.uint8)
    rgba[..., 2] = 255  # red in BGRA
    rgba[..., 3] = 255
    out = decode_image(encode(rgba), max_pixels=CAP)
    assert out.shape == (30, 50, 3)
    assert tuple(out[0, 0]) == (0, 0, 255)


def test_reduced_decoding() -> None:
    data = encode(np.zeros((400, 800, 3), np.uint8), ".jpg")
    assert decode_image(data, max_pixels=CAP, reduce=4).shape == (100, 200, 3)


@pytest.mark.parametrize(
    ("array", "shape"),
    [
        (np.zeros((10, 20), np.uint8), (10, 20, 3)),
        (np.zeros((10, 20, 1), np.uint8), (10, 20, 3)),
        (np.zeros((10, 20, 4), np.uint8), (10, 20, 3)),
        (np.zeros((10, 20, 3), np.uint16), (10, 20, 3)),
        (np.ones((10, 20, 3), np.float32), (10, 20, 3)),
    ],
)
def test_arrays_are_normalised(array: np.ndarray, shape: tuple[int, ...]) -> None:
    out = to_bgr8(array)
    assert out.shape == shape
    assert out.dtype == np.uint8


@pytest.mark.parametrize(
    "array",
    [np.zeros((0, 5, 3), np.uint8), np.zeros((5,), np.uint8), np.zeros((4, 4, 2), np.uint8)],
)
def test_unusable_arrays_are_refused(array: np.ndarray) -> None:
    with pytest.raises(ImageError):
        to_bgr8(array)

"""Checks on evidence before anything is written: size, type, structure.

Images are checked without decoding their pixels (a full decode of a 4K
frame costs ~10 ms, more than everything else the store does with a read):
the header must parse, the format must be JPEG, PNG or WebP, the pixel count
must be under the limit (checked before any decode, against decompression
bombs), and the container must be complete — a JPEG's segments must lead to
its scan and the file must end with the end-of-image marker, a PNG's chunks
must all pass their CRC and end with IEND, a WebP's RIFF length must match.
That rejects garbage and truncated uploads, the two failures cameras and
links produce. Clips must open as a container with a video stream.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from platekeeper.store.types import EvidenceKind

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class EvidenceRejected(ValueError):
    """Evidence that the store refuses, with the reason for the sender."""


@dataclass(frozen=True)
class EvidenceLimits:
    max_crop_bytes: int
    max_frame_bytes: int
    max_clip_bytes: int
    max_image_pixels: int


@dataclass(frozen=True)
class CheckedEvidence:
    kind: EvidenceKind
    data: bytes
    media_type: str


def check_evidence(kind: EvidenceKind, data: bytes, limits: EvidenceLimits) -> CheckedEvidence:
    """Return the evidence with its detected media type, or raise ``EvidenceRejected``."""
    cap = {
        EvidenceKind.CROP: limits.max_crop_bytes,
        EvidenceKind.FRAME: limits.max_frame_bytes,
        EvidenceKind.CLIP: limits.max_clip_bytes,
    }[kind]
    if not data:
        raise EvidenceRejected(f"{kind} is empty")
    if len(data) > cap:
        raise EvidenceRejected(f"{kind} is {len(data)} bytes; the limit is {cap}")
    if kind is EvidenceKind.CLIP:
        return CheckedEvidence(kind, data, _check_clip(data))
    return CheckedEvidence(kind, data, _check_image(kind, data, limits.max_image_pixels))


def _check_image(kind: EvidenceKind, data: bytes, max_pixels: int) -> str:
    if data[:3] == b"\xff\xd8\xff":
        # JPEG, by far the common case, is checked by our own marker walk:
        # a tenth of what Pillow's header parser costs for the same answers.
        size = _jpeg_size(data)
        if size is None:
            raise EvidenceRejected(f"{kind} is a damaged or truncated JPEG image")
        _check_pixels(kind, *size, max_pixels)
        return IMAGE_TYPES["JPEG"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image_format = image.format or ""
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombWarning):
        raise EvidenceRejected(f"{kind} is not a readable image") from None
    except Image.DecompressionBombError:
        raise EvidenceRejected(f"{kind} has too many pixels") from None
    if image_format not in IMAGE_TYPES:
        raise EvidenceRejected(
            f"{kind} is {image_format or 'an unknown format'}; JPEG, PNG or WebP expected"
        )
    _check_pixels(kind, width, height, max_pixels)
    complete = {"PNG": _png_complete, "WEBP": _webp_complete}
    if image_format == "JPEG" or not complete[image_format](data):
        raise EvidenceRejected(f"{kind} is a damaged or truncated {image_format} image")
    return IMAGE_TYPES[image_format]


def _check_pixels(kind: EvidenceKind, width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise EvidenceRejected(
            f"{kind} is {width}x{height} pixels; the limit is {max_pixels} pixels"
        )


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the marker segments to the first scan, reading the frame size on
    the way; None unless there is a frame header, a scan, and the data ends
    with the end-of-image marker (some encoders pad zeros after it)."""
    pos, end, frame = 2, len(data), None
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2 or pos + 2 + length > end:
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if length < 8:
                return None
            height, width = struct.unpack_from(">HH", data, pos + 5)
            frame = (int(width), int(height))
        if marker == 0xDA:
            tail = data[-64:].rstrip(b"\x00")
            return frame if tail.endswith(b"\xff\xd9") else None
        pos += 2 + length
    return None


def _png_complete(data: bytes) -> bool:
    try:
        image = Image.open(io.BytesIO(data))
        image.verify()  # every chunk's CRC, up to IEND
    except Exception:  # any failure at all means a broken file
        return False
    return data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")


def _webp_complete(data: bytes) -> bool:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    riff_size = int(struct.unpack_from("<I", data, 4)[0])
    return riff_size + 8 == len(data) or riff_size + 9 == len(data)


def _check_clip(data: bytes) -> str:
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise EvidenceRejected("clip has no video stream")
            names = set(container.format.name.split(","))
    except EvidenceRejected:
        raise
    except (av.error.FFmpegError, ValueError, OSError):
        raise EvidenceRejected("clip is not a readable video") from None
    if names & {"mp4", "mov"}:
        return "video/mp4"
    if names & {"matroska", "webm"}:
        return "video/webm"
    raise EvidenceRejected("clip is not MP4, Matroska or WebM")

"""The encrypted part of a read: plate, OCR candidates, GPS of the read.

Encoded as compact JSON before sealing (one ciphertext per read: each
ciphertext costs 29 bytes of nonce, tag and version, so one is cheaper than
three).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from platekeeper.crypto import DecryptionFailed


@dataclass(frozen=True)
class ReadPayload:
    plate: str
    candidates: tuple[tuple[str, float], ...]
    gps: tuple[float, float] | None


def encode(
    plate: str, candidates: Sequence[tuple[str, float]], gps: tuple[float, float] | None
) -> bytes:
    body = [
        plate,
        [[text, round(conf, 4)] for text, conf in candidates],
        [round(gps[0], 7), round(gps[1], 7)] if gps is not None else None,
    ]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def decode(data: bytes) -> ReadPayload:
    try:
        plate, candidates, gps = json.loads(data)
        return ReadPayload(
            plate=str(plate),
            candidates=tuple((str(t), float(c)) for t, c in candidates),
            gps=(float(gps[0]), float(gps[1])) if gps is not None else None,
        )
    except (ValueError, TypeError, IndexError):
        raise DecryptionFailed("a read's payload is malformed") from None


def plate_of(data: bytes) -> str:
    """Just the plate (wildcard scans decode nothing else)."""
    return decode(data).plate

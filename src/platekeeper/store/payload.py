"""The encrypted part of a read: plate, OCR candidates, GPS of the read.

One ciphertext per read (each costs 29 bytes of version, nonce and tag, so
one is cheaper than three), holding a compact text form:
``PLATE|CAND:CONF,CAND:CONF|LAT,LON`` and, for a read with a stop-line
track (red-light cameras), ``|TS:OFFSET,TS:OFFSET``; a point with a frame
is ``TS:OFFSET:NAME``, where NAME is the first ``FRAME_NAME_HEX`` hex digits
of the frame blob's content address (inside the ciphertext, so the link
between a read and its frames is as private as the read). Plates and
candidates are canonical (``[0-9A-Z]``), so the separators cannot occur
inside a field. A read whose plate box in its frame is known ends with
``|X,Y,W,H`` (after an empty track field when it has no track). A read
whose lane or vehicle class the camera sent ends with ``|LANE,CLASS``
(either may be empty; after empty track and box fields where it has none).
The class is a lower-case word (``[a-z0-9_]``), so it holds no separator;
a read with neither is written as it was before lanes travelled, and so
is every payload stored before them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from platekeeper.crypto import DecryptionFailed

FRAME_NAME_HEX = 16
"""64 bits of the address: enough to tell one read's frames apart."""


def frame_name(address: bytes) -> str:
    return address.hex()[:FRAME_NAME_HEX]


@dataclass(frozen=True)
class ReadPayload:
    plate: str
    candidates: tuple[tuple[str, float], ...]
    gps: tuple[float, float] | None
    track: tuple[tuple[float, float], ...] = ()
    track_frames: tuple[str, ...] = ()
    """Each track point's frame name ("" for none); empty when no point has one."""
    plate_box: tuple[int, int, int, int] | None = None
    lane: int | None = None
    vehicle_class: str | None = None


def encode(
    plate: str,
    candidates: Sequence[tuple[str, float]],
    gps: tuple[float, float] | None,
    track: Sequence[tuple[float, float]] = (),
    *,
    track_frames: Sequence[str] = (),
    plate_box: tuple[int, int, int, int] | None = None,
    lane: int | None = None,
    vehicle_class: str | None = None,
) -> bytes:
    alternatives = ",".join(f"{text}:{round(conf, 4)}" for text, conf in candidates)
    position = f"{round(gps[0], 7)},{round(gps[1], 7)}" if gps is not None else ""
    text = f"{plate}|{alternatives}|{position}"
    seen = lane is not None or bool(vehicle_class)
    if track or plate_box is not None or seen:
        names = list(track_frames) or [""] * len(track)
        text += "|" + ",".join(
            f"{ts:.3f}:{offset:.2f}" + (f":{name}" if name else "")
            for (ts, offset), name in zip(track, names, strict=True)
        )
    if plate_box is not None or seen:
        text += "|" + ("" if plate_box is None else ",".join(str(int(v)) for v in plate_box))
    if seen:
        text += f"|{'' if lane is None else int(lane)},{vehicle_class or ''}"
    return text.encode("ascii")


def decode(data: bytes) -> ReadPayload:
    try:
        fields = data.decode("ascii").split("|")
        plate, alternatives, position = fields[:3]
        track = []
        names = []
        if len(fields) not in (3, 4, 5, 6):
            raise ValueError("wrong number of fields")
        box = None
        if len(fields) == 5 or (len(fields) == 6 and fields[4]):
            x, y, w, h = (int(v) for v in fields[4].split(","))
            box = (x, y, w, h)
        lane, vclass = None, None
        if len(fields) == 6:
            lane_text, vclass_text = fields[5].split(",")
            lane = int(lane_text) if lane_text else None
            vclass = vclass_text or None
        if len(fields) >= 4 and fields[3]:
            for item in fields[3].split(","):
                ts, offset, *name = item.split(":")
                if len(name) > 1:
                    raise ValueError("a track point has at most three parts")
                track.append((float(ts), float(offset)))
                names.append(name[0] if name else "")
        candidates = []
        if alternatives:
            for item in alternatives.split(","):
                text, conf = item.split(":")
                candidates.append((text, float(conf)))
        gps = None
        if position:
            lat, lon = position.split(",")
            gps = (float(lat), float(lon))
    except ValueError:
        raise DecryptionFailed("a read's payload is malformed") from None
    return ReadPayload(
        plate,
        tuple(candidates),
        gps,
        tuple(track),
        tuple(names) if any(names) else (),
        box,
        lane,
        vclass,
    )


def plate_of(data: bytes) -> str:
    """Just the plate (wildcard scans decode nothing else)."""
    return data.split(b"|", 1)[0].decode("ascii")

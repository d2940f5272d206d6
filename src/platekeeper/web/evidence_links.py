"""Links to the images of reads a user was shown.

A search result or a live read carries, for each image, a link token bound
to the user it was shown to and valid for a limited time. The evidence
route serves an image only through such a token, so a read's images are
reachable only after the audited search or live view that showed the read —
never by counting read numbers. Tokens carry ids, never a plate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import timedelta

from platekeeper.auth.errors import NotFoundError
from platekeeper.auth.trail import Clock

_LAYOUT = struct.Struct(">QQq")
_MAC_BYTES = 16


@dataclass(frozen=True)
class EvidenceTarget:
    read_id: int
    blob_id: int


class EvidenceLinks:
    def __init__(self, key: bytes, clock: Clock, lifetime: timedelta) -> None:
        if len(key) < 32:
            raise ValueError("the evidence link key must be at least 32 bytes")
        self._key = key
        self.clock = clock
        self.lifetime = lifetime

    def _mac(self, body: bytes, user_id: int) -> bytes:
        return hmac.digest(self._key, body + struct.pack(">q", user_id), hashlib.sha256)[
            :_MAC_BYTES
        ]

    def mint(self, user_id: int, read_id: int, blob_id: int) -> str:
        expires = int((self.clock() + self.lifetime).timestamp())
        body = _LAYOUT.pack(read_id, blob_id, expires)
        return base64.urlsafe_b64encode(body + self._mac(body, user_id)).decode().rstrip("=")

    def url(self, user_id: int, read_id: int, blob_id: int) -> str:
        return f"/api/v1/evidence/{self.mint(user_id, read_id, blob_id)}"

    def open(self, token: str, user_id: int) -> EvidenceTarget:
        """The read and image behind ``token`` for ``user_id``; 404 otherwise."""
        gone = NotFoundError("No such image, or the link has expired.")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            raise gone from None
        if len(raw) != _LAYOUT.size + _MAC_BYTES:
            raise gone
        body, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
        if not hmac.compare_digest(mac, self._mac(body, user_id)):
            raise gone
        read_id, blob_id, expires = _LAYOUT.unpack(body)
        if expires <= self.clock().timestamp():
            raise gone
        return EvidenceTarget(read_id, blob_id)

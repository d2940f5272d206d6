"""Signed camera requests: HMAC-SHA256 over what a request is.

A camera signs the method, the path (with its query), a timestamp, a nonce
and the SHA-256 of the body, and sends the signature with its key id in
headers. The server recomputes it with the camera's secret. The timestamp
bounds how old (or how far ahead of the server's clock) a request may be;
the nonce, remembered for that window, makes each signed request usable
once. Both sides use this module: the edge agent to sign, ingest to check.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

KEY_ID_HEADER = "X-Platekeeper-Key"
TIMESTAMP_HEADER = "X-Platekeeper-Timestamp"
NONCE_HEADER = "X-Platekeeper-Nonce"
SIGNATURE_HEADER = "X-Platekeeper-Signature"

DEFAULT_WINDOW_SECONDS = 300
"""How far a request's timestamp may be from the server's clock, either way."""

KEY_ID = re.compile(r"^ck_[A-Za-z0-9]{16,28}$")
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


class SignatureError(Exception):
    """A request whose signature headers are missing, malformed or wrong.

    ``status`` is the HTTP answer: 401 for anything about the signature,
    403 for a valid signature by a revoked or disabled camera."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The signature headers of one request, parsed and checked for form."""

    key_id: str
    timestamp: int
    nonce: str
    signature: str


def canonical(method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    """The exact bytes that are signed."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}".encode()


def signature(secret: bytes, message: bytes) -> str:
    """Hex HMAC-SHA256 of ``canonical(...)`` bytes."""
    return hmac.new(secret, message, "sha256").hexdigest()


def sign(
    key_id: str,
    secret: bytes,
    method: str,
    path: str,
    body: bytes,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign one request (the camera's side)."""
    timestamp = int(time.time() if now is None else now)
    nonce = nonce or secrets.token_urlsafe(18)
    return {
        KEY_ID_HEADER: key_id,
        TIMESTAMP_HEADER: str(timestamp),
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(secret, canonical(method, path, timestamp, nonce, body)),
    }


def parse(headers: Mapping[str, str]) -> SignedHeaders:
    """The signature headers, or ``SignatureError`` saying which is wrong."""
    lowered = {k.lower(): v for k, v in headers.items()}

    def get(name: str) -> str:
        value = lowered.get(name.lower())
        if value is None:
            raise SignatureError(f"missing {name} header")
        return value

    key_id, stamp, nonce, sig = (
        get(KEY_ID_HEADER),
        get(TIMESTAMP_HEADER),
        get(NONCE_HEADER),
        get(SIGNATURE_HEADER),
    )
    if not KEY_ID.match(key_id):
        raise SignatureError(f"malformed {KEY_ID_HEADER} header")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds")
    if not NONCE.match(nonce):
        raise SignatureError(f"{NONCE_HEADER} must be 16-64 URL-safe characters")
    if not SIGNATURE.match(sig):
        raise SignatureError(f"{SIGNATURE_HEADER} must be 64 lower-case hex digits")
    return SignedHeaders(key_id, int(stamp), nonce, sig)


def check(
    signed: SignedHeaders,
    secret: bytes,
    method: str,
    path: str,
    body: bytes,
    *,
    now: float,
    window: int = DEFAULT_WINDOW_SECONDS,
) -> None:
    """Raise ``SignatureError`` unless the request is fresh and signed by ``secret``.

    The nonce is not checked here (it needs the store of seen nonces): see
    ``CameraKeys.verify``."""
    if abs(now - signed.timestamp) > window:
        raise SignatureError("request timestamp outside the accepted window")
    expected = signature(secret, canonical(method, path, signed.timestamp, signed.nonce, body))
    if not hmac.compare_digest(expected, signed.signature):
        raise SignatureError("bad signature")

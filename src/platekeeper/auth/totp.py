"""Time-based one-time passwords (RFC 6238) and one-time recovery codes.

TOTP is compulsory for every account. A code is accepted for the current
30-second step and one step either side (clock drift), but never for a step
at or before the last one accepted for that user: a code seen once, by a
shoulder-surfer or a phishing proxy, cannot be used again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DRIFT_STEPS = 1
_CODE = re.compile(r"^\d{6}$")
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_secret() -> str:
    """A fresh base32 seed of 160 bits (the size RFC 4226 recommends)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, *, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code (no script, no style element)."""
    qr = segno.make(uri, error="m")
    svg: str = qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", title="TOTP QR code")
    return svg


def time_step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def normalise_code(code: str) -> str:
    return re.sub(r"\s+", "", code)


def matching_step(secret: str, code: str, *, at: datetime, last_step: int | None) -> int | None:
    """The time-step ``code`` belongs to, if it is valid and not a replay; else None."""
    code = normalise_code(code)
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    now = time_step(at)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        # Compare every candidate (no early exit) so timing does not tell which matched.
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


@dataclass(frozen=True)
class RecoveryCodes:
    """Codes shown to the user once, and the digests that are stored."""

    codes: tuple[str, ...]
    digests: tuple[bytes, ...]


def recovery_digest(user_id: int, code: str) -> bytes:
    normal = re.sub(r"[^A-Z0-9]", "", code.upper())
    return hashlib.sha256(f"platekeeper-recovery:{user_id}:{normal}".encode()).digest()


def new_recovery_codes(user_id: int, count: int) -> RecoveryCodes:
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return RecoveryCodes(tuple(codes), tuple(recovery_digest(user_id, c) for c in codes))


def looks_like_recovery_code(code: str) -> bool:
    return len(re.sub(r"[^A-Za-z0-9]", "", code)) == 16

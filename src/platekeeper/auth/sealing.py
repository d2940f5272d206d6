"""Encryption of the small secrets of identity (TOTP seeds) at rest.

AES-256-GCM with a random 96-bit nonce and associated data that binds each
sealed value to its owner, so a sealed seed copied onto another user's row
does not open. The key is handed in by whoever builds the services (derived
from the deployment's master key); this module never reads key material.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
KEY_BYTES = 32


class SealError(ValueError):
    """A sealed value could not be opened (wrong key, owner, or tampered)."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("the sealing key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        if len(sealed) < 1 + 12 + 16 or sealed[:1] != _VERSION:
            raise SealError("not a sealed value")
        try:
            return self._aead.decrypt(sealed[1:13], sealed[13:], context.encode())
        except InvalidTag as exc:
            raise SealError("sealed value does not open") from exc

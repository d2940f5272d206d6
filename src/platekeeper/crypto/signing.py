"""Ed25519 signatures for audit checkpoints and evidence packages.

The private key lives in the key vault (wrapped by the master key, like every
other key); verifiers need only the public key, exported as PEM or raw bytes.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from platekeeper.crypto import CryptoError

SEED_BYTES = 32


class Signer:
    """An Ed25519 private key that signs byte strings."""

    __slots__ = ("_private", "public_key")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != SEED_BYTES:
            raise CryptoError("an Ed25519 private key is 32 bytes")
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = PublicKey(self._private.public_key())

    @staticmethod
    def new_seed() -> bytes:
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"Signer({self.public_key.fingerprint})"


class PublicKey:
    """An Ed25519 public key: verifies, exports, and names itself."""

    __slots__ = ("_key",)

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key

    @classmethod
    def from_bytes(cls, raw: bytes) -> PublicKey:
        try:
            return cls(Ed25519PublicKey.from_public_bytes(raw))
        except ValueError:
            raise CryptoError("not an Ed25519 public key") from None

    @classmethod
    def from_pem(cls, pem: bytes) -> PublicKey:
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError:
            raise CryptoError("not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise CryptoError("not an Ed25519 public key")
        return cls(key)

    def raw(self) -> bytes:
        return self._key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def pem(self) -> bytes:
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def fingerprint(self) -> str:
        """Short printable name: base32 of SHA-256 of the raw key, 16 characters."""
        digest = hashlib.sha256(self.raw()).digest()
        return base64.b32encode(digest).decode("ascii")[:16]

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

"""Keys and encryption: master key, key vault, envelope encryption, blind
indexes for plate search, Ed25519 signatures.

Nothing here touches the main database; the store room builds its key
catalogue on top of these primitives.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of key and encryption errors. Messages never contain key
    material or plaintext."""


class KeyUnavailable(CryptoError):
    """A key is not in the vault: never created here, or destroyed (shredded)."""


class DecryptionFailed(CryptoError):
    """A ciphertext did not authenticate: wrong key, wrong record, or tampered."""

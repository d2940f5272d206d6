"""Sealing evidence for the back-ends: addresses, blob keys, wrapping.

A blob's name is the hex of its keyed content hash; its key is derived from
its content (convergent encryption, see crypto/aead.py) and stored only
wrapped by a data key, in the blob's database row. Re-keying a blob (a hit,
a legal hold) re-wraps those 61 bytes; the object is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from platekeeper.crypto.aead import BlobSealer, DataCipher
from platekeeper.store.evidence.backends import BlobBackend
from platekeeper.store.evidence.validation import CheckedEvidence
from platekeeper.store.types import EvidenceKind

_KEY_AAD = b"pk/blob-key|"


def object_name(address: bytes) -> str:
    return address.hex()


def _blob_aad(address: bytes, kind: EvidenceKind) -> bytes:
    return b"pk/blob|" + kind.value.encode("ascii") + b"|" + address


@dataclass(frozen=True)
class PreparedBlob:
    """A checked blob, sealed and ready to write."""

    address: bytes
    kind: EvidenceKind
    media_type: str
    size: int
    sealed: bytes = field(repr=False)
    blob_key: bytes = field(repr=False)

    @property
    def name(self) -> str:
        return object_name(self.address)


class EvidenceStore:
    """Seals blobs for, and opens blobs from, one back-end."""

    def __init__(self, backend: BlobBackend, sealer: BlobSealer) -> None:
        self.backend = backend
        self.sealer = sealer

    def prepare(self, checked: CheckedEvidence) -> PreparedBlob:
        address, blob_key = self.sealer.address_and_key(checked.data)
        sealed = BlobSealer.seal(blob_key, checked.data, _blob_aad(address, checked.kind))
        return PreparedBlob(
            address=address,
            kind=checked.kind,
            media_type=checked.media_type,
            size=len(checked.data),
            sealed=sealed,
            blob_key=blob_key,
        )

    @staticmethod
    def wrap_key(cipher: DataCipher, address: bytes, blob_key: bytes) -> bytes:
        return cipher.seal(blob_key, _KEY_AAD + address)

    @staticmethod
    def unwrap_key(cipher: DataCipher, address: bytes, wrapped: bytes) -> bytes:
        return cipher.open(wrapped, _KEY_AAD + address)

    def open(self, address: bytes, kind: EvidenceKind, cipher: DataCipher, wrapped: bytes) -> bytes:
        """Fetch and decrypt one blob (``DecryptionFailed`` if anything was swapped)."""
        blob_key = self.unwrap_key(cipher, address, wrapped)
        sealed = self.backend.get(object_name(address))
        return BlobSealer.open(blob_key, sealed, _blob_aad(address, kind))

"""Sealing evidence for the back-ends: addresses, blob keys, wrapping.

A blob's name is the hex of its keyed content hash; its key is derived from
its content (convergent encryption, see crypto/aead.py) and stored only
wrapped by a data key, in the blob's database row. Re-keying a blob (a hit,
a legal hold) re-wraps those 61 bytes; the object is never rewritten.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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
    """Seals blobs for, and opens blobs from, one back-end.

    Hashing and sealing a batch's blobs, and writing them, run on a small
    thread pool: SHA-256 and file or HTTP I/O release the GIL, and a batch
    of frames is megabytes.
    """

    def __init__(self, backend: BlobBackend, sealer: BlobSealer, workers: int = 8) -> None:
        self.backend = backend
        self.sealer = sealer
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="evidence")
            return self._pool

    def prepare_many(self, items: Sequence[CheckedEvidence]) -> list[PreparedBlob]:
        if len(items) < 2:
            return [self.prepare(item) for item in items]
        return list(self._executor().map(self.prepare, items))

    def write_many(self, blobs: Sequence[PreparedBlob]) -> None:
        """Write objects (write-once), then make them durable."""
        if len(blobs) < 2:
            for blob in blobs:
                self.backend.put_new(blob.name, blob.sealed)
        else:
            list(self._executor().map(lambda b: self.backend.put_new(b.name, b.sealed), blobs))
        self.backend.flush()

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

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

"""The master key: the one secret that unlocks every other key.

It wraps (encrypts) data keys and never encrypts data itself, so rotating it
re-wraps a few thousand small keys and leaves the data untouched. It comes
from ``PLATEKEEPER_MASTER_KEY`` (the environment or a secrets file) or from a
key file that ``platekeeper init`` creates with mode 0600. A key file readable
by anyone but its owner is refused, as ssh refuses such a private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from platekeeper.crypto import CryptoError, DecryptionFailed

logger = logging.getLogger(__name__)

MASTER_KEY_BYTES = 32
NONCE_BYTES = 12
# Suffix of the file that holds the next master key while a rotation is under
# way; its presence after a crash tells `keys rotate` to finish the job.
NEXT_SUFFIX = ".next"


class MasterKeyError(CryptoError):
    """The master key is missing, malformed or badly protected."""


class MasterKey:
    """A 256-bit key-encryption key. Its ``repr`` shows only the fingerprint."""

    __slots__ = ("_aead", "_key", "fingerprint")

    def __init__(self, key: bytes) -> None:
        if len(key) != MASTER_KEY_BYTES:
            raise MasterKeyError(f"a master key is {MASTER_KEY_BYTES} bytes")
        self._key = key
        self._aead = AESGCM(key)
        # A short public name for the key, so that a wrapped key can say which
        # master wrapped it without revealing anything about the key.
        self.fingerprint = hmac.digest(key, b"platekeeper/master-key-id", hashlib.sha256)[:8]

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(secrets.token_bytes(MASTER_KEY_BYTES))

    @classmethod
    def parse(cls, text: str) -> MasterKey:
        """Read the text form (base64, standard or URL-safe, padding optional)."""
        cleaned = "".join(text.split())
        cleaned = cleaned.replace("-", "+").replace("_", "/")
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            raw = base64.b64decode(cleaned, validate=True)
        except (binascii.Error, ValueError):
            raise MasterKeyError("the master key is not valid base64") from None
        if len(raw) != MASTER_KEY_BYTES:
            raise MasterKeyError(
                f"the master key must decode to {MASTER_KEY_BYTES} bytes (got {len(raw)}); "
                "make one with: openssl rand -base64 32"
            )
        return cls(raw)

    def encode(self) -> str:
        return base64.urlsafe_b64encode(self._key).decode("ascii").rstrip("=")

    @property
    def fingerprint_hex(self) -> str:
        return self.fingerprint.hex()

    def wrap(self, material: bytes, context: bytes) -> bytes:
        """Encrypt key material; ``context`` (e.g. the vault handle) is bound as
        associated data so a wrapped key cannot be moved to another slot."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, material, b"pk/wrap/v1|" + context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], b"pk/wrap/v1|" + context
            )
        except InvalidTag:
            raise DecryptionFailed("a wrapped key did not authenticate") from None

    def __repr__(self) -> str:
        return f"MasterKey({self.fingerprint_hex})"


@dataclass(frozen=True)
class Keyring:
    """The master key in use, plus the next one while a rotation is unfinished."""

    current: MasterKey
    source: str
    pending: MasterKey | None = None

    def by_fingerprint(self, fingerprint: bytes) -> MasterKey:
        for key in (self.current, self.pending):
            if key is not None and hmac.compare_digest(key.fingerprint, fingerprint):
                return key
        raise MasterKeyError(
            f"a key in the vault is wrapped by master key {fingerprint.hex()}, but the "
            f"configured master key is {self.current.fingerprint_hex}; configure the "
            "master key that matches the vault"
        )


def read_key_file(path: Path) -> MasterKey:
    """Load a master key file, refusing one that others may read or write."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise MasterKeyError(f"no master key file at {path}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MasterKeyError(
            f"master key file {path} is accessible by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):o}); run: chmod 600 {path}"
        )
    try:
        return MasterKey.parse(path.read_text(encoding="ascii"))
    except UnicodeDecodeError:
        raise MasterKeyError(f"master key file {path} is not a key") from None
    except MasterKeyError as exc:
        raise MasterKeyError(f"master key file {path}: {exc}") from None


def write_key_file(path: Path, key: MasterKey) -> None:
    """Create ``path`` with mode 0600 holding ``key``; never overwrites a file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise MasterKeyError(
            f"a master key already exists at {path}; refusing to overwrite it"
        ) from None
    try:
        os.write(fd, (key.encode() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename or creation in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def destroy_key_file(path: Path) -> None:
    """Overwrite and remove a key file. Overwriting is best effort: copy-on-write
    file systems and SSDs may keep old blocks, which is why the master key only
    wraps keys that the vault can destroy on its own."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with path.open("r+b") as handle:
        handle.write(secrets.token_bytes(max(size, 64)))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    fsync_dir(path.parent)


def load_keyring(env_key: str | None, key_file: Path) -> Keyring:
    """The master key from the environment/secrets file if given, else ``key_file``.

    A pending rotation (``<key_file>.next``) is loaded alongside, so that a
    process started between the two steps of a rotation can still unwrap
    every key.
    """
    pending_path = key_file.with_name(key_file.name + NEXT_SUFFIX)
    pending = read_key_file(pending_path) if pending_path.exists() else None
    if env_key is not None:
        try:
            current = MasterKey.parse(env_key)
        except MasterKeyError as exc:
            raise MasterKeyError(f"PLATEKEEPER_MASTER_KEY: {exc}") from None
        return Keyring(current=current, source="environment", pending=pending)
    if not key_file.exists():
        raise MasterKeyError(
            f"no master key: {key_file} does not exist and PLATEKEEPER_MASTER_KEY is not set "
            "(run `platekeeper init` first)"
        )
    logger.debug("master key loaded from %s", key_file)
    return Keyring(current=read_key_file(key_file), source=f"file {key_file}", pending=pending)

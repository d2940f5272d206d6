"""Camera keys: issued once, kept sealed, checked on every signed request.

``issue`` makes a random 32-byte secret for a camera and returns it once
(the operator loads it into the camera or its edge agent); the database
keeps it sealed with AES-256-GCM under the vault's ``camera-keys`` system
key, bound to the key id, so neither a database dump nor a swapped row
yields a usable secret. ``revoke`` stops a key at once. ``verify`` checks a
signed request end to end: the key is known and live, its camera active, the
timestamp fresh, the signature right, and the nonce unused (recorded in the
same step, so two racing replays cannot both pass). Nonces are remembered
for twice the window, then forgotten: older requests are stale anyway.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platekeeper.crypto.aead import DataCipher
from platekeeper.crypto.vault import KeyVault
from platekeeper.ingest.signing import (
    DEFAULT_WINDOW_SECONDS,
    SignatureError,
    check,
    parse,
)
from platekeeper.store.engine import Database
from platekeeper.store.errors import InvalidInput
from platekeeper.store.models import Camera, CameraKey, IngestNonce
from platekeeper.store.types import utc_now

SECRET_BYTES = 32
VAULT_KEY = "camera-keys"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new camera key. ``secret`` exists only here: show it once."""

    key_id: str
    camera_code: str
    secret: bytes

    def __repr__(self) -> str:  # keep the secret out of tracebacks and logs
        return f"IssuedKey(key_id={self.key_id!r}, camera_code={self.camera_code!r})"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    camera_code: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class VerifiedCamera:
    """Who signed a request that passed every check."""

    key_id: str
    camera_id: int
    camera_code: str


def _aad(key_id: str) -> bytes:
    return b"pk/camera_keys|" + key_id.encode("ascii")


class CameraKeys:
    """Issuing, revoking and checking camera keys."""

    def __init__(
        self,
        db: Database,
        vault: KeyVault,
        *,
        window: int = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.window = window
        self.clock = clock
        self._cipher = DataCipher(0, vault.system_key(VAULT_KEY))
        self._pruned_at: datetime | None = None

    def issue(self, camera_code: str, *, session: Session | None = None) -> IssuedKey:
        """A new key for the camera; in ``session`` when given (the caller's
        transaction, e.g. with its audit entry), else in a transaction of its own."""
        if session is None:
            with self.db.write() as s:
                return self.issue(camera_code, session=s)
        key_id = "ck_" + secrets.token_hex(10)
        secret = secrets.token_bytes(SECRET_BYTES)
        camera = session.scalar(select(Camera).where(Camera.code == camera_code))
        if camera is None:
            raise InvalidInput(f"no camera with the code {camera_code!r}")
        session.add(
            CameraKey(
                key_id=key_id,
                camera_id=camera.id,
                sealed_secret=self._cipher.seal(secret, _aad(key_id)),
                created_at=self.clock(),
                revoked_at=None,
            )
        )
        session.flush()
        return IssuedKey(key_id, camera_code, secret)

    def revoke(self, key_id: str, *, session: Session | None = None) -> KeyInfo:
        """Revoke a key (idempotent); in ``session`` when given, as for ``issue``."""
        if session is None:
            with self.db.write() as s:
                return self.revoke(key_id, session=s)
        row = session.get(CameraKey, key_id)
        if row is None:
            raise InvalidInput(f"no camera key {key_id!r}")
        if row.revoked_at is None:
            row.revoked_at = self.clock()
        code = session.scalar(select(Camera.code).where(Camera.id == row.camera_id))
        return KeyInfo(row.key_id, code or "?", row.created_at, row.revoked_at)

    def list(self, camera_code: str | None = None) -> list[KeyInfo]:
        query = select(CameraKey, Camera.code).join(Camera, Camera.id == CameraKey.camera_id)
        if camera_code is not None:
            query = query.where(Camera.code == camera_code)
        with self.db.read() as s:
            rows = s.execute(query.order_by(Camera.code, CameraKey.created_at)).all()
        return [KeyInfo(k.key_id, code, k.created_at, k.revoked_at) for k, code in rows]

    def verify(
        self, headers: Mapping[str, str], method: str, path: str, body: bytes
    ) -> VerifiedCamera:
        """The camera that signed this request, or ``SignatureError`` (401/403)."""
        signed = parse(headers)
        now = self.clock()
        with self.db.read() as s:
            found = s.execute(
                select(CameraKey, Camera.code, Camera.active)
                .join(Camera, Camera.id == CameraKey.camera_id)
                .where(CameraKey.key_id == signed.key_id)
            ).first()
        if found is None:
            raise SignatureError("unknown camera key")
        key, code, active = found
        secret = self._cipher.open(key.sealed_secret, _aad(key.key_id))
        check(signed, secret, method, path, body, now=now.timestamp(), window=self.window)
        # Only a correctly signed request may say anything about the key's state.
        if key.revoked_at is not None:
            raise SignatureError("camera key revoked", status=403)
        if not active:
            raise SignatureError("camera disabled", status=403)
        self._remember(signed.key_id, signed.nonce, now)
        if self._pruned_at is None or now - self._pruned_at > timedelta(seconds=self.window):
            self._pruned_at = now
            self.prune_nonces()
        return VerifiedCamera(key.key_id, key.camera_id, code)

    def _remember(self, key_id: str, nonce: str, now: datetime) -> None:
        try:
            with self.db.write() as s:
                s.add(IngestNonce(key_id=key_id, nonce=nonce, seen_at=now))
        except IntegrityError:
            raise SignatureError("replayed request (nonce already used)") from None

    def prune_nonces(self) -> int:
        """Forget nonces older than the window (their requests are stale anyway).

        ``verify`` does this itself at most once a window."""
        cutoff = self.clock() - timedelta(seconds=2 * self.window)
        with self.db.write() as s:
            result = s.execute(delete(IngestNonce).where(IngestNonce.seen_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

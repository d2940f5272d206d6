"""Links that let a driver see their own violation, and nothing else.

The seed system showed violation sheets to anyone holding a link. Here a
supervisor makes a link for one confirmed violation; it is signed (HMAC),
expires, names no plate, and opens the violation only to someone who types
the plate number too. Wrong plates are counted per link and per address
(rate-limited: 429), every opening is audited, and the page shows the plate
crop and, when the blurring ran, the frame with every other plate and every
face blurred.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from platekeeper.audit.log import AuditLog
from platekeeper.auth.errors import ConflictError, NotFoundError, PermissionDeniedError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.recognition.text import normalise_plate
from platekeeper.recognition.types import PlateRead
from platekeeper.review.models import Violation
from platekeeper.review.redact import redact
from platekeeper.review.violations import plate_of, reads_of
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.store.types import EvidenceKind

_LAYOUT = struct.Struct(">qq")
_MAC = 16


class TooManyAttempts(Exception):
    """Rate limited (429)."""


class DriverLink(BaseModel):
    url: str
    expires_at: datetime


class DriverView(BaseModel):
    reference: str
    offence: str
    captured_at: datetime
    place: str
    details: dict[str, object]
    crop: str | None
    frame: str | None
    faces_blurred: int = 0
    plates_blurred: int = 0


class AttemptLimiter:
    """At most ``per_link`` wrong plates per link and ``per_address`` attempts
    per address within ``window_s`` (in this process)."""

    def __init__(self, per_link: int = 5, per_address: int = 20, window_s: float = 3600.0) -> None:
        self.per_link = per_link
        self.per_address = per_address
        self.window_s = window_s
        self._misses: dict[str, deque[float]] = defaultdict(deque)
        self._tries: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, q: deque[float], now: float) -> int:
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return len(q)

    def check(self, link: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            if self._recent(self._misses[link], now) >= self.per_link:
                raise TooManyAttempts("Too many wrong plate numbers for this link; try later.")
            if self._recent(self._tries[address], now) >= self.per_address:
                raise TooManyAttempts("Too many attempts from your address; try later.")
            self._tries[address].append(now)

    def missed(self, link: str) -> None:
        with self._lock:
            self._misses[link].append(time.monotonic())


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


class DriverLinks:
    def __init__(
        self,
        store: Store,
        audit_db: Database,
        audit: AuditLog,
        *,
        key: bytes,
        clock: Callable[[], datetime],
        find_plates: Callable[[npt.NDArray[np.uint8]], Sequence[PlateRead]] | None = None,
        limiter: AttemptLimiter | None = None,
    ) -> None:
        self.store = store
        self.audit_db = audit_db
        self.audit = audit
        self._key = key
        self.clock = clock
        self.find_plates = find_plates
        self.limiter = limiter or AttemptLimiter()

    # -- tokens ------------------------------------------------------------------

    def _mac(self, body: bytes) -> bytes:
        return hmac.digest(self._key, b"pk/driver-link|" + body, hashlib.sha256)[:_MAC]

    def _token(self, violation_id: int, expires: datetime) -> str:
        body = _LAYOUT.pack(violation_id, int(expires.timestamp()))
        return base64.urlsafe_b64encode(body + self._mac(body)).decode().rstrip("=")

    def violation_of(self, token: str) -> int:
        """The violation a live token names; 404 for anything else."""
        gone = NotFoundError("This link is not valid or has expired.")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            raise gone from None
        if len(raw) != _LAYOUT.size + _MAC:
            raise gone
        body, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
        if not hmac.compare_digest(mac, self._mac(body)):
            raise gone
        violation_id, expires = _LAYOUT.unpack(body)
        if expires <= self.clock().timestamp():
            raise gone
        return int(violation_id)

    # -- the supervisor's side ---------------------------------------------------------

    def mint(self, actor: Principal, violation_id: int, *, days: int = 30) -> DriverLink:
        if not actor.can(Permission.EVIDENCE_EXPORT):
            raise PermissionDeniedError("Your role does not send evidence out.")
        with self.store.db.read() as s:
            row = s.get(Violation, violation_id)
            if row is None or not actor.scope.covers(row.region):
                raise NotFoundError("No such violation in your region.")
            if row.status != "confirmed":
                raise ConflictError("Only a confirmed violation can be shown to its driver.")
        expires = self.clock() + timedelta(days=days)
        self._record("driver_link.create", violation_id, actor=actor, days=days)
        return DriverLink(url=f"/verify/{self._token(violation_id, expires)}", expires_at=expires)

    # -- the driver's side ---------------------------------------------------------------

    def open(self, token: str, plate: str, address: str) -> DriverView:
        violation_id = self.violation_of(token)
        try:
            self.limiter.check(token, address)
        except TooManyAttempts:
            self._record("driver_link.limited", violation_id, address=address)
            raise
        with self.store.db.read() as s:
            row = s.get(Violation, violation_id)
            if row is None or row.status != "confirmed":
                raise NotFoundError("This link is not valid or has expired.")
            s.expunge(row)
        own, _country = plate_of(self.store, row)
        typed = normalise_plate(plate)
        if not own or not hmac.compare_digest(typed.encode(), normalise_plate(own).encode()):
            self.limiter.missed(token)
            self._record("driver_link.refused", violation_id, address=address)
            raise PermissionDeniedError("That plate number does not match this violation.")
        self._record("driver_link.open", violation_id, address=address)
        return self._view(row, own)

    def _view(self, row: Violation, own: str) -> DriverView:
        import json

        crop = frame = None
        faces = plates = 0
        for read in reads_of(self.store, row)[:1]:
            for ref in read.evidence:
                if ref.kind is EvidenceKind.CROP and crop is None:
                    crop = _data_uri(self.store.reads.evidence_bytes(ref.blob_id)[1])
                elif ref.kind is EvidenceKind.FRAME and frame is None and self.find_plates:
                    data = self.store.reads.evidence_bytes(ref.blob_id)[1]
                    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                    if decoded is None:
                        continue
                    image = np.asarray(decoded, dtype=np.uint8)
                    clean, faces, plates = redact(image, own, self.find_plates)
                    ok, jpeg = cv2.imencode(".jpg", clean, [cv2.IMWRITE_JPEG_QUALITY, 85])
                    frame = _data_uri(jpeg.tobytes()) if ok else None
        camera = self.store.cameras.get(row.camera_id)
        details = json.loads(row.details)
        return DriverView(
            reference=f"V-{row.id:08d}",
            offence=row.offence,
            captured_at=row.captured_at,
            place=camera.name if camera else "",
            details={k: v for k, v in details.items() if not isinstance(v, (dict, list))},
            crop=crop,
            frame=frame,
            faces_blurred=faces,
            plates_blurred=plates,
        )

    def _record(
        self,
        action: str,
        violation_id: int,
        *,
        actor: Principal | None = None,
        address: str | None = None,
        **details: int,
    ) -> None:
        with self.audit_db.write() as a:
            self.audit.record(
                a,
                action,
                outcome="ok" if action.endswith(("open", "create")) else "refused",
                actor_id=actor.user_id if actor else None,
                actor=actor.username if actor else None,
                target=f"violation:{violation_id}",
                client_address=(actor.client_address if actor else address),
                details=dict(details),
            )

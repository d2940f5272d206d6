"""The services behind the pages and the API, built once and handed to ``create_app``.

A page and its ``/api/v1`` twin call the same method of one of these. The
data services of the store (cameras, reads, search, journeys) join this
container as optional fields: a page whose service is absent is simply not
mounted, so the app runs — and is tested — with whatever is present.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from platekeeper.alerts.bus import AlertBus
from platekeeper.audit.browse import AuditReader
from platekeeper.audit.log import AuditLog
from platekeeper.audit.signing import CheckpointSigner, key_id
from platekeeper.audit.transparency import Transparency
from platekeeper.auth.admin import UserAdmin
from platekeeper.auth.approvals import SearchApprovals
from platekeeper.auth.login import AuthService
from platekeeper.auth.passwords import Passwords
from platekeeper.auth.sealing import SecretBox
from platekeeper.auth.trail import Clock, utc_now
from platekeeper.config import Settings
from platekeeper.crypto.blind_index import audit_index
from platekeeper.ingest.service import IngestGateway
from platekeeper.store.engine import Database
from platekeeper.web.evidence_links import EvidenceLinks

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from platekeeper.recognition import PlateRead, Recognizer
    from platekeeper.rules.signal_door import SignalDoor
    from platekeeper.store.facade import Store
    from platekeeper.web.camera_admin import CameraAdmin
    from platekeeper.web.driver_links import DriverLinks
    from platekeeper.web.investigation import Investigation
    from platekeeper.web.listings import Listings
    from platekeeper.web.live import LiveReads
    from platekeeper.web.review import ReviewQueue


@dataclass(frozen=True)
class Services:
    db: Database
    clock: Clock
    audit_log: AuditLog
    auth: AuthService
    users: UserAdmin
    audit: AuditReader
    transparency: Transparency
    alerts: AlertBus | None = None
    ingest: IngestGateway | None = None
    # With the store: search, journeys, cameras, live reads, approvals.
    investigation: Investigation | None = None
    live: LiveReads | None = None
    approvals: SearchApprovals | None = None
    review: ReviewQueue | None = None
    driver_links: DriverLinks | None = None
    signals: SignalDoor | None = None
    listings: Listings | None = None
    cameras_admin: CameraAdmin | None = None


def build_services(
    settings: Settings,
    db: Database,
    *,
    sealing_key: bytes,
    signing_key: Ed25519PrivateKey,
    former_public_keys: Iterable[Ed25519PublicKey] = (),
    clock: Clock = utc_now,
    alerts: AlertBus | None = None,
    ingest: IngestGateway | None = None,
    store: Store | None = None,
    audit_index_key: bytes | None = None,
    on_hotlist_change: Callable[[], None] | None = None,
) -> Services:
    """Wire the services over one database with the deployment's keys.

    ``sealing_key`` (32 bytes) encrypts TOTP seeds; ``signing_key`` signs
    audit checkpoints, and ``former_public_keys`` verify checkpoints signed
    before a key rotation. ``alerts`` is the bus the rules raise alerts on
    (the live alert stream is mounted only with one). With ``store`` the
    search, journey, camera and live pages are served; ``audit_index_key``
    (32 bytes, kept for as long as the audit log) keys the index of searched
    plates in audit entries. ``on_hotlist_change`` tells this process's
    rules that a hotlist changed (``RulesPipeline.refresh_now``).
    """
    signer = CheckpointSigner(signing_key)
    audit_log = AuditLog(signer, checkpoint_every=settings.audit.checkpoint_every, clock=clock)
    passwords = Passwords(settings.auth)
    keys: Mapping[str, Ed25519PublicKey] = {
        key_id(k): k for k in (signer.public_key, *former_public_keys)
    }
    box = SecretBox(sealing_key)
    investigation = live = approvals = review = driver_links = signals = listings = None
    cameras_admin = None
    if store is not None and ingest is not None:
        from platekeeper.rules.signal_door import store_signal_door

        signals = store_signal_door(settings, store)
    if store is not None:
        from platekeeper.web.camera_admin import CameraAdmin
        from platekeeper.web.driver_links import DriverLinks
        from platekeeper.web.investigation import Investigation
        from platekeeper.web.listings import Listings
        from platekeeper.web.live import LiveReads
        from platekeeper.web.review import ReviewPolicy, ReviewQueue

        if audit_index_key is None or len(audit_index_key) != 32:
            raise ValueError("searches need a 32-byte audit index key")
        web = settings.web
        plate_index = functools.partial(audit_index, audit_index_key)
        approvals = SearchApprovals(
            db,
            box,
            audit_log,
            plate_index,
            clock=clock,
            valid_for=timedelta(hours=web.approval_valid_hours),
        )
        links = EvidenceLinks(
            hmac.digest(sealing_key, b"platekeeper/evidence-links", hashlib.sha256),
            clock,
            timedelta(minutes=web.evidence_link_minutes),
        )
        investigation = Investigation(
            store,
            db,
            audit_log,
            approvals,
            links=links,
            plate_index=plate_index,
            approval_after_days=web.approval_after_days,
        )
        live = LiveReads(
            investigation,
            db,
            audit_log,
            window=timedelta(minutes=web.live_window_minutes),
            clock=clock,
        )
        review = ReviewQueue(
            store,
            db,
            audit_log,
            policy=ReviewPolicy(web.second_reviewer, web.claim_minutes),
            clock=clock,
            evidence_url=lambda actor, read_id, blob_id: links.url(actor.user_id, read_id, blob_id),
        )
        driver_links = DriverLinks(
            store,
            db,
            audit_log,
            key=hmac.digest(sealing_key, b"platekeeper/driver-links", hashlib.sha256),
            clock=clock,
            find_plates=_LazyReader(settings),
        )
        listings = Listings(
            store, db, audit_log, plate_index=plate_index, on_change=on_hotlist_change
        )
        cameras_admin = CameraAdmin(store, db, audit_log)
    return Services(
        db=db,
        clock=clock,
        audit_log=audit_log,
        auth=AuthService(db, settings.auth, passwords, box, audit_log, clock=clock),
        users=UserAdmin(db, passwords, audit_log, clock),
        audit=AuditReader(db, audit_log, keys),
        transparency=Transparency(db, clock),
        alerts=alerts,
        ingest=ingest,
        investigation=investigation,
        live=live,
        approvals=approvals,
        review=review,
        driver_links=driver_links,
        signals=signals,
        listings=listings,
        cameras_admin=cameras_admin,
    )


class _LazyReader:
    """The recognition engine, loaded at the first frame to blur (not at start)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._reader: Recognizer | None = None

    def __call__(self, image: npt.NDArray[np.uint8]) -> list[PlateRead]:
        if self._reader is None:
            from platekeeper.recognition import Recognizer

            self._reader = Recognizer(self.settings.recognition)
        return self._reader.read(image)

"""The services behind the pages and the API, built once and handed to ``create_app``.

A page and its ``/api/v1`` twin call the same method of one of these. The
data services of the store (cameras, reads, search, journeys) join this
container as optional fields: a page whose service is absent is simply not
mounted, so the app runs — and is tested — with whatever is present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from platekeeper.alerts.bus import AlertBus
from platekeeper.audit.browse import AuditReader
from platekeeper.audit.log import AuditLog
from platekeeper.audit.signing import CheckpointSigner, key_id
from platekeeper.auth.admin import UserAdmin
from platekeeper.auth.login import AuthService
from platekeeper.auth.passwords import Passwords
from platekeeper.auth.sealing import SecretBox
from platekeeper.auth.trail import Clock, utc_now
from platekeeper.config import Settings
from platekeeper.ingest.service import IngestGateway
from platekeeper.store.engine import Database


@dataclass(frozen=True)
class Services:
    db: Database
    clock: Clock
    audit_log: AuditLog
    auth: AuthService
    users: UserAdmin
    audit: AuditReader
    alerts: AlertBus | None = None
    ingest: IngestGateway | None = None


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
) -> Services:
    """Wire the services over one database with the deployment's keys.

    ``sealing_key`` (32 bytes) encrypts TOTP seeds; ``signing_key`` signs
    audit checkpoints, and ``former_public_keys`` verify checkpoints signed
    before a key rotation. ``alerts`` is the bus the rules raise alerts on
    (the live alert stream is mounted only with one).
    """
    signer = CheckpointSigner(signing_key)
    audit_log = AuditLog(signer, checkpoint_every=settings.audit.checkpoint_every, clock=clock)
    passwords = Passwords(settings.auth)
    keys: Mapping[str, Ed25519PublicKey] = {
        key_id(k): k for k in (signer.public_key, *former_public_keys)
    }
    return Services(
        db=db,
        clock=clock,
        audit_log=audit_log,
        auth=AuthService(
            db, settings.auth, passwords, SecretBox(sealing_key), audit_log, clock=clock
        ),
        users=UserAdmin(db, passwords, audit_log, clock),
        audit=AuditReader(db, audit_log, keys),
        alerts=alerts,
        ingest=ingest,
    )

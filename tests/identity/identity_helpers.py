"""Helpers shared by the identity, audit and web tests (imported by conftest and tests)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from platekeeper.audit import models as _audit_models  # noqa: F401
from platekeeper.auth import models as _auth_models  # noqa: F401
from platekeeper.auth.login import totp_context
from platekeeper.auth.models import User
from platekeeper.auth.roles import Role
from platekeeper.auth.settings import AuthSettings
from platekeeper.config import Settings
from platekeeper.ingest.service import IngestGateway
from platekeeper.store.base import Base
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.web.services import Services, build_services

# The key of plate indexes in audit entries (tests recompute them to check).
AUDIT_INDEX_KEY = bytes(range(32))
# Cheap Argon2id parameters: the tests exercise the logic, not the cost.
FAST_AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1)
PASSWORD = "correct horse battery staple"


class Clock:
    """A clock the tests move by hand (lockouts, idle timeouts, TOTP steps)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_database(url: str) -> Database:
    db = Database.from_url(url)
    Base.metadata.create_all(db.engine)
    return db


def make_services(
    settings: Settings,
    db: Database,
    clock: Clock,
    signing_key: Ed25519PrivateKey | None = None,
    *,
    store: Store | None = None,
    ingest: IngestGateway | None = None,
) -> Services:
    return build_services(
        settings,
        db,
        sealing_key=os.urandom(32),
        signing_key=signing_key or Ed25519PrivateKey.generate(),
        clock=clock,
        store=store,
        ingest=ingest,
        audit_index_key=AUDIT_INDEX_KEY,
    )


def new_client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


@dataclass
class Account:
    id: int
    username: str
    password: str
    secret: str
    role: Role


def add_user(
    services: Services,
    username: str,
    role: Role,
    *,
    region: str = "north",
    all_regions: bool = False,
    password: str = PASSWORD,
    enrolled: bool = True,
) -> Account:
    """An account created straight in the database (as if set up long ago)."""
    secret = pyotp.random_base32()
    with services.db.write() as s:
        user = User(
            username=username,
            display_name=username.title(),
            role=role.value,
            agency="traffic police",
            region=region,
            all_regions=all_regions,
            password_hash=services.auth.passwords.hash(password),
            must_change_password=not enrolled,
            failed_logins=0,
            created_at=services.clock(),
        )
        s.add(user)
        s.flush()
        if enrolled:
            user.totp_secret_sealed = services.auth.box.seal(secret.encode(), totp_context(user.id))
        user_id = user.id
    return Account(user_id, username, password, secret, role)


def code_now(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock())


def sign_in(client: TestClient, account: Account, clock: Clock) -> TestClient:
    """Sign in through the API (password, then TOTP); the client keeps the cookie."""
    first = client.post(
        "/api/v1/login", json={"username": account.username, "password": account.password}
    )
    assert first.status_code == 200, first.text
    assert first.json()["stage"] == "mfa"
    second = client.post("/api/v1/login/mfa", json={"code": code_now(account.secret, clock)})
    assert second.status_code == 200, second.text
    assert second.json()["stage"] == "active"
    # The step is now used; the next sign-in of anyone happens one step later.
    clock.advance(seconds=30)
    return client


@contextlib.contextmanager
def https_server(app: FastAPI, tls_dir: Path) -> Iterator[tuple[str, Path]]:
    """The app under uvicorn over HTTPS (self-signed) on a free loopback port,
    in a thread of the test process: (base URL, certificate to trust)."""
    import socket
    import threading
    import time

    import uvicorn

    from platekeeper.web.tls import ensure_tls_certificate

    tls = ensure_tls_certificate(tls_dir)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(tls.certificate),
        ssl_keyfile=str(tls.private_key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"https://127.0.0.1:{port}", tls.certificate
    finally:
        server.should_exit = True
        thread.join(timeout=10)

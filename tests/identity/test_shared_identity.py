"""Two servers on one database, as in a scale-out deployment: each is its own
``create_app`` over its own connection pool, with the deployment's shared
keys. A session made on one is good on the other, disabling a user on one ends
the session everywhere, a TOTP time-step used on one is refused on the other,
failures count towards one lockout, and both append to one audit chain.
Run on SQLite (two handles on one file) and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import (
    AUDIT_INDEX_KEY,
    FAST_AUTH,
    PASSWORD,
    Account,
    Clock,
    add_user,
    code_now,
    new_client,
    sign_in,
)
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from platekeeper.audit.models import AuditEntry
from platekeeper.audit.signing import key_id
from platekeeper.audit.verify import verify_log
from platekeeper.auth.login import StepResult
from platekeeper.auth.roles import Role
from platekeeper.commands.webstack import open_database
from platekeeper.config import Settings
from platekeeper.store.engine import Database
from platekeeper.web.access import SESSION_COOKIE
from platekeeper.web.app import create_app
from platekeeper.web.services import Services, build_services


@dataclass(frozen=True)
class DeploymentKeys:
    """What every server of one deployment holds the same copy of (``keys/``)."""

    sealing: bytes
    signing: Ed25519PrivateKey


@dataclass
class Server:
    db: Database
    services: Services
    app: FastAPI


@pytest.fixture
def servers(tmp_path: Path, empty_database_url: str, clock: Clock) -> Iterator[list[Server]]:
    settings = Settings(
        data_dir=tmp_path / "data", auth=FAST_AUTH, store={"database_url": empty_database_url}
    )
    keys = DeploymentKeys(os.urandom(32), Ed25519PrivateKey.generate())
    started = []
    # The first opening migrates the empty database; the second finds it at head.
    for _ in range(2):
        db = open_database(settings)
        services = build_services(
            settings,
            db,
            sealing_key=keys.sealing,
            signing_key=keys.signing,
            clock=clock,
            audit_index_key=AUDIT_INDEX_KEY,
        )
        app = create_app(settings, services, background_checkpoints=False)
        started.append(Server(db, services, app))
    yield started
    for server in started:
        server.db.dispose()


def hand_over(source: TestClient, target: TestClient) -> None:
    """What a load balancer does: the next request, with its cookie, goes elsewhere."""
    target.cookies.clear()
    token = source.cookies.get(SESSION_COOKIE)
    assert token is not None
    target.cookies.set(SESSION_COOKIE, token, domain="testserver.local", path="/")


def login_password(client: TestClient, account: Account) -> None:
    first = client.post(
        "/api/v1/login", json={"username": account.username, "password": account.password}
    )
    assert first.status_code == 200, first.text
    assert first.json()["stage"] == "mfa"


def audit_actions(db: Database, actor_id: int) -> list[tuple[str, str]]:
    with db.read() as s:
        rows = s.execute(
            select(AuditEntry.action, AuditEntry.details)
            .where(AuditEntry.actor_id == actor_id)
            .order_by(AuditEntry.seq)
        ).all()
    return [(action, details) for action, details in rows]


def test_a_session_made_on_one_server_works_and_ends_on_the_other(
    servers: list[Server], clock: Clock
) -> None:
    one, other = servers
    ada = add_user(one.services, "ada", Role.ADMINISTRATOR)
    otto = add_user(one.services, "otto", Role.OPERATOR)
    with (
        new_client(one.app) as on_one,
        new_client(other.app) as on_other,
        new_client(one.app) as admin,
    ):
        sign_in(on_one, otto, clock)
        hand_over(on_one, on_other)
        me = on_other.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "otto"

        sign_in(admin, ada, clock)
        disabled = admin.post(f"/api/v1/users/{otto.id}/disable")
        assert disabled.status_code == 200, disabled.text
        assert on_other.get("/api/v1/me").status_code == 401
        assert on_one.get("/api/v1/me").status_code == 401
        # Signing out on the second server ends the session on the first.
        sign_in(on_other, ada, clock)
        hand_over(on_other, on_one)
        assert on_one.get("/api/v1/me").status_code == 200
        assert on_other.post("/api/v1/logout").status_code == 204
        assert on_one.get("/api/v1/me").status_code == 401


def test_a_totp_step_used_on_one_server_is_refused_on_the_other(
    servers: list[Server], clock: Clock
) -> None:
    one, other = servers
    ivan = add_user(one.services, "ivan", Role.INVESTIGATOR)
    code = code_now(ivan.secret, clock)
    with new_client(one.app) as on_one, new_client(other.app) as on_other:
        login_password(on_one, ivan)
        assert on_one.post("/api/v1/login/mfa", json={"code": code}).json()["stage"] == "active"

        login_password(on_other, ivan)  # someone who saw the code, at the other server
        replay = on_other.post("/api/v1/login/mfa", json={"code": code})
        assert replay.status_code == 401
        assert on_other.get("/api/v1/me").status_code == 401
        assert (
            "auth.login.failed",
            '{"reason":"replayed_code"}',
        ) in audit_actions(other.db, ivan.id)

        clock.advance(seconds=30)  # the next step is fresh, whichever server sees it
        fresh = on_other.post("/api/v1/login/mfa", json={"code": code_now(ivan.secret, clock)})
        assert fresh.status_code == 200, fresh.text
        assert fresh.json()["stage"] == "active"


def test_failures_on_both_servers_count_towards_one_lockout(
    servers: list[Server], clock: Clock
) -> None:
    one, other = servers
    lena = add_user(one.services, "lena", Role.INVESTIGATOR)
    threshold = FAST_AUTH.lockout_threshold
    # Wrong passwords at the same time through both servers: every one is
    # counted (the user row is locked for each), none lost to a race.
    attempts = [one, other] * threshold

    def wrong(server: Server) -> StepResult:
        return server.services.auth.start("lena", "wrong " + PASSWORD, None)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(wrong, attempts))
    assert all(not r.ok for r in results)
    actions = [a for a, _ in audit_actions(one.db, lena.id)]
    assert actions.count("auth.login.failed") == len(attempts)
    assert actions.count("auth.lockout") == 1
    # Locked on both, the right password included.
    with new_client(other.app) as on_other:
        refused = on_other.post("/api/v1/login", json={"username": "lena", "password": PASSWORD})
        assert refused.status_code == 401
    assert not one.services.auth.start("lena", PASSWORD, None).ok
    clock.advance(minutes=FAST_AUTH.lockout_minutes, seconds=1)
    assert one.services.auth.start("lena", PASSWORD, None).ok


def test_both_servers_append_to_one_verified_append_only_chain(
    servers: list[Server], clock: Clock
) -> None:
    one, other = servers
    otto = add_user(one.services, "otto", Role.OPERATOR)
    for _ in range(3):
        for server in servers:
            with new_client(server.app) as c:
                sign_in(c, otto, clock)
                assert c.post("/api/v1/logout").status_code == 204
    one.services.audit_log.checkpoint(one.db)
    with other.db.read() as s:
        seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
    assert seqs == list(range(1, len(seqs) + 1))  # one numbering, no gaps
    assert len(seqs) >= 3 * 2 * 3  # password, login and logout entries of six sign-ins
    public = one.services.audit_log.signer.public_key  # type: ignore[union-attr]
    report = verify_log(other.db, {key_id(public): public})
    assert report.ok, report.problems
    assert report.checkpoints >= 1
    # The triggers made by the migrations refuse any change on either backend.
    for statement in ("UPDATE audit_log SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_log"):
        with (
            pytest.raises(SQLAlchemyError, match="append-only"),
            other.db.engine.begin() as conn,
        ):
            conn.execute(text(statement))

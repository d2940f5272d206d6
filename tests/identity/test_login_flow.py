"""The sign-in steps of AuthService on a real SQLite database."""

from __future__ import annotations

import json
import time

import pyotp
import pytest
from identity_helpers import FAST_AUTH, PASSWORD, Clock, add_user, code_now, make_services
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from platekeeper.audit.models import AuditEntry
from platekeeper.auth.bootstrap import create_first_admin
from platekeeper.auth.errors import ConflictError
from platekeeper.auth.login import FAILED, LoginStage
from platekeeper.auth.models import LoginSession, RecoveryCode, User
from platekeeper.auth.roles import Permission, Role
from platekeeper.config import Settings
from platekeeper.store.engine import Database
from platekeeper.web.services import Services


def audit_actions(db: Database) -> list[tuple[str, str, dict[str, object]]]:
    with db.read() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.seq))
        return [(r.action, r.outcome, json.loads(r.details)) for r in rows]


def test_first_admin_must_change_password_and_enrol(services: Services, clock: Clock) -> None:
    creds = create_first_admin(services.db, services.audit_log, settings=FAST_AUTH, clock=clock)
    assert "password" not in repr(creds).replace("password=<hidden>", "")
    with pytest.raises(ConflictError):
        create_first_admin(services.db, services.audit_log, settings=FAST_AUTH)
    auth = services.auth

    step = auth.start("ADMIN", creds.password, "10.0.0.1")
    assert step.stage is LoginStage.CHANGE_PASSWORD
    assert auth.resolve(step.token) is None  # a pending sign-in opens nothing
    token = step.token

    refused = auth.change_password(token, creds.password, "password123456", None)
    assert refused.stage is LoginStage.CHANGE_PASSWORD
    assert "common" in (refused.error or "")
    same = auth.change_password(token, creds.password, creds.password, None)
    assert same.error is not None

    changed = auth.change_password(token, creds.password, PASSWORD, None)
    assert changed.ok
    assert changed.stage is LoginStage.ENROL_TOTP
    assert changed.token != token
    assert auth.pending(token) is None  # the old cookie value is dead

    enrolment = auth.enrolment(changed.token)
    assert enrolment is not None
    assert enrolment.uri.startswith("otpauth://totp/")
    assert auth.enrolment(changed.token) == enrolment  # stable until confirmed

    wrong = auth.confirm_enrolment(changed.token, "000000", None)
    assert wrong.stage is LoginStage.ENROL_TOTP
    assert wrong.error is not None
    done = auth.confirm_enrolment(
        changed.token, pyotp.TOTP(enrolment.secret).at(clock()), "10.0.0.1"
    )
    assert done.stage is LoginStage.ACTIVE
    assert len(done.recovery_codes) == FAST_AUTH.recovery_codes
    principal = auth.resolve(done.token)
    assert principal is not None
    assert principal.role is Role.ADMINISTRATOR
    assert principal.can(Permission.USERS_MANAGE)
    assert not principal.can(Permission.PLATES_SEARCH)  # separation of duties

    with services.db.read() as s:
        user = s.scalars(select(User)).one()
        assert not user.must_change_password
        assert user.totp_secret_sealed is not None
        assert enrolment.secret.encode() not in user.totp_secret_sealed
        codes = s.scalars(select(RecoveryCode)).all()
        assert len(codes) == FAST_AUTH.recovery_codes
        assert done.recovery_codes[0].encode() not in b"".join(c.code_hash for c in codes)
    actions = [a for a, _, _ in audit_actions(services.db)]
    assert actions[0] == "user.create"
    assert "auth.password.changed" in actions
    assert "auth.totp.enrolled" in actions
    assert actions[-1] == "auth.login"


def test_totp_sign_in_and_no_replay(services: Services, clock: Clock) -> None:
    ann = add_user(services, "ann", Role.INVESTIGATOR)
    auth = services.auth
    code = code_now(ann.secret, clock)
    first = auth.start("ann", PASSWORD, None)
    assert first.stage is LoginStage.MFA
    active = auth.second_factor(first.token, code, None)
    assert active.stage is LoginStage.ACTIVE
    assert auth.resolve(active.token) is not None

    again = auth.start("ann", PASSWORD, None)
    replay = auth.second_factor(again.token, code, None)
    assert replay.error == FAILED
    assert replay.stage is LoginStage.MFA
    assert audit_actions(services.db)[-1][2] == {"reason": "replayed_code"}
    clock.advance(seconds=30)
    assert auth.second_factor(again.token, code_now(ann.secret, clock), None).ok


def test_recovery_code_works_once(services: Services, clock: Clock) -> None:
    creds = create_first_admin(services.db, services.audit_log, settings=FAST_AUTH, clock=clock)
    auth = services.auth
    token = auth.start("admin", creds.password, None).token
    token = auth.change_password(token, creds.password, PASSWORD, None).token
    enrolment = auth.enrolment(token)
    assert enrolment is not None
    done = auth.confirm_enrolment(token, pyotp.TOTP(enrolment.secret).at(clock()), None)
    code = done.recovery_codes[3]

    first = auth.start("admin", PASSWORD, None)
    assert auth.second_factor(first.token, code.lower(), None).stage is LoginStage.ACTIVE
    second = auth.start("admin", PASSWORD, None)
    assert auth.second_factor(second.token, code, None).error == FAILED
    assert "auth.recovery_code.used" in [a for a, _, _ in audit_actions(services.db)]


def test_lockout_after_five_failures_for_ten_minutes(services: Services, clock: Clock) -> None:
    add_user(services, "bob", Role.OPERATOR)
    auth = services.auth
    for _ in range(4):
        assert auth.start("bob", "wrong password here", None).error == FAILED
    # A correct password before the fifth failure still works (and does not reset the count).
    assert auth.start("bob", PASSWORD, None).stage is LoginStage.MFA
    assert auth.start("bob", "wrong password here", None).error == FAILED
    locked = auth.start("bob", PASSWORD, None)
    assert locked.stage is None
    assert locked.error == FAILED
    actions = audit_actions(services.db)
    assert ("auth.lockout", "denied", {"minutes": 10}) in actions
    assert actions[-1][2] == {"reason": "locked"}
    with services.db.read() as s:  # the pending sign-in from before the lockout is gone
        assert s.scalars(select(LoginSession)).all() == []
    clock.advance(minutes=9, seconds=59)
    assert auth.start("bob", PASSWORD, None).stage is None
    clock.advance(seconds=2)
    assert auth.start("bob", PASSWORD, None).stage is LoginStage.MFA


def test_wrong_codes_count_towards_lockout(services: Services, clock: Clock) -> None:
    cat = add_user(services, "cat", Role.OPERATOR)
    auth = services.auth
    token = auth.start("cat", PASSWORD, None).token
    for _ in range(4):
        assert auth.second_factor(token, "000000", None).stage is LoginStage.MFA
    assert auth.second_factor(token, "000000", None).stage is None  # locked, sign-in ended
    assert auth.second_factor(token, code_now(cat.secret, clock), None).stage is None
    assert auth.start("cat", PASSWORD, None).stage is None


def test_unknown_user_is_refused_alike_and_takes_as_long(
    settings: Settings, db: Database, clock: Clock
) -> None:
    # Parameters heavy enough that skipping the hash would show (~20-40 ms a hash).
    slower = settings.model_copy(
        update={
            "auth": FAST_AUTH.model_copy(update={"argon2_memory_kib": 32768, "argon2_time_cost": 2})
        }
    )
    services = make_services(slower, db, clock)
    add_user(services, "dan", Role.OPERATOR)
    unknown = services.auth.start("nobody", PASSWORD, None)
    known = services.auth.start("dan", "not the password", None)
    assert unknown.error == known.error == FAILED

    def timed(name: str) -> float:
        samples = []
        for _ in range(3):
            began = time.perf_counter()
            services.auth.start(name, "not the password", None)
            samples.append(time.perf_counter() - began)
        return sorted(samples)[1]

    clock.advance(minutes=11)
    assert timed("nobody") > 0.5 * timed("dan")
    assert audit_actions(db)[0] == ("auth.login.failed", "denied", {"reason": "unknown_user"})


def test_password_rehashed_when_parameters_change(
    settings: Settings, db: Database, clock: Clock
) -> None:
    old = make_services(settings, db, clock)
    add_user(old, "eve", Role.AUDITOR)
    stronger = settings.model_copy(
        update={"auth": FAST_AUTH.model_copy(update={"argon2_time_cost": 2})}
    )
    new = make_services(stronger, db, clock)
    assert new.auth.start("eve", PASSWORD, None).stage is LoginStage.MFA
    with db.read() as s:
        stored = s.scalars(select(User.password_hash)).one()
    assert ",t=2," in stored or "t=2" in stored.split("$")[3]
    assert new.auth.passwords.verify(stored, PASSWORD)


def test_idle_timeout_and_absolute_lifetime(services: Services, clock: Clock) -> None:
    fay = add_user(services, "fay", Role.OPERATOR)
    auth = services.auth
    token = auth.second_factor(
        auth.start("fay", PASSWORD, None).token, code_now(fay.secret, clock), None
    ).token
    for _ in range(5):  # active every 25 minutes: stays signed in
        clock.advance(minutes=25)
        assert auth.resolve(token) is not None
    clock.advance(minutes=30, seconds=1)
    assert auth.resolve(token) is None
    with services.db.read() as s:
        assert s.scalars(select(LoginSession)).all() == []  # expired sessions are removed

    clock.advance(seconds=30)
    token = auth.second_factor(
        auth.start("fay", PASSWORD, None).token, code_now(fay.secret, clock), None
    ).token
    minutes = 0
    while auth.resolve(token) is not None and minutes < 24 * 60:
        clock.advance(minutes=25)
        minutes += 25
    assert 12 * 60 <= minutes < 12 * 60 + 25  # however active, 12 hours at most


def test_pending_sign_in_expires(services: Services, clock: Clock) -> None:
    add_user(services, "gus", Role.OPERATOR)
    token = services.auth.start("gus", PASSWORD, None).token
    assert services.auth.pending(token) is not None
    clock.advance(minutes=10, seconds=1)
    assert services.auth.pending(token) is None


def test_logout_ends_the_session(services: Services, clock: Clock) -> None:
    hal = add_user(services, "hal", Role.OPERATOR)
    auth = services.auth
    token = auth.second_factor(
        auth.start("hal", PASSWORD, None).token, code_now(hal.secret, clock), None
    ).token
    auth.logout(token, None)
    assert auth.resolve(token) is None
    assert audit_actions(services.db)[-1][0] == "auth.logout"


def test_failed_audit_write_fails_the_sign_in(services: Services, clock: Clock) -> None:
    add_user(services, "ivy", Role.OPERATOR)
    with services.db.write() as s:  # a real database refusal, as on a full disk
        s.execute(
            text(
                "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
            )
        )
    with pytest.raises(SQLAlchemyError):
        services.auth.start("ivy", "wrong password here", None)
    with pytest.raises(SQLAlchemyError):
        services.auth.start("ivy", PASSWORD, None)
    with services.db.read() as s:
        user = s.scalars(select(User)).one()
        assert user.failed_logins == 0  # the failure's effect rolled back with its entry
        assert s.scalars(select(LoginSession)).all() == []  # and no session was opened

"""Signing in, step by step, and the server-side sessions that result.

A session row is created as soon as the password is right, but in a pending
stage that opens nothing except the next step of signing in:

* an account that is not yet enrolled: change the one-time password, then
  enrol TOTP (scan the QR code, confirm one code, receive recovery codes);
* an enrolled account: a TOTP or recovery code, then — if an administrator
  asked for it — a new password.

Only the ``active`` stage resolves to a :class:`Principal`. The cookie token
is replaced at every step (no fixation), and the table keeps only its
SHA-256. Failures of either factor count towards the lockout; every attempt
is written to the audit trail in the transaction that records its effect.

Slow work (Argon2id) is done outside write transactions so that one sign-in
does not hold the SQLite writer for the length of a hash.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from platekeeper.auth import totp
from platekeeper.auth.models import LoginSession, RecoveryCode, User
from platekeeper.auth.passwords import PasswordPolicyError, Passwords
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Role, permissions_for
from platekeeper.auth.sealing import SecretBox
from platekeeper.auth.settings import AuthSettings
from platekeeper.auth.trail import AuditTrail, Clock, utc_now
from platekeeper.auth.usernames import normalise_username
from platekeeper.store.engine import Database

logger = logging.getLogger(__name__)

FAILED = (
    "Sign-in failed: the user name, password or code is wrong, or the account is "
    "locked for a while. Check and try again."
)
EXPIRED = "This sign-in has expired. Please start again."
# A write of last_seen_at at most this often per session.
TOUCH_INTERVAL = timedelta(seconds=60)


class LoginStage(StrEnum):
    CHANGE_PASSWORD = "change_password"  # noqa: S105 (a stage name)
    ENROL_TOTP = "enrol_totp"
    MFA = "mfa"
    ACTIVE = "active"


@dataclass(frozen=True)
class StepResult:
    """The outcome of one sign-in step.

    ``stage`` is where the user is now (None: no session, start again);
    ``token`` a new cookie value to set (None: keep the current one);
    ``error`` a message for the user when the step did not succeed.
    """

    stage: LoginStage | None
    token: str | None = None
    error: str | None = None
    recovery_codes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class PendingLogin:
    session_id: int
    user_id: int
    username: str
    display_name: str
    stage: LoginStage


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def totp_context(user_id: int) -> str:
    return f"totp:{user_id}"


class AuthService:
    """The sign-in steps and session resolution over one database."""

    def __init__(
        self,
        db: Database,
        settings: AuthSettings,
        passwords: Passwords,
        box: SecretBox,
        audit: AuditTrail,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self.db = db
        self.settings = settings
        self.passwords = passwords
        self.box = box
        self.audit = audit
        self.clock = clock

    # -- step 1: password -------------------------------------------------

    def start(self, username: str, password: str, client: str | None) -> StepResult:
        name = normalise_username(username)
        with self.db.read() as s:
            user = s.scalar(select(User).where(User.username == name)) if name else None
            stored_hash = user.password_hash if user else None
        if user is None or stored_hash is None:
            self.passwords.verify_unknown_user(password)
            with self.db.write() as s:
                self.audit.record(
                    s,
                    "auth.login.failed",
                    outcome="denied",
                    actor=name,
                    client_address=client,
                    details={"reason": "unknown_user"},
                )
            return StepResult(None, error=FAILED)
        # Verified even for a locked or disabled account: the answer must take
        # the same time whatever the reason for a refusal.
        correct = self.passwords.verify(stored_hash, password)
        rehash = (
            self.passwords.hash(password)
            if correct and self.passwords.needs_rehash(stored_hash)
            else None
        )
        now = self.clock()
        with self.db.write() as s:
            user = s.get(User, user.id, with_for_update=True)
            assert user is not None
            refusal = self._refusal(user, now)
            if refusal is not None:
                self._fail(s, user, client, refusal, count=False)
                return StepResult(None, error=FAILED)
            if not correct:
                self._fail(s, user, client, "bad_password", count=True)
                return StepResult(None, error=FAILED)
            if rehash is not None:
                user.password_hash = rehash
            stage = self._next_stage(user, after=None)
            token = new_token()
            s.add(
                LoginSession(
                    token_hash=hash_token(token),
                    user_id=user.id,
                    stage=stage.value,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(minutes=self.settings.login_step_minutes),
                    client_address=client,
                )
            )
            self.audit.record(
                s,
                "auth.login.password_ok",
                actor_id=user.id,
                actor=user.username,
                client_address=client,
                details={"next": stage.value, "rehashed": rehash is not None},
            )
        return StepResult(stage, token=token)

    # -- pending stages ---------------------------------------------------

    def pending(self, token: str | None) -> PendingLogin | None:
        """The sign-in in progress for this cookie, if any and not expired."""
        if not token:
            return None
        now = self.clock()
        with self.db.read() as s:
            row = s.execute(
                select(LoginSession, User)
                .join(User, User.id == LoginSession.user_id)
                .where(LoginSession.token_hash == hash_token(token))
            ).first()
            if row is None:
                return None
            sess, user = row
            if sess.stage == LoginStage.ACTIVE or sess.expires_at <= now or user.disabled_at:
                return None
            return PendingLogin(
                sess.id, user.id, user.username, user.display_name, LoginStage(sess.stage)
            )

    def change_password(
        self, token: str | None, current: str, new_password: str, client: str | None
    ) -> StepResult:
        pending = self.pending(token)
        if pending is None or pending.stage is not LoginStage.CHANGE_PASSWORD:
            return StepResult(None, error=EXPIRED)
        with self.db.read() as s:
            user = s.get(User, pending.user_id)
            assert user is not None
            stored_hash = user.password_hash
        if not self.passwords.verify(stored_hash, current):
            return self._step_failure(pending, client, "bad_password")
        try:
            self.passwords.check_policy(
                new_password, username=user.username, display_name=user.display_name
            )
        except PasswordPolicyError as exc:
            return StepResult(pending.stage, error=str(exc))
        if self.passwords.verify(stored_hash, new_password):
            return StepResult(pending.stage, error="The new password must differ from the old.")
        new_hash = self.passwords.hash(new_password)
        now = self.clock()
        with self.db.write() as s:
            sess, user = self._lock_pending(s, pending)
            user.password_hash = new_hash
            user.must_change_password = False
            user.password_changed_at = now
            self.audit.record(
                s,
                "auth.password.changed",
                actor_id=user.id,
                actor=user.username,
                target=f"user:{user.id}",
                client_address=client,
            )
            return self._advance(s, sess, user, LoginStage.CHANGE_PASSWORD, now=now, client=client)

    def enrolment(self, token: str | None) -> Enrolment | None:
        """The TOTP seed being enrolled (made on first call), as text, URI and QR code."""
        pending = self.pending(token)
        if pending is None or pending.stage is not LoginStage.ENROL_TOTP:
            return None
        context = f"totp-pending:{pending.session_id}"
        with self.db.write() as s:
            sess = s.get(LoginSession, pending.session_id, with_for_update=True)
            assert sess is not None
            if sess.pending_totp_sealed is None:
                secret = totp.new_secret()
                sess.pending_totp_sealed = self.box.seal(secret.encode(), context)
            else:
                secret = self.box.open(sess.pending_totp_sealed, context).decode()
        uri = totp.provisioning_uri(
            secret, username=pending.username, issuer=self.settings.totp_issuer
        )
        return Enrolment(secret=secret, uri=uri, qr_svg=totp.qr_svg(uri))

    def confirm_enrolment(self, token: str | None, code: str, client: str | None) -> StepResult:
        pending = self.pending(token)
        if pending is None or pending.stage is not LoginStage.ENROL_TOTP:
            return StepResult(None, error=EXPIRED)
        now = self.clock()
        with self.db.write() as s:
            sess, user = self._lock_pending(s, pending)
            if sess.pending_totp_sealed is None:
                return StepResult(pending.stage, error="Scan the QR code first.")
            secret = self.box.open(
                sess.pending_totp_sealed, f"totp-pending:{pending.session_id}"
            ).decode()
            step = totp.matching_step(secret, code, at=now, last_step=None)
            if step is None:
                return StepResult(
                    pending.stage,
                    error="That code did not match. Check the clock of the device and try again.",
                )
            user.totp_secret_sealed = self.box.seal(secret.encode(), totp_context(user.id))
            user.totp_last_step = step
            sess.pending_totp_sealed = None
            codes = self._issue_recovery_codes(s, user)
            self.audit.record(
                s,
                "auth.totp.enrolled",
                actor_id=user.id,
                actor=user.username,
                target=f"user:{user.id}",
                client_address=client,
            )
            result = self._advance(s, sess, user, LoginStage.ENROL_TOTP, now=now, client=client)
        return StepResult(result.stage, token=result.token, recovery_codes=codes)

    def second_factor(self, token: str | None, code: str, client: str | None) -> StepResult:
        pending = self.pending(token)
        if pending is None or pending.stage is not LoginStage.MFA:
            return StepResult(None, error=EXPIRED)
        now = self.clock()
        with self.db.write() as s:
            sess, user = self._lock_pending(s, pending)
            refusal = self._refusal(user, now)
            if refusal is not None:
                s.delete(sess)
                self._fail(s, user, client, refusal, count=False)
                return StepResult(None, error=FAILED)
            if totp.looks_like_recovery_code(code):
                used = s.scalar(
                    select(RecoveryCode).where(
                        RecoveryCode.user_id == user.id,
                        RecoveryCode.code_hash == totp.recovery_digest(user.id, code),
                        RecoveryCode.used_at.is_(None),
                    )
                )
                if used is not None:
                    used.used_at = now
                    self.audit.record(
                        s,
                        "auth.recovery_code.used",
                        actor_id=user.id,
                        actor=user.username,
                        target=f"user:{user.id}",
                        client_address=client,
                    )
                    return self._advance(s, sess, user, LoginStage.MFA, now=now, client=client)
                reason = "bad_recovery_code"
            else:
                assert user.totp_secret_sealed is not None
                secret = self.box.open(user.totp_secret_sealed, totp_context(user.id)).decode()
                step = totp.matching_step(secret, code, at=now, last_step=user.totp_last_step)
                if step is not None:
                    user.totp_last_step = step
                    return self._advance(s, sess, user, LoginStage.MFA, now=now, client=client)
                replay = totp.matching_step(secret, code, at=now, last_step=None)
                reason = "replayed_code" if replay is not None else "bad_code"
            if self._fail(s, user, client, reason, count=True):
                # The lockout removed every pending sign-in of the user, this one too.
                return StepResult(None, error=FAILED)
            return StepResult(pending.stage, error=FAILED)

    # -- sessions ---------------------------------------------------------

    def resolve(self, token: str | None, client: str | None = None) -> Principal | None:
        """The signed-in user behind a cookie, or None (expired, pending, disabled…)."""
        if not token:
            return None
        now = self.clock()
        idle = timedelta(minutes=self.settings.idle_timeout_minutes)
        with self.db.read() as s:
            row = s.execute(
                select(LoginSession, User)
                .join(User, User.id == LoginSession.user_id)
                .where(LoginSession.token_hash == hash_token(token))
            ).first()
            if row is None:
                return None
            sess, user = row
        if sess.stage != LoginStage.ACTIVE:
            return None
        if sess.expires_at <= now or sess.last_seen_at + idle <= now or user.disabled_at:
            with self.db.write() as s:
                s.execute(delete(LoginSession).where(LoginSession.id == sess.id))
            return None
        if now - sess.last_seen_at >= TOUCH_INTERVAL:
            with self.db.write() as s:
                touched = s.get(LoginSession, sess.id)
                if touched is not None:
                    touched.last_seen_at = now
        role = Role(user.role)
        return Principal(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=role,
            scope=user.scope,
            permissions=permissions_for(role, admin_may_search=self.settings.admin_may_search),
            session_id=sess.id,
            client_address=client,
        )

    def logout(self, token: str | None, client: str | None) -> None:
        if not token:
            return
        with self.db.write() as s:
            sess = s.scalar(
                select(LoginSession).where(LoginSession.token_hash == hash_token(token))
            )
            if sess is None:
                return
            user = s.get(User, sess.user_id)
            s.delete(sess)
            if sess.stage == LoginStage.ACTIVE and user is not None:
                self.audit.record(
                    s, "auth.logout", actor_id=user.id, actor=user.username, client_address=client
                )

    # -- internals --------------------------------------------------------

    def _refusal(self, user: User, now: datetime) -> str | None:
        if user.disabled_at is not None:
            return "disabled"
        if user.locked_until is not None and user.locked_until > now:
            return "locked"
        return None

    def _fail(
        self, s: Session, user: User, client: str | None, reason: str, *, count: bool
    ) -> bool:
        """Record a failed attempt; return True when it locked the account."""
        self.audit.record(
            s,
            "auth.login.failed",
            outcome="denied",
            actor_id=user.id,
            actor=user.username,
            client_address=client,
            details={"reason": reason},
        )
        if not count:
            return False
        user.failed_logins += 1
        if user.failed_logins < self.settings.lockout_threshold:
            return False
        now = self.clock()
        user.failed_logins = 0
        user.locked_until = now + timedelta(minutes=self.settings.lockout_minutes)
        s.execute(
            delete(LoginSession).where(
                LoginSession.user_id == user.id, LoginSession.stage != LoginStage.ACTIVE
            )
        )
        self.audit.record(
            s,
            "auth.lockout",
            outcome="denied",
            actor_id=user.id,
            actor=user.username,
            target=f"user:{user.id}",
            client_address=client,
            details={"minutes": self.settings.lockout_minutes},
        )
        logger.warning("account %s locked after repeated sign-in failures", user.id)
        return True

    def _step_failure(self, pending: PendingLogin, client: str | None, reason: str) -> StepResult:
        with self.db.write() as s:
            _sess, user = self._lock_pending(s, pending)
            if self._fail(s, user, client, reason, count=True):
                return StepResult(None, error=FAILED)
        return StepResult(pending.stage, error=FAILED)

    def _lock_pending(self, s: Session, pending: PendingLogin) -> tuple[LoginSession, User]:
        sess = s.get(LoginSession, pending.session_id, with_for_update=True)
        user = s.get(User, pending.user_id, with_for_update=True)
        if sess is None or user is None:
            raise LookupError("sign-in session vanished")
        return sess, user

    def _next_stage(self, user: User, after: LoginStage | None) -> LoginStage:
        if not user.enrolled:
            return (
                LoginStage.CHANGE_PASSWORD if user.must_change_password else (LoginStage.ENROL_TOTP)
            )
        if after is None:
            return LoginStage.MFA
        return LoginStage.CHANGE_PASSWORD if user.must_change_password else LoginStage.ACTIVE

    def _advance(
        self,
        s: Session,
        sess: LoginSession,
        user: User,
        done: LoginStage,
        *,
        now: datetime,
        client: str | None,
    ) -> StepResult:
        stage = self._next_stage(user, after=done)
        token = new_token()
        sess.token_hash = hash_token(token)
        sess.stage = stage.value
        sess.last_seen_at = now
        if stage is LoginStage.ACTIVE:
            sess.expires_at = now + timedelta(hours=self.settings.session_max_hours)
            user.last_login_at = now
            user.failed_logins = 0
            self.audit.record(
                s, "auth.login", actor_id=user.id, actor=user.username, client_address=client
            )
        return StepResult(stage, token=token)

    def _issue_recovery_codes(self, s: Session, user: User) -> tuple[str, ...]:
        s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        issued = totp.new_recovery_codes(user.id, self.settings.recovery_codes)
        for digest in issued.digests:
            s.add(RecoveryCode(user_id=user.id, code_hash=digest))
        return issued.codes


def end_sessions(s: Session, user_id: int) -> int:
    """Delete every session of a user (disable, reset, role change); return how many."""
    result = s.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)

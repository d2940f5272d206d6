"""Tables of identity: users, their server-side sessions and recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from platekeeper.auth.columns import UtcDateTime
from platekeeper.auth.roles import Role, Scope
from platekeeper.store.base import Base


class User(Base):
    """A person who signs in. Never deleted (the audit log points at it):
    a user who leaves is disabled."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    agency: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64), index=True)
    all_regions: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # The TOTP seed, encrypted (AES-256-GCM, bound to the user id).
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # The last accepted TOTP time-step: a code of this step or earlier is a replay.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def scope(self) -> Scope:
        return Scope(agency=self.agency, region=self.region, all_regions=self.all_regions)

    @property
    def enrolled(self) -> bool:
        return self.totp_secret_sealed is not None


class LoginSession(Base):
    """A server-side session. The browser holds only a random token; the
    table holds its SHA-256, so a copy of the database opens no session."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # change_password → enrol_totp → mfa → active; see auth/login.py.
    stage: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The TOTP seed offered during enrolment, encrypted, until a code confirms it.
    pending_totp_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    client_address: Mapped[str | None] = mapped_column(String(64), default=None)


class RecoveryCode(Base):
    """A one-time code that stands in for TOTP once. Stored as a SHA-256
    digest: the codes carry 80 random bits, so a slow hash adds nothing."""

    __tablename__ = "auth_recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class SearchApproval(Base):
    """A supervisor's approval of one wide search (wildcard, or a window over
    the approval threshold), asked for by an investigator and usable once.
    The plate or pattern is sealed (AES-256-GCM, bound to the row): only the
    requester and the supervisors who decide see it."""

    __tablename__ = "search_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    mode: Mapped[str] = mapped_column(String(16))
    query_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime)
    camera_codes: Mapped[str] = mapped_column(String(2000), default="")
    reason_code: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    # pending → approved → used, or pending → refused; approvals expire unused.
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

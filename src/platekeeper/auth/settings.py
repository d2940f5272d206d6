"""Settings of sign-in and sessions (the ``auth`` section of the platekeeper config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AuthSettings(BaseModel):
    """How people sign in and how long they stay signed in. The defaults are
    the policy of the project; they may be made stricter, not weaker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_password_length: int = Field(
        default=12, ge=12, le=128, title="Minimum password length", description="In characters."
    )
    lockout_threshold: int = Field(
        default=5,
        ge=1,
        le=5,
        title="Failures before lockout",
        description="Consecutive failed sign-ins (password or code) that lock the account.",
    )
    lockout_minutes: int = Field(
        default=10, ge=10, le=1440, title="Lockout", description="Minutes an account stays locked."
    )
    idle_timeout_minutes: int = Field(
        default=30,
        ge=1,
        le=30,
        title="Idle timeout",
        description="Minutes without a request after which a session ends.",
    )
    session_max_hours: int = Field(
        default=12,
        ge=1,
        le=24,
        title="Session lifetime",
        description="Hours after sign-in at which a session ends however active it is.",
    )
    login_step_minutes: int = Field(
        default=10,
        ge=1,
        le=30,
        title="Sign-in step lifetime",
        description="Minutes allowed between the password and the second factor.",
    )
    argon2_time_cost: int = Field(
        default=3, ge=1, le=20, title="Argon2id passes", description="Iterations of Argon2id."
    )
    argon2_memory_kib: int = Field(
        default=65536,
        ge=8192,
        le=4_194_304,
        title="Argon2id memory",
        description="Memory per hash in KiB (64 MiB is RFC 9106's second recommendation).",
    )
    argon2_parallelism: int = Field(
        default=4, ge=1, le=16, title="Argon2id lanes", description="Parallel lanes of Argon2id."
    )
    totp_issuer: str = Field(
        default="platekeeper",
        min_length=1,
        max_length=64,
        title="TOTP issuer",
        description="The name authenticator apps show next to the account.",
    )
    recovery_codes: int = Field(
        default=10,
        ge=4,
        le=20,
        title="Recovery codes",
        description="One-time recovery codes issued at TOTP enrolment.",
    )
    admin_may_search: bool = Field(
        default=False,
        title="Administrators may search plates",
        description="Off by default: administrators manage users and cameras but do not "
        "search plates (separation of duties). Turning it on is an operator decision "
        "recorded in the config.",
    )

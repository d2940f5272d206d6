"""The first administrator of a new installation (no default credentials).

``platekeeper init`` calls :func:`create_first_admin` once: it makes an
administrator of every region with a random one-time password, which the
command prints once and never stores in the clear. The first sign-in must
replace the password and enrol TOTP before anything else opens.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from platekeeper.auth.errors import ConflictError
from platekeeper.auth.models import User
from platekeeper.auth.passwords import Passwords, one_time_password
from platekeeper.auth.roles import Role
from platekeeper.auth.settings import AuthSettings
from platekeeper.auth.trail import AuditTrail, Clock, utc_now
from platekeeper.auth.usernames import require_code, require_username
from platekeeper.store.engine import Database


@dataclass(frozen=True)
class OneTimeCredentials:
    username: str
    password: str

    def __repr__(self) -> str:  # keep the password out of tracebacks and logs
        return f"OneTimeCredentials(username={self.username!r}, password=<hidden>)"


def create_first_admin(
    db: Database,
    audit: AuditTrail,
    *,
    settings: AuthSettings | None = None,
    username: str = "admin",
    agency: str = "national",
    region: str = "national",
    actor: str = "system",
    clock: Clock = utc_now,
) -> OneTimeCredentials:
    """Create the first administrator; refuse when an administrator exists already."""
    name = require_username(username)
    agency = require_code(agency, "agency")
    region = require_code(region, "region")
    password = one_time_password()
    password_hash = Passwords(settings or AuthSettings()).hash(password)
    with db.write() as s:
        existing = s.scalar(select(User.id).where(User.role == Role.ADMINISTRATOR).limit(1))
        if existing is not None:
            raise ConflictError("An administrator exists already; ask them to create accounts.")
        if s.scalar(select(User.id).where(User.username == name)) is not None:
            raise ConflictError(f"The user name {name!r} is taken.")
        user = User(
            username=name,
            display_name="Administrator",
            role=Role.ADMINISTRATOR.value,
            agency=agency,
            region=region,
            all_regions=True,
            password_hash=password_hash,
            must_change_password=True,
            failed_logins=0,
            created_at=clock(),
        )
        s.add(user)
        s.flush()
        audit.record(
            s,
            "user.create",
            actor=actor,
            target=f"user:{user.id}",
            details={"username": name, "role": user.role, "first_admin": True},
        )
    return OneTimeCredentials(username=name, password=password)

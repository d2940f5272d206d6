"""Administration of user accounts: the service behind the users pages and API.

Every method takes the acting :class:`Principal`, checks its permission and
scope, changes the database and writes the audit entry in one transaction.
An account outside the administrator's region does not exist for them (404).
Administrators cannot change, disable or reset their own account here —
that would let one person widen their own powers — and the last active
administrator cannot be removed.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from platekeeper.auth.errors import ConflictError, NotFoundError, PermissionDeniedError
from platekeeper.auth.login import end_sessions
from platekeeper.auth.models import LoginSession, RecoveryCode, User
from platekeeper.auth.passwords import Passwords, one_time_password
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission, Role
from platekeeper.auth.trail import AuditTrail, Clock, utc_now
from platekeeper.auth.usernames import require_code, require_username
from platekeeper.store.engine import Database


class UserSummary(BaseModel):
    """An account as administrators see it (never a hash or a secret)."""

    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    display_name: str
    role: Role
    agency: str
    region: str
    all_regions: bool
    status: str = Field(description="active, disabled, locked, or setup (first sign-in pending)")
    enrolled: bool = Field(description="TOTP is set up")
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None
    locked_until: datetime | None
    active_sessions: int


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(min_length=3, max_length=64)
    display_name: str = Field(min_length=1, max_length=128)
    role: Role
    agency: str = Field(min_length=1, max_length=64)
    region: str = Field(min_length=1, max_length=64)
    all_regions: bool = False


class UserChanges(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    role: Role | None = None
    agency: str | None = Field(default=None, min_length=1, max_length=64)
    region: str | None = Field(default=None, min_length=1, max_length=64)
    all_regions: bool | None = None


class IssuedPassword(BaseModel):
    """A one-time password, shown once to the administrator to hand over."""

    model_config = ConfigDict(frozen=True)

    user: UserSummary
    one_time_password: str


class UserAdmin:
    def __init__(
        self, db: Database, passwords: Passwords, audit: AuditTrail, clock: Clock = utc_now
    ) -> None:
        self.db = db
        self.passwords = passwords
        self.audit = audit
        self.clock = clock

    # -- reading ----------------------------------------------------------

    def list(self, actor: Principal) -> list[UserSummary]:
        self._require(actor)
        with self.db.read() as s:
            query = select(User).order_by(User.username)
            if not actor.scope.all_regions:
                query = query.where(User.region == actor.scope.region)
            return [self._summary(s, user) for user in s.scalars(query)]

    def get(self, actor: Principal, user_id: int) -> UserSummary:
        self._require(actor)
        with self.db.read() as s:
            return self._summary(s, self._load(s, actor, user_id))

    # -- changing ---------------------------------------------------------

    def create(self, actor: Principal, new: NewUser) -> IssuedPassword:
        self._require(actor)
        username = require_username(new.username)
        agency = require_code(new.agency, "agency")
        region = require_code(new.region, "region")
        self._check_grant(actor, region, new.all_regions)
        password = one_time_password()
        password_hash = self.passwords.hash(password)
        now = self.clock()
        with self.db.write() as s:
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                raise ConflictError("That user name is taken.")
            user = User(
                username=username,
                display_name=new.display_name.strip(),
                role=new.role.value,
                agency=agency,
                region=region,
                all_regions=new.all_regions,
                password_hash=password_hash,
                must_change_password=True,
                failed_logins=0,
                created_at=now,
                created_by_id=actor.user_id,
            )
            s.add(user)
            s.flush()
            self._audit(
                s,
                actor,
                "user.create",
                user,
                role=user.role,
                region=region,
                agency=agency,
                all_regions=new.all_regions,
            )
            return IssuedPassword(user=self._summary(s, user), one_time_password=password)

    def update(self, actor: Principal, user_id: int, changes: UserChanges) -> UserSummary:
        self._require(actor)
        with self.db.write() as s:
            user = self._load(s, actor, user_id, for_update=True)
            self._not_self(actor, user)
            changed: dict[str, str | bool] = {}
            if changes.display_name is not None and changes.display_name != user.display_name:
                user.display_name = changes.display_name.strip()
                changed["display_name"] = user.display_name
            if changes.agency is not None and changes.agency != user.agency:
                user.agency = require_code(changes.agency, "agency")
                changed["agency"] = user.agency
            if changes.region is not None and changes.region != user.region:
                user.region = require_code(changes.region, "region")
                changed["region"] = user.region
            if changes.all_regions is not None and changes.all_regions != user.all_regions:
                user.all_regions = changes.all_regions
                changed["all_regions"] = user.all_regions
            if "region" in changed or changed.get("all_regions") is True:
                self._check_grant(actor, user.region, user.all_regions)
            if changes.role is not None and changes.role.value != user.role:
                if user.role == Role.ADMINISTRATOR:
                    self._keep_an_administrator(s, user)
                user.role = changes.role.value
                changed["role"] = user.role
            if changed:
                self._audit(s, actor, "user.update", user, **changed)
            return self._summary(s, user)

    def disable(self, actor: Principal, user_id: int) -> UserSummary:
        self._require(actor)
        with self.db.write() as s:
            user = self._load(s, actor, user_id, for_update=True)
            self._not_self(actor, user)
            if user.disabled_at is None:
                if user.role == Role.ADMINISTRATOR:
                    self._keep_an_administrator(s, user)
                user.disabled_at = self.clock()
                ended = end_sessions(s, user.id)
                self._audit(s, actor, "user.disable", user, sessions_ended=ended)
            return self._summary(s, user)

    def enable(self, actor: Principal, user_id: int) -> UserSummary:
        self._require(actor)
        with self.db.write() as s:
            user = self._load(s, actor, user_id, for_update=True)
            self._not_self(actor, user)
            if user.disabled_at is not None:
                user.disabled_at = None
                self._audit(s, actor, "user.enable", user)
            return self._summary(s, user)

    def unlock(self, actor: Principal, user_id: int) -> UserSummary:
        self._require(actor)
        with self.db.write() as s:
            user = self._load(s, actor, user_id, for_update=True)
            user.failed_logins = 0
            user.locked_until = None
            self._audit(s, actor, "user.unlock", user)
            return self._summary(s, user)

    def reset(self, actor: Principal, user_id: int) -> IssuedPassword:
        """New one-time password, TOTP and recovery codes cleared, sessions ended:
        the person signs in as if new (lost phone, forgotten password)."""
        self._require(actor)
        password = one_time_password()
        password_hash = self.passwords.hash(password)
        with self.db.write() as s:
            user = self._load(s, actor, user_id, for_update=True)
            self._not_self(actor, user)
            user.password_hash = password_hash
            user.must_change_password = True
            user.totp_secret_sealed = None
            user.totp_last_step = None
            user.failed_logins = 0
            user.locked_until = None
            s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
            ended = end_sessions(s, user.id)
            self._audit(s, actor, "user.reset", user, sessions_ended=ended)
            return IssuedPassword(user=self._summary(s, user), one_time_password=password)

    # -- internals --------------------------------------------------------

    def _require(self, actor: Principal) -> None:
        if not actor.can(Permission.USERS_MANAGE):
            raise PermissionDeniedError("Managing users needs the administrator role.")

    def _load(
        self, s: Session, actor: Principal, user_id: int, *, for_update: bool = False
    ) -> User:
        user = s.get(User, user_id, with_for_update=for_update)
        if user is None or not actor.scope.covers(user.region):
            raise NotFoundError("No such user.")
        return user

    def _not_self(self, actor: Principal, user: User) -> None:
        if user.id == actor.user_id:
            raise PermissionDeniedError(
                "You cannot change your own account here; another administrator must."
            )

    def _check_grant(self, actor: Principal, region: str, all_regions: bool) -> None:
        if all_regions and not actor.scope.all_regions:
            raise PermissionDeniedError("Only an administrator of every region can grant it.")
        if not actor.scope.covers(region):
            raise PermissionDeniedError("That region is outside your own.")

    def _keep_an_administrator(self, s: Session, leaving: User) -> None:
        others = s.scalar(
            select(func.count(User.id)).where(
                User.role == Role.ADMINISTRATOR,
                User.disabled_at.is_(None),
                User.id != leaving.id,
            )
        )
        if not others:
            raise ConflictError("This is the last active administrator.")

    def _audit(
        self, s: Session, actor: Principal, action: str, user: User, **details: str | bool | int
    ) -> None:
        self.audit.record(
            s,
            action,
            actor_id=actor.user_id,
            actor=actor.username,
            target=f"user:{user.id}",
            client_address=actor.client_address,
            details={"username": user.username, **details},
        )

    def _summary(self, s: Session, user: User) -> UserSummary:
        now = self.clock()
        sessions = s.scalar(
            select(func.count(LoginSession.id)).where(
                LoginSession.user_id == user.id, LoginSession.stage == "active"
            )
        )
        locked = user.locked_until is not None and user.locked_until > now
        if user.disabled_at is not None:
            status = "disabled"
        elif locked:
            status = "locked"
        elif user.must_change_password or not user.enrolled:
            status = "setup"
        else:
            status = "active"
        return UserSummary(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role),
            agency=user.agency,
            region=user.region,
            all_regions=user.all_regions,
            status=status,
            enrolled=user.enrolled,
            must_change_password=user.must_change_password,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            locked_until=user.locked_until if locked else None,
            active_sessions=int(sessions or 0),
        )

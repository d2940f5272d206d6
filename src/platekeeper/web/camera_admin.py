"""Camera administration: add, change, disable and key cameras, audited.

The service behind the administrators' camera pages, their ``/api/v1`` twins
and the ``platekeeper camera`` commands. Every change commits together with
its audit entry (:func:`platekeeper.audit.transaction.audited_write`), so a
change whose entry cannot be written does not happen. An administrator of one
region adds and changes only that region's cameras; a camera of another region
does not exist for them (404). A new key's secret exists only in the answer
that issues it: it is shown once, and the store keeps it only sealed.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from platekeeper.audit.log import AuditLog
from platekeeper.audit.transaction import audited_write
from platekeeper.auth.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission, Scope
from platekeeper.auth.trail import JsonScalar
from platekeeper.ingest.camera_keys import CameraKeys, IssuedKey
from platekeeper.store.cameras import camera_info, check_spec
from platekeeper.store.engine import Database
from platekeeper.store.errors import InvalidInput
from platekeeper.store.facade import Store
from platekeeper.store.models import Camera, CameraKey
from platekeeper.store.records import CameraSpec
from platekeeper.web.investigation import CameraView, camera_view

_CODE_FIELD = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class NewCamera(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = _CODE_FIELD
    name: str = Field(min_length=1, max_length=200)
    bank: str = Field(min_length=1, max_length=64)
    agency: str = Field(min_length=1, max_length=64)
    region: str = Field(min_length=1, max_length=64)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    heading: float | None = Field(default=None, ge=0, lt=360)
    direction: str | None = Field(default=None, max_length=32)
    road_segment: str | None = Field(default=None, max_length=64)


class CameraChanges(BaseModel):
    """What may change about a camera (its code never does: keys and reads name it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    bank: str | None = Field(default=None, min_length=1, max_length=64)
    agency: str | None = Field(default=None, min_length=1, max_length=64)
    region: str | None = Field(default=None, min_length=1, max_length=64)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    heading: float | None = Field(default=None, ge=0, lt=360)
    direction: str | None = Field(default=None, max_length=32)
    road_segment: str | None = Field(default=None, max_length=64)


_REQUIRED = frozenset({"name", "bank", "agency", "region", "latitude", "longitude"})


class CameraKeyView(BaseModel):
    """A camera key as administrators see it: never its secret."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    camera: str
    created_at: datetime
    revoked_at: datetime | None


class IssuedCameraKey(BaseModel):
    """A new key, with its secret shown this once, to load into the camera."""

    model_config = ConfigDict(frozen=True)

    camera: CameraView
    key_id: str
    secret: str = Field(description="URL-safe base64, shown only now")


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in administrator, or an operator at the command line."""

    name: str
    scope: Scope
    user_id: int | None = None
    client_address: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        if not principal.can(Permission.CAMERAS_MANAGE):
            raise PermissionDeniedError("Managing cameras needs the administrator role.")
        return cls(principal.username, principal.scope, principal.user_id, principal.client_address)


def secret_text(issued: IssuedKey) -> str:
    return base64.urlsafe_b64encode(issued.secret).decode().rstrip("=")


def _clean(value: str | None) -> str | None:
    value = value.strip() if value is not None else None
    return value or None


class CameraAdmin:
    def __init__(self, store: Store, audit_db: Database, audit: AuditLog) -> None:
        self.store = store
        self.audit_db = audit_db
        self.audit = audit
        self.keys = CameraKeys(store.db, store.vault)

    # -- reading ----------------------------------------------------------------

    def cameras(self, actor: Actor) -> list[CameraView]:
        return [camera_view(c) for c in self.store.cameras.all() if actor.scope.covers(c.region)]

    def get(self, actor: Actor, code: str) -> CameraView:
        with self.store.db.read() as s:
            return camera_view(camera_info(self._load(s, actor, code)))

    def key_list(self, actor: Actor, code: str) -> list[CameraKeyView]:
        with self.store.db.read() as s:
            camera = self._load(s, actor, code)
            rows = s.scalars(
                select(CameraKey)
                .where(CameraKey.camera_id == camera.id)
                .order_by(CameraKey.created_at.desc())
            ).all()
            return [_key_view(k, camera.code) for k in rows]

    # -- changing ---------------------------------------------------------------

    def add(self, actor: Actor, new: NewCamera) -> IssuedCameraKey:
        """Add a camera and issue its first key."""
        spec = CameraSpec(
            code=new.code.strip(),
            name=new.name.strip(),
            bank=new.bank.strip(),
            agency=new.agency.strip(),
            region=new.region.strip(),
            latitude=new.latitude,
            longitude=new.longitude,
            heading=new.heading,
            direction=_clean(new.direction),
            road_segment=_clean(new.road_segment),
        )
        self._may_place(actor, spec.region)
        with self._changing() as (s, a):
            info = self.store.cameras.add(spec, session=s)
            issued = self.keys.issue(info.code, session=s)
            self._record(
                a, actor, "camera.add", info.code,
                region=info.region, agency=info.agency, bank=info.bank, key_id=issued.key_id,
            )  # fmt: skip
        self.store.cameras.refresh()
        return IssuedCameraKey(
            camera=camera_view(info), key_id=issued.key_id, secret=secret_text(issued)
        )

    def update(self, actor: Actor, code: str, changes: CameraChanges) -> CameraView:
        with self._changing() as (s, a):
            row = self._load(s, actor, code)
            changed: dict[str, JsonScalar] = {}
            for name, given in changes.model_dump(exclude_unset=True).items():
                value = _clean(given) if isinstance(given, str) else given
                if value is None and name in _REQUIRED:
                    raise InvalidInputError(f"The camera's {name} cannot be empty.")
                if getattr(row, name) != value:
                    setattr(row, name, value)
                    changed[name] = value
            if "region" in changed:
                self._may_place(actor, row.region)
            check_spec(_spec(row))
            if changed:
                s.flush()
                self._record(a, actor, "camera.update", row.code, **changed)
            view = camera_view(camera_info(row))
        self.store.cameras.refresh()
        return view

    def set_active(self, actor: Actor, code: str, *, active: bool) -> CameraView:
        """Disable a camera (its requests are refused, its keys kept) or enable it again."""
        with self._changing() as (s, a):
            row = self._load(s, actor, code)
            if row.active != active:
                row.active = active
                s.flush()
                self._record(a, actor, "camera.enable" if active else "camera.disable", row.code)
            view = camera_view(camera_info(row))
        self.store.cameras.refresh()
        return view

    def issue_key(self, actor: Actor, code: str) -> IssuedCameraKey:
        """Another key for the camera (to rotate: revoke the old one after)."""
        with self._changing() as (s, a):
            row = self._load(s, actor, code)
            issued = self.keys.issue(row.code, session=s)
            self._record(a, actor, "camera.key.issue", row.code, key_id=issued.key_id)
            view = camera_view(camera_info(row))
        return IssuedCameraKey(camera=view, key_id=issued.key_id, secret=secret_text(issued))

    def revoke_key(self, actor: Actor, key_id: str, *, code: str | None = None) -> CameraKeyView:
        """Revoke a key (of camera ``code`` when given): its requests are refused from now on."""
        with self._changing() as (s, a):
            key = s.get(CameraKey, key_id)
            camera = s.get(Camera, key.camera_id) if key is not None else None
            if (
                key is None
                or camera is None
                or not actor.scope.covers(camera.region)
                or (code is not None and camera.code != code)
            ):
                raise NotFoundError("No such camera key in your regions.")
            if key.revoked_at is None:
                self.keys.revoke(key_id, session=s)
                self._record(a, actor, "camera.key.revoke", camera.code, key_id=key_id)
            return _key_view(key, camera.code)

    # -- internals --------------------------------------------------------------

    @contextmanager
    def _changing(self) -> Iterator[tuple[Session, Session]]:
        """The change's session and its audit entry's. The store's refusals,
        raised inside (which rolls both back), reach callers as 422s."""
        try:
            with audited_write(self.store.db, self.audit_db) as sessions:
                yield sessions
        except InvalidInput as exc:
            raise InvalidInputError(str(exc)) from None

    def _load(self, s: Session, actor: Actor, code: str) -> Camera:
        row = s.scalar(select(Camera).where(Camera.code == code))
        if row is None or not actor.scope.covers(row.region):
            raise NotFoundError("No such camera in your regions.")
        return row

    def _may_place(self, actor: Actor, region: str) -> None:
        if not actor.scope.covers(region):
            raise PermissionDeniedError("That region is outside your own.")

    def _record(
        self, a: Session, actor: Actor, action: str, code: str, **details: JsonScalar
    ) -> None:
        self.audit.record(
            a,
            action,
            actor_id=actor.user_id,
            actor=actor.name,
            target=f"camera:{code}",
            client_address=actor.client_address,
            details={"code": code, **details},
        )


def _key_view(key: CameraKey, code: str) -> CameraKeyView:
    return CameraKeyView(
        key_id=key.key_id, camera=code, created_at=key.created_at, revoked_at=key.revoked_at
    )


def _spec(row: Camera) -> CameraSpec:
    return CameraSpec(
        row.code, row.name, row.bank, row.agency, row.region, row.latitude, row.longitude,
        heading=row.heading, direction=row.direction, road_segment=row.road_segment,
    )  # fmt: skip

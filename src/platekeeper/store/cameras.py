"""Cameras: adding them, finding them by code or area, their road neighbours.

Lookups by code and id are cached: every read names its camera, and the
camera table changes a few times a day at most.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platekeeper.store.engine import Database
from platekeeper.store.errors import InvalidInput
from platekeeper.store.models import Camera, CameraNeighbour
from platekeeper.store.records import BoundingBox, CameraInfo, CameraSpec
from platekeeper.store.types import utc_now

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
# After a miss, wait this long before asking the database again, so that a
# flood of reads from an unknown camera does not become a flood of queries.
_MISS_RELOAD_SECONDS = 1.0


def camera_info(row: Camera) -> CameraInfo:
    return CameraInfo(
        id=row.id,
        code=row.code,
        name=row.name,
        bank=row.bank,
        agency=row.agency,
        region=row.region,
        latitude=row.latitude,
        longitude=row.longitude,
        heading=row.heading,
        direction=row.direction,
        road_segment=row.road_segment,
        lanes=tuple(row.lanes or ()),
        active=row.active,
    )


def check_spec(spec: CameraSpec) -> None:
    """Refuse a camera description the store cannot keep (``InvalidInput``)."""
    if not _CODE.match(spec.code):
        raise InvalidInput("a camera code is 1-64 letters, digits and _ . : -")
    for name, value in (("name", spec.name), ("bank", spec.bank), ("agency", spec.agency)):
        if not value or not value.strip():
            raise InvalidInput(f"the camera {name} is empty")
    if not (math.isfinite(spec.latitude) and -90 <= spec.latitude <= 90):
        raise InvalidInput("latitude must be between -90 and 90")
    if not (math.isfinite(spec.longitude) and -180 <= spec.longitude <= 180):
        raise InvalidInput("longitude must be between -180 and 180")
    if spec.heading is not None and not (0 <= spec.heading < 360):
        raise InvalidInput("heading must be in [0, 360) degrees")


class CameraRepository:
    """The camera table behind a small cache."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.clock = clock
        self._lock = threading.Lock()
        self._by_code: dict[str, CameraInfo] = {}
        self._by_id: dict[int, CameraInfo] = {}
        self._loaded_at = -math.inf

    def add(self, spec: CameraSpec, *, session: Session | None = None) -> CameraInfo:
        """Add a camera; in ``session`` when given (the caller's transaction,
        e.g. with its audit entry: the cache then learns of it at its next
        reload, as the commit is the caller's), else in a transaction of its own."""
        check_spec(spec)
        row = Camera(
            code=spec.code,
            name=spec.name,
            bank=spec.bank,
            agency=spec.agency,
            region=spec.region,
            latitude=spec.latitude,
            longitude=spec.longitude,
            heading=spec.heading,
            direction=spec.direction,
            lanes=list(spec.lanes),
            road_segment=spec.road_segment,
            active=True,
            created_at=self.clock(),
        )
        if session is not None:
            if session.scalar(select(Camera.id).where(Camera.code == spec.code)) is not None:
                raise InvalidInput(f"a camera with code {spec.code!r} exists already")
            session.add(row)
            session.flush()
            return camera_info(row)
        try:
            with self.db.write() as write:
                write.add(row)
                write.flush()
                info = camera_info(row)
        except IntegrityError:
            raise InvalidInput(f"a camera with code {spec.code!r} exists already") from None
        with self._lock:
            self._by_code[info.code] = info
            self._by_id[info.id] = info
        return info

    def by_code(self, code: str) -> CameraInfo | None:
        with self._lock:
            found = self._by_code.get(code)
        if found is None and self._reload_allowed():
            self._reload()
            with self._lock:
                found = self._by_code.get(code)
        return found

    def get(self, camera_id: int) -> CameraInfo | None:
        with self._lock:
            found = self._by_id.get(camera_id)
        if found is None and self._reload_allowed():
            self._reload()
            with self._lock:
                found = self._by_id.get(camera_id)
        return found

    def all(self) -> list[CameraInfo]:
        self._reload()
        with self._lock:
            return sorted(self._by_id.values(), key=lambda c: c.id)

    def in_area(self, box: BoundingBox) -> list[CameraInfo]:
        return [c for c in self.all() if box.contains(c.latitude, c.longitude)]

    def set_active(self, camera_id: int, active: bool) -> None:
        """Enable or disable a camera; reads from a disabled camera are refused."""
        with self.db.write() as session:
            row = session.get(Camera, camera_id)
            if row is None:
                raise InvalidInput(f"no camera {camera_id}")
            row.active = active
        self._reload()

    def set_neighbours(self, camera_id: int, neighbours: Mapping[int, float]) -> None:
        """Replace the downstream neighbours of a camera: {camera id: metres}."""
        for neighbour_id, distance in neighbours.items():
            if neighbour_id == camera_id:
                raise InvalidInput("a camera is not its own neighbour")
            if not (math.isfinite(distance) and distance > 0):
                raise InvalidInput("a distance must be a positive number of metres")
        try:
            with self.db.write() as session:
                session.execute(
                    delete(CameraNeighbour).where(CameraNeighbour.camera_id == camera_id)
                )
                session.add_all(
                    CameraNeighbour(camera_id=camera_id, neighbour_id=n, distance_m=d)
                    for n, d in neighbours.items()
                )
        except IntegrityError:
            raise InvalidInput("unknown camera in the neighbour list") from None

    def neighbours(self, camera_id: int) -> list[tuple[CameraInfo, float]]:
        with self.db.read() as session:
            rows = session.execute(
                select(CameraNeighbour.neighbour_id, CameraNeighbour.distance_m).where(
                    CameraNeighbour.camera_id == camera_id
                )
            ).all()
        out = []
        for neighbour_id, distance in rows:
            info = self.get(neighbour_id)
            if info is not None:
                out.append((info, distance))
        return out

    def refresh(self) -> None:
        """Forget the cache now, after a change committed elsewhere."""
        self._reload()

    def _reload_allowed(self) -> bool:
        return time.monotonic() - self._loaded_at >= _MISS_RELOAD_SECONDS

    def _reload(self) -> None:
        with self.db.read() as session:
            rows = session.scalars(select(Camera)).all()
            infos = [camera_info(row) for row in rows]
        with self._lock:
            self._by_code = {info.code: info for info in infos}
            self._by_id = {info.id: info for info in infos}
            self._loaded_at = time.monotonic()

"""The vehicle registry: plate → status (registered, expired, unregistered,
stolen), class and restrictions, plate encrypted like a read's."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from platekeeper.crypto.aead import record_aad
from platekeeper.crypto.blind_index import exact_index, fuzzy_index
from platekeeper.store.engine import Database
from platekeeper.store.errors import InvalidInput
from platekeeper.store.ids import IdAllocator
from platekeeper.store.keys import ActiveKey, KeyService
from platekeeper.store.models import Vehicle
from platekeeper.store.plates import canonical_plate
from platekeeper.store.types import DataClass, VehicleStatus, utc_now

TABLE = "vehicles"
_COUNTRY = re.compile(r"^[A-Z]{0,3}$")


@dataclass(frozen=True)
class RegistryItem:
    """One entry to write."""

    plate: str = field(repr=False)
    status: VehicleStatus | str
    country: str = ""
    vehicle_class: str | None = None
    restrictions: Mapping[str, Any] = field(default_factory=dict)


def _checked(
    item: RegistryItem,
) -> tuple[str, VehicleStatus, str, str | None, dict[str, Any]]:
    canonical = canonical_plate(item.plate)
    try:
        status = VehicleStatus(item.status)
    except ValueError:
        allowed = ", ".join(v.value for v in VehicleStatus)
        raise InvalidInput(f"unknown vehicle status {item.status!r} (one of {allowed})") from None
    if not _COUNTRY.match(item.country):
        raise InvalidInput("the country must be an ISO code of up to 3 capital letters")
    restrictions = dict(item.restrictions)
    try:
        json.dumps(restrictions)
    except (TypeError, ValueError):
        raise InvalidInput("restrictions must be plain JSON data") from None
    return canonical, status, item.country, item.vehicle_class, restrictions


@dataclass(frozen=True)
class RegistryBatch:
    """Entries checked, with their keys and the ids of rows they may add,
    ready for :meth:`RegistryRepository.write`.

    Preparing one may write (an id block, a first key), so it is done before
    the transaction that writes it: a write cannot open inside another."""

    rows: list[tuple[str, VehicleStatus, str, str | None, dict[str, Any]]] = field(repr=False)
    new_ids: list[int]
    keys: tuple[ActiveKey, ActiveKey] | None = field(repr=False)  # (index, data); None if empty
    at: datetime


@dataclass(frozen=True)
class VehicleRecord:
    id: int
    plate: str = field(repr=False)
    country: str
    status: VehicleStatus
    vehicle_class: str | None
    restrictions: dict[str, Any]
    updated_at: datetime


class RegistryRepository:
    """Registry entries by plate (and country, when plates collide across borders)."""

    def __init__(
        self,
        db: Database,
        keys: KeyService,
        ids: IdAllocator,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.keys = keys
        self.ids = ids
        self.clock = clock

    def upsert(
        self,
        plate: str,
        status: VehicleStatus,
        *,
        country: str = "",
        vehicle_class: str | None = None,
        restrictions: Mapping[str, Any] | None = None,
    ) -> VehicleRecord:
        (record,) = self.upsert_many(
            [RegistryItem(plate, status, country, vehicle_class, restrictions or {})]
        )
        return record

    def upsert_many(self, items: Sequence[RegistryItem]) -> list[VehicleRecord]:
        """Add or replace many entries in one transaction: all of them, or
        (on bad input or a database failure) none."""
        return self.write(self.prepare(items))

    def prepare(self, items: Sequence[RegistryItem]) -> RegistryBatch:
        """Check entries and reserve what writing them needs (``InvalidInput``
        on the first bad one); nothing of them is written yet."""
        rows = [_checked(item) for item in items]
        if not rows:
            return RegistryBatch([], [], None, self.clock())
        keys = (
            self.keys.index_key(DataClass.REGISTRY),
            self.keys.data_key(DataClass.REGISTRY, None),
        )
        # An update leaves its reserved id unused, which costs nothing.
        return RegistryBatch(rows, self.ids.allocate(TABLE, len(rows)), keys, self.clock())

    def write(self, batch: RegistryBatch, *, session: Session | None = None) -> list[VehicleRecord]:
        """Add or replace a prepared batch; in ``session`` when given (the
        caller's transaction, e.g. with its audit entry), else in one of its own."""
        if batch.keys is None:
            return []
        if session is not None:
            return self._write(batch, batch.keys, session)
        with self.db.write() as write:
            return self._write(batch, batch.keys, write)

    def _write(
        self, batch: RegistryBatch, keys: tuple[ActiveKey, ActiveKey], session: Session
    ) -> list[VehicleRecord]:
        index_key, data_key = keys
        out = []
        for (canonical, status, country, vclass, restrictions), new_id in zip(
            batch.rows, batch.new_ids, strict=True
        ):
            exact = exact_index(index_key.material, canonical)
            row = session.scalars(
                select(Vehicle).where(Vehicle.plate_exact == exact, Vehicle.country == country)
            ).first()
            if row is None:
                row = Vehicle(id=new_id, country=country, plate_exact=exact)
                session.add(row)
            row.plate_fuzzy = fuzzy_index(index_key.material, canonical)
            row.sealed = data_key.cipher.seal(canonical.encode("ascii"), record_aad(TABLE, row.id))
            row.data_key_id = data_key.id
            row.status = status.value
            row.vehicle_class = vclass
            row.restrictions = restrictions
            row.updated_at = batch.at
            session.flush()
            out.append(self._record(row, canonical))
        return out

    def lookup(self, plate: str, country: str | None = None) -> list[VehicleRecord]:
        """Entries for ``plate`` (in every country unless ``country`` is given)."""
        canonical = canonical_plate(plate)
        exact = exact_index(self.keys.index_key(DataClass.REGISTRY).material, canonical)
        query = select(Vehicle).where(Vehicle.plate_exact == exact)
        if country is not None:
            query = query.where(Vehicle.country == country)
        with self.db.read() as session:
            rows = session.scalars(query).all()
        out = []
        for row in rows:
            key = self.keys.by_id(row.data_key_id)
            stored = key.cipher.open(row.sealed, record_aad(TABLE, row.id)).decode("ascii")
            if stored == canonical:  # a blind-index collision is not a match
                out.append(self._record(row, stored))
        return out

    def remove(self, plate: str, country: str = "") -> bool:
        exact = exact_index(
            self.keys.index_key(DataClass.REGISTRY).material, canonical_plate(plate)
        )
        with self.db.write() as session:
            result = session.execute(
                delete(Vehicle).where(Vehicle.plate_exact == exact, Vehicle.country == country)
            )
        return bool(getattr(result, "rowcount", 0))

    @staticmethod
    def _record(row: Vehicle, plate: str) -> VehicleRecord:
        return VehicleRecord(
            id=row.id,
            plate=plate,
            country=row.country,
            status=VehicleStatus(row.status),
            vehicle_class=row.vehicle_class,
            restrictions=dict(row.restrictions or {}),
            updated_at=row.updated_at,
        )

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

from platekeeper.crypto.aead import record_aad
from platekeeper.crypto.blind_index import exact_index, fuzzy_index
from platekeeper.store.engine import Database
from platekeeper.store.errors import InvalidInput
from platekeeper.store.ids import IdAllocator
from platekeeper.store.keys import KeyService
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
        checked = [_checked(item) for item in items]
        if not checked:
            return []
        index_key = self.keys.index_key(DataClass.REGISTRY)
        data_key = self.keys.data_key(DataClass.REGISTRY, None)
        now = self.clock()
        # Reserved outside the write transaction (the allocator writes too);
        # an update leaves its id unused, which costs nothing.
        new_ids = self.ids.allocate(TABLE, len(checked))
        out = []
        with self.db.write() as session:
            for (canonical, status, country, vclass, restrictions), new_id in zip(
                checked, new_ids, strict=True
            ):
                exact = exact_index(index_key.material, canonical)
                row = session.scalars(
                    select(Vehicle).where(Vehicle.plate_exact == exact, Vehicle.country == country)
                ).first()
                if row is None:
                    row = Vehicle(id=new_id, country=country, plate_exact=exact)
                    session.add(row)
                row.plate_fuzzy = fuzzy_index(index_key.material, canonical)
                row.sealed = data_key.cipher.seal(
                    canonical.encode("ascii"), record_aad(TABLE, row.id)
                )
                row.data_key_id = data_key.id
                row.status = status.value
                row.vehicle_class = vclass
                row.restrictions = restrictions
                row.updated_at = now
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

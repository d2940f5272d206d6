"""Vehicle registry records as the rules use them, and an in-memory registry.

A record says what the licensing authority holds about a plate: its status
(registered, expired, unregistered, stolen — the store's
``VehicleStatus`` values), its class, until when it is registered, and
per-vehicle restrictions such as a night ban in some zones.

Restrictions are plain JSON in the store's registry table (a mapping) and
in the registry CSV (a list): :func:`parse_restrictions` reads either form
and :func:`restrictions_to_json` writes the mapping the store keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from platekeeper.rules.timewindows import ClockTime, LocalWindow, Weekday


class RegistryStatus(StrEnum):
    REGISTERED = "registered"
    EXPIRED = "expired"
    UNREGISTERED = "unregistered"
    STOLEN = "stolen"


class RestrictionModel(BaseModel):
    """A restriction as written in the registry: no driving in ``zones``
    between ``start`` and ``end`` local time (on ``days``, if given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["time_window"] = Field(description="The only kind so far.")
    start: ClockTime = Field(description="Start of the ban, HH:MM local time.")
    end: ClockTime = Field(description="End of the ban, HH:MM local time (may cross midnight).")
    zones: list[str] = Field(min_length=1, description="Zones (city ids) the ban applies in.")
    days: list[Weekday] | None = Field(default=None, description="Days the ban starts on.")
    reason: str = Field(default="", max_length=200, description="Why, for the reviewer.")


@dataclass(frozen=True, slots=True)
class TimeWindowRestriction:
    window: LocalWindow
    zones: frozenset[str]
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "time_window",
            "start": self.window.start.strftime("%H:%M"),
            "end": self.window.end.strftime("%H:%M"),
            "zones": sorted(self.zones),
            "reason": self.reason,
        }
        if self.window.days is not None:
            out["days"] = sorted(self.window.days)
        return out


def parse_restrictions(data: object) -> tuple[TimeWindowRestriction, ...]:
    """Restrictions from a JSON list, or a mapping ``{"restrictions": [...]}``;
    ``ValueError`` naming the entry and the problem."""
    if data is None or data in ("", {}):
        return ()
    if isinstance(data, Mapping):
        data = data.get("restrictions", ())
    if not isinstance(data, list):
        raise ValueError("restrictions must be a JSON list")
    out = []
    for i, item in enumerate(data):
        try:
            model = RestrictionModel.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "entry"
            raise ValueError(f"restriction {i + 1}: {where}: {first['msg']}") from None
        days = frozenset(model.days) if model.days is not None else None
        out.append(
            TimeWindowRestriction(
                LocalWindow(model.start, model.end, days), frozenset(model.zones), model.reason
            )
        )
    return tuple(out)


def restrictions_to_json(restrictions: Iterable[TimeWindowRestriction]) -> dict[str, Any]:
    """The mapping kept in the store's ``vehicles.restrictions`` column."""
    items = [r.to_json() for r in restrictions]
    return {"restrictions": items} if items else {}


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """One registry entry."""

    plate: str = field(repr=False)
    status: RegistryStatus
    country: str = ""
    vehicle_class: str | None = None
    registered_until: date | None = None
    restrictions: tuple[TimeWindowRestriction, ...] = ()
    make: str = ""
    colour: str = ""


def pick_record(records: Sequence[RegistryRecord], country: str | None) -> RegistryRecord | None:
    """The one of a plate's records (one per country) that a read of
    ``country`` means: that country's, else one without a country; with no
    country known, the first."""
    if not records:
        return None
    if country is None:
        return records[0]
    fallback = None
    for record in records:
        if record.country == country:
            return record
        if not record.country:
            fallback = record
    return fallback


class MemoryRegistry:
    """The registry in a dict: plate → records (one per country)."""

    def __init__(self, records: Iterable[RegistryRecord] = ()) -> None:
        self._by_plate: dict[str, list[RegistryRecord]] = {}
        for record in records:
            self.upsert(record)

    def upsert(self, record: RegistryRecord) -> None:
        found = self._by_plate.setdefault(record.plate, [])
        for i, old in enumerate(found):
            if old.country == record.country:
                found[i] = record
                return
        found.append(record)

    def remove(self, plate: str, country: str = "") -> bool:
        found = self._by_plate.get(plate, [])
        kept = [r for r in found if r.country != country]
        if len(kept) == len(found):
            return False
        if kept:
            self._by_plate[plate] = kept
        else:
            del self._by_plate[plate]
        return True

    def lookup(self, plate: str, country: str | None = None) -> RegistryRecord | None:
        """The record for ``plate``: of ``country`` when given (falling back to
        an entry without a country), else the only or first one."""
        return pick_record(self._by_plate.get(plate, ()), country)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_plate.values())

    def __iter__(self) -> Iterator[RegistryRecord]:
        for records in self._by_plate.values():
            yield from records

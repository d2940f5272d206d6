"""What the simulated fleet hands to the registry and the hotlists: plain
records, exportable as CSV for the registry import and the hotlist loader.

Status values are those of the store's registry (registered, expired,
unregistered, stolen). Restrictions are plain JSON data, one mapping each;
the only kind the simulation uses is a time window in which the vehicle may
not drive in some city zones (local time, the window may cross midnight).
Hotlist patterns are canonical plates, or wildcards where ``*`` stands for
any run of characters and ``?`` for one character.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import IO, Any


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    EXPIRED = "expired"
    UNREGISTERED = "unregistered"
    STOLEN = "stolen"


@dataclass(frozen=True, slots=True)
class TimeWindowBan:
    """No driving in ``zones`` (city ids) between ``start`` and ``end`` local time."""

    start: time
    end: time
    zones: tuple[str, ...]
    reason: str

    def covers(self, seconds_of_day: float) -> bool:
        """Whether a local time of day (seconds after midnight) falls in the window."""
        a = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        b = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        if a <= b:
            return a <= seconds_of_day < b
        return seconds_of_day >= a or seconds_of_day < b

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "time_window",
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "zones": list(self.zones),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class RegistryRow:
    """One line of the vehicle registry."""

    plate: str = field(repr=False)
    country: str
    status: RegistrationStatus
    vehicle_class: str
    registered_until: date | None
    make: str
    colour: str
    restrictions: tuple[TimeWindowBan, ...] = ()

    CSV_FIELDS = (
        "plate",
        "country",
        "status",
        "vehicle_class",
        "registered_until",
        "make",
        "colour",
        "restrictions",
    )

    def to_csv_row(self) -> dict[str, str]:
        return {
            "plate": self.plate,
            "country": self.country,
            "status": self.status.value,
            "vehicle_class": self.vehicle_class,
            "registered_until": self.registered_until.isoformat() if self.registered_until else "",
            "make": self.make,
            "colour": self.colour,
            "restrictions": json.dumps([r.to_dict() for r in self.restrictions])
            if self.restrictions
            else "",
        }


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts))


@dataclass(frozen=True, slots=True)
class HotlistEntry:
    """A wanted plate or pattern. ``vehicle_id`` is the simulation's own
    knowledge of whom it was meant for (None for a pattern meant for no one);
    it is not part of the export."""

    pattern: str = field(repr=False)
    list_name: str
    reason: str
    expires_at: datetime | None = None
    vehicle_id: int | None = None
    _regex: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    @property
    def wildcard(self) -> bool:
        return "*" in self.pattern or "?" in self.pattern

    def active(self, at: datetime) -> bool:
        return self.expires_at is None or at < self.expires_at

    def matches(self, plate: str) -> bool:
        """Whether a canonical plate matches (expiry not considered)."""
        if not self.wildcard:
            return plate == self.pattern
        regex = self._regex
        if regex is None:
            regex = _pattern_regex(self.pattern)
            object.__setattr__(self, "_regex", regex)
        return regex.fullmatch(plate) is not None

    CSV_FIELDS = ("list", "pattern", "wildcard", "reason", "expires_at")

    def to_csv_row(self) -> dict[str, str]:
        return {
            "list": self.list_name,
            "pattern": self.pattern,
            "wildcard": "true" if self.wildcard else "false",
            "reason": self.reason,
            "expires_at": self.expires_at.isoformat() if self.expires_at else "",
        }


def write_registry_csv(rows: Iterable[RegistryRow], out: IO[str]) -> int:
    """Write registry rows as CSV with a header; returns the number of rows."""
    writer = csv.DictWriter(out, fieldnames=RegistryRow.CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row.to_csv_row())
        count += 1
    return count


def write_hotlist_csv(entries: Iterable[HotlistEntry], out: IO[str]) -> int:
    """Write hotlist entries as CSV with a header; returns the number of entries."""
    writer = csv.DictWriter(out, fieldnames=HotlistEntry.CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for entry in entries:
        writer.writerow(entry.to_csv_row())
        count += 1
    return count

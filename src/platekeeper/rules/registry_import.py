"""Import of the vehicle registry from CSV, line by line, with a report of
every line refused and why.

The file has a header; ``plate`` and ``status`` are required columns, and
``country``, ``vehicle_class``, ``registered_until`` (YYYY-MM-DD), ``make``,
``colour`` and ``restrictions`` (JSON) are optional — the columns
``platekeeper sim --registry`` writes. A problem with the file as a whole
(not UTF-8, no header, an unknown or missing column) refuses the file and
imports nothing. A problem with one line refuses that line: the report names
its number and the reason, never its plate, so it can be logged and mailed.
With ``strict=True`` a single refused line means nothing is imported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from platekeeper.recognition.text import normalise_plate
from platekeeper.rules.registry import (
    RegistryRecord,
    RegistryStatus,
    TimeWindowRestriction,
    parse_restrictions,
    restrictions_to_json,
)

REQUIRED = ("plate", "status")
OPTIONAL = ("country", "vehicle_class", "registered_until", "make", "colour", "restrictions")
MAX_FIELD_CHARS = 4000
MAX_DETAILED = 1000
_COUNTRY = re.compile(r"^[A-Z]{0,3}$")
_CLASS = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_PLATE = re.compile(r"^[A-Z0-9]{2,12}$")
_SEPARATORS = re.compile(r"[ \-.·]")


class RegistryImportError(ValueError):
    """The file as a whole cannot be imported; nothing was."""


class RegistrySink(Protocol):
    def upsert(self, record: RegistryRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    reason: str


@dataclass
class ImportReport:
    lines: int = 0
    imported: int = 0
    rejected_count: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    """The first ``MAX_DETAILED`` refused lines (all are counted)."""
    dry_run: bool = False

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_DETAILED:
            self.rejected.append(Rejected(line, reason))

    def summary(self) -> str:
        verb = "valid" if self.dry_run else "imported"
        head = f"{self.lines} lines: {self.imported} {verb}, {self.rejected_count} refused"
        rows = [f"  line {r.line}: {r.reason}" for r in self.rejected]
        more = self.rejected_count - len(self.rejected)
        if more > 0:
            rows.append(f"  ... and {more} more")
        return "\n".join([head, *rows])


def canonical_registry_plate(text: str) -> str:
    """The canonical plate of a registry line; ``ValueError`` when it is not one."""
    raw = _SEPARATORS.sub("", text.strip())
    plate = normalise_plate(raw)
    if len(plate) != len(raw) or not _PLATE.match(plate):
        raise ValueError("the plate is not 2-12 plate letters and digits")
    return plate


def parse_line(row: dict[str, str]) -> RegistryRecord:
    """One CSV row as a record; ``ValueError`` with the reason."""
    if any(len(v) > MAX_FIELD_CHARS for v in row.values() if v):
        raise ValueError(f"a field is longer than {MAX_FIELD_CHARS} characters")
    plate = canonical_registry_plate(row.get("plate") or "")
    status_text = (row.get("status") or "").strip().lower()
    try:
        status = RegistryStatus(status_text)
    except ValueError:
        allowed = ", ".join(s.value for s in RegistryStatus)
        raise ValueError(f"unknown status {status_text[:20]!r} (one of {allowed})") from None
    country = (row.get("country") or "").strip().upper()
    if not _COUNTRY.match(country):
        raise ValueError("the country is an ISO code of up to 3 letters")
    vclass = (row.get("vehicle_class") or "").strip().lower() or None
    if vclass is not None and not _CLASS.match(vclass):
        raise ValueError("the vehicle class is a short lower-case word")
    until_text = (row.get("registered_until") or "").strip()
    until = None
    if until_text:
        try:
            until = date.fromisoformat(until_text)
        except ValueError:
            raise ValueError("registered_until is a date written YYYY-MM-DD") from None
    restrictions: tuple[TimeWindowRestriction, ...] = ()
    text = (row.get("restrictions") or "").strip()
    if text:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("restrictions are not valid JSON") from None
        restrictions = parse_restrictions(data)
    return RegistryRecord(
        plate=plate,
        status=status,
        country=country,
        vehicle_class=vclass,
        registered_until=until,
        restrictions=restrictions,
        make=(row.get("make") or "").strip()[:64],
        colour=(row.get("colour") or "").strip()[:32],
    )


def read_registry_csv(
    stream: io.TextIOBase | Any, report: ImportReport
) -> Iterator[tuple[int, RegistryRecord]]:
    """Valid records with their line numbers; refused lines go to ``report``."""
    reader = csv.DictReader(stream, restkey="\x00extra")
    reader.fieldnames = _header(reader)
    seen: dict[tuple[str, str], int] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise RegistryImportError("the file is not UTF-8 text") from None
        except csv.Error as exc:
            raise RegistryImportError(f"line {reader.line_num}: broken CSV ({exc})") from None
        line = reader.line_num
        report.lines += 1
        if "\x00extra" in row:
            report.reject(line, "more fields than the header has columns")
            continue
        if any(v is None for v in row.values()):
            report.reject(line, "fewer fields than the header has columns")
            continue
        try:
            record = parse_line(row)
        except ValueError as exc:
            report.reject(line, str(exc))
            continue
        key = (record.plate, record.country)
        first = seen.get(key)
        if first is not None:
            report.reject(line, f"the same plate and country as line {first}")
            continue
        seen[key] = line
        yield line, record


def _header(reader: csv.DictReader[str]) -> list[str]:
    try:
        header = reader.fieldnames
    except (UnicodeDecodeError, csv.Error) as exc:
        raise RegistryImportError(f"not a readable CSV file: {type(exc).__name__}") from None
    if not header:
        raise RegistryImportError("the file is empty or has no header line")
    names = [h.strip().lower() for h in header]
    unknown = sorted(set(names) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise RegistryImportError(f"unknown column(s): {', '.join(n[:30] for n in unknown)}")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise RegistryImportError(f"missing column(s): {', '.join(missing)}")
    if len(set(names)) != len(names):
        raise RegistryImportError("a column appears twice in the header")
    return names


def import_registry_csv(
    path: Path, sink: RegistrySink | None, *, strict: bool = False
) -> ImportReport:
    """Import ``path`` into ``sink`` (None: only check it)."""
    dry = sink is None
    if strict and not dry:
        check = import_registry_csv(path, None)
        if check.rejected_count:
            check.dry_run = True
            check.imported = 0
            return check
    report = ImportReport(dry_run=dry)
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            for _line, record in read_registry_csv(stream, report):
                if sink is not None:
                    sink.upsert(record)
                report.imported += 1
    except OSError as exc:
        raise RegistryImportError(f"cannot read {path.name}: {exc.strerror}") from None
    return report


class StoreRegistry(Protocol):
    """The store's registry repository, as far as the import needs it."""

    def upsert(
        self,
        plate: str,
        status: Any,
        *,
        country: str = "",
        vehicle_class: str | None = None,
        restrictions: Any = None,
    ) -> object: ...


class StoreRegistrySink:
    """Writes imported records through the store's registry repository. The
    store keeps no registration end date of its own yet, so it travels in the
    JSON ``restrictions`` mapping beside the time windows."""

    def __init__(self, repository: StoreRegistry) -> None:
        self.repository = repository

    def upsert(self, record: RegistryRecord) -> None:
        self.repository.upsert(
            record.plate,
            record.status.value,
            country=record.country,
            vehicle_class=record.vehicle_class,
            restrictions=stored_restrictions(record),
        )


def stored_restrictions(record: RegistryRecord) -> dict[str, Any]:
    """The JSON mapping the store keeps for a record: its time windows, and
    its registration end date (the store has no column of its own for it)."""
    extra = restrictions_to_json(record.restrictions)
    if record.registered_until is not None:
        extra["registered_until"] = record.registered_until.isoformat()
    return extra

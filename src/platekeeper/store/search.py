"""Plate search and vehicle journeys, justified, bounded and guarded.

Every call names a reason and a case (``SearchJustification``) and a time
window no wider than ``store.max_search_days`` unless explicitly widened
(then at most ``max_widened_search_days``). A caller-supplied ``SearchGuard``
sees each request before it runs (to refuse it: roles, scopes) and its
outcome after (to audit it; if recording fails, the results are withheld:
the search fails closed). The access-control and audit rooms provide the
real guard; ``OpenGuard`` is for offline tools and tests.

Exact and fuzzy searches look up blind indexes — one value per index key
whose period overlaps the window — and touch only matching rows. Wildcard
searches cannot use an index without leaking more about plates than the
exact and fuzzy indexes do (see docs/keys-and-search.md), so they decrypt
every read in a bounded window instead and are refused when the window
holds more than ``max_wildcard_rows`` reads.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Protocol

from sqlalchemy import Integer, bindparam, func, select

from platekeeper.crypto.aead import record_aad
from platekeeper.recognition.text import confusion_skeleton
from platekeeper.store import payload
from platekeeper.store.cameras import CameraRepository
from platekeeper.store.errors import InvalidInput, StoreError
from platekeeper.store.keys import IndexWindow, KeyService
from platekeeper.store.models import Read
from platekeeper.store.partitions import month_start, next_month
from platekeeper.store.plates import canonical_plate, parse_wildcard
from platekeeper.store.reads import READ_COLUMNS, READ_TABLE, ReadStore
from platekeeper.store.records import BoundingBox, StoredRead
from platekeeper.store.settings import StoreSettings
from platekeeper.store.types import UtcDateTime

logger = logging.getLogger(__name__)

MAX_LIMIT = 10_000
CASE_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9/_.:-]{2,63}$"
_CASE_NUMBER = re.compile(CASE_NUMBER_PATTERN)


class ReasonCode(StrEnum):
    """Why a search is made: the one fixed list (labels in ``auth.justification``)."""

    INVESTIGATION = "investigation"
    STOLEN_VEHICLE = "stolen_vehicle"
    MISSING_PERSON = "missing_person"
    TRAFFIC_OFFENCE = "traffic_offence"
    ROAD_INCIDENT = "road_incident"
    COURT_ORDER = "court_order"
    DATA_SUBJECT_REQUEST = "data_subject_request"


class SearchMode(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"
    WILDCARD = "wildcard"


class SearchRefused(StoreError):
    """The search is not allowed as asked (window, justification, guard)."""


class SearchTooBroad(SearchRefused):
    """A wildcard search whose window holds too many reads."""


@dataclass(frozen=True)
class SearchJustification:
    """Reason code and case number; ``widen`` asks for a wider window."""

    reason: ReasonCode
    case_number: str
    widen: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.reason, ReasonCode):
            try:
                object.__setattr__(self, "reason", ReasonCode(self.reason))
            except ValueError:
                raise InvalidInput(f"unknown reason code {self.reason!r}") from None
        if not isinstance(self.case_number, str) or not _CASE_NUMBER.match(self.case_number):
            raise InvalidInput(
                "a case number is 3-64 letters, digits and / _ . : - (starting with a "
                "letter or digit)"
            )


@dataclass(frozen=True)
class SearchQuery:
    text: str = field(repr=False)
    start: datetime
    end: datetime
    mode: SearchMode = SearchMode.EXACT
    camera_ids: tuple[int, ...] | None = None
    area: BoundingBox | None = None
    limit: int = 1000


@dataclass(frozen=True)
class SearchRequest:
    """What a guard sees: who asks, what, and why."""

    action: Literal["search", "journey"]
    query: SearchQuery
    justification: SearchJustification
    principal: object | None


@dataclass(frozen=True)
class SearchResult:
    request: SearchRequest
    reads: tuple[StoredRead, ...]
    truncated: bool
    scanned: int


class SearchGuard(Protocol):
    """Policy and audit around every search (supplied by the caller)."""

    def authorize(self, request: SearchRequest) -> None:
        """Raise ``SearchRefused`` to refuse the request."""

    def record(
        self, request: SearchRequest, result: SearchResult | None, error: Exception | None
    ) -> None:
        """Record the outcome; raising here withholds the results."""


class OpenGuard:
    """Allows everything and records nothing: for offline tools and tests only."""

    def authorize(self, request: SearchRequest) -> None:
        return None

    def record(
        self, request: SearchRequest, result: SearchResult | None, error: Exception | None
    ) -> None:
        return None


class SearchService:
    """``search`` and ``journey`` over the encrypted reads."""

    def __init__(
        self,
        reads: ReadStore,
        keys: KeyService,
        cameras: CameraRepository,
        settings: StoreSettings,
        guard: SearchGuard,
    ) -> None:
        self.reads = reads
        self.keys = keys
        self.cameras = cameras
        self.settings = settings
        self.guard = guard

    def search(
        self,
        query: SearchQuery,
        justification: SearchJustification,
        *,
        principal: object | None = None,
    ) -> SearchResult:
        return self._guarded(SearchRequest("search", query, justification, principal))

    def journey(
        self,
        plate: str,
        start: datetime,
        end: datetime,
        justification: SearchJustification,
        *,
        principal: object | None = None,
        limit: int = MAX_LIMIT,
        camera_ids: tuple[int, ...] | None = None,
    ) -> SearchResult:
        """Every sighting of ``plate`` in ``[start, end)``, oldest first."""
        query = SearchQuery(plate, start, end, SearchMode.EXACT, camera_ids, limit=limit)
        return self._guarded(SearchRequest("journey", query, justification, principal))

    # -- the frame around every call ------------------------------------------

    def _guarded(self, request: SearchRequest) -> SearchResult:
        try:
            if not isinstance(request.justification, SearchJustification):
                raise SearchRefused("a search needs a justification (reason and case number)")
            self._check_window(request.query, request.justification)
            self.guard.authorize(request)
            result = self._run(request)
        except (StoreError, ValueError) as exc:
            self.guard.record(request, None, exc)
            raise
        self.guard.record(request, result, None)
        logger.info(
            "%s (%s) returned %d read(s)", request.action, request.query.mode, len(result.reads)
        )
        return result

    def _check_window(self, query: SearchQuery, why: SearchJustification) -> None:
        for value in (query.start, query.end):
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidInput("search times must carry a time zone")
        if query.end <= query.start:
            raise InvalidInput("the search window ends before it starts")
        if not 1 <= query.limit <= MAX_LIMIT:
            raise InvalidInput(f"the limit is between 1 and {MAX_LIMIT}")
        days = self.settings.max_widened_search_days if why.widen else self.settings.max_search_days
        if query.end - query.start > timedelta(days=days):
            hint = "" if why.widen else " unless explicitly widened"
            raise SearchRefused(f"the search window may not exceed {days} days{hint}")
        if query.mode is SearchMode.WILDCARD:
            hours = self.settings.max_wildcard_hours
            if query.end - query.start > timedelta(hours=hours) and not why.widen:
                raise SearchRefused(
                    f"a wildcard search window may not exceed {hours} hours unless "
                    "explicitly widened"
                )

    def _run(self, request: SearchRequest) -> SearchResult:
        query = request.query
        cameras = self._camera_filter(query)
        if cameras is not None and not cameras:
            return SearchResult(request, (), False, 0)
        if query.mode is SearchMode.WILDCARD:
            reads, truncated, scanned = self._wildcard(query, cameras)
        else:
            reads, truncated, scanned = self._indexed(query, cameras)
        return SearchResult(request, tuple(reads), truncated, scanned)

    def _camera_filter(self, query: SearchQuery) -> list[int] | None:
        ids: set[int] | None = None
        if query.camera_ids is not None:
            ids = set(query.camera_ids)
        if query.area is not None:
            in_area = {c.id for c in self.cameras.in_area(query.area)}
            ids = in_area if ids is None else ids & in_area
        return sorted(ids) if ids is not None else None

    # -- exact and fuzzy: blind indexes ------------------------------------------

    def _indexed(
        self, query: SearchQuery, cameras: list[int] | None
    ) -> tuple[list[StoredRead], bool, int]:
        plate = canonical_plate(query.text)
        fuzzy = query.mode is SearchMode.FUZZY
        wanted = confusion_skeleton(plate) if fuzzy else plate
        windows = self.keys.search_windows(query.start, query.end)
        rows: list[Any] = []
        # One query per calendar month: on PostgreSQL each touches one
        # partition and carries only the index values of that month's keys.
        with self.reads.db.engine.connect() as conn:
            for lo, hi, month_windows in _by_month(windows, query.start, query.end):
                params: dict[str, Any] = {
                    "values": sorted(
                        {
                            w.key.indexer.fuzzy(plate) if fuzzy else w.key.indexer.exact(plate)
                            for w in month_windows
                        }
                    ),
                    "lo": lo,
                    "hi": hi,
                    "limit": query.limit + 1 - len(rows),
                }
                if cameras is not None:
                    params["cameras"] = cameras
                statement = _indexed_statement(fuzzy, cameras is not None)
                rows.extend(conn.execute(statement, params).all())
                if len(rows) > query.limit:
                    break
        found = [
            read
            for read in self.reads.decrypt_rows(rows)
            # Drop blind-index collisions: another plate, same 64 bits.
            if (confusion_skeleton(read.plate) if fuzzy else read.plate) == wanted
        ]
        truncated = len(rows) > query.limit
        return found[: query.limit], truncated, len(rows)

    # -- wildcard: bounded decryption --------------------------------------------

    def _wildcard(
        self, query: SearchQuery, cameras: list[int] | None
    ) -> tuple[list[StoredRead], bool, int]:
        pattern = parse_wildcard(query.text)
        if cameras is None:
            # Scanning by (camera, time) uses the index on both databases;
            # a time-only scan would read a whole partition on PostgreSQL.
            cameras = [c.id for c in self.cameras.all()]
        window = (Read.captured_at >= query.start, Read.captured_at < query.end)
        with self.reads.db.read() as session:
            total = session.execute(
                select(func.count()).select_from(Read).where(Read.camera_id.in_(cameras), *window)
            ).scalar_one()
        if total > self.settings.max_wildcard_rows:
            raise SearchTooBroad(
                f"the window holds {total} reads; a wildcard search decrypts at most "
                f"{self.settings.max_wildcard_rows}: narrow it by time or cameras"
            )
        statement = (
            select(Read.id, Read.data_key_id, Read.sealed)
            .where(Read.camera_id.in_(cameras), *window)
            .order_by(Read.captured_at, Read.id)
        )
        matched: list[int] = []
        truncated = False
        with self.reads.db.read() as session:
            result = session.execute(statement.execution_options(yield_per=5000))
            for chunk in result.partitions():
                keys = self.keys.by_ids({row.data_key_id for row in chunk})
                for read_id, key_id, sealed in chunk:
                    key = keys.get(key_id)
                    if key is None:
                        continue
                    plate = payload.plate_of(
                        key.cipher.open(sealed, record_aad(READ_TABLE, read_id))
                    )
                    if pattern.matches(plate):
                        matched.append(read_id)
                if len(matched) > query.limit:
                    truncated = True
                    break
        matched = matched[: query.limit]
        rows: list[object] = []
        with self.reads.db.read() as session:
            for start in range(0, len(matched), 500):
                rows.extend(
                    session.execute(
                        select(*READ_COLUMNS).where(
                            Read.id.in_(matched[start : start + 500]), *window
                        )
                    ).all()
                )
        reads = sorted(self.reads.decrypt_rows(rows), key=lambda r: (r.captured_at, r.id))
        return reads, truncated, total


@functools.cache
def _indexed_statement(fuzzy: bool, by_camera: bool) -> Any:
    """The lookup of one month, built once: every search runs the same
    statement with other parameters (building it costs more than running it)."""
    column = Read.plate_fuzzy if fuzzy else Read.plate_exact
    statement = (
        select(*READ_COLUMNS)
        .where(
            column.in_(bindparam("values", expanding=True)),
            Read.captured_at >= bindparam("lo", type_=UtcDateTime()),
            Read.captured_at < bindparam("hi", type_=UtcDateTime()),
        )
        .order_by(Read.captured_at, Read.id)
        .limit(bindparam("limit", type_=Integer()))
    )
    if by_camera:
        statement = statement.where(Read.camera_id.in_(bindparam("cameras", expanding=True)))
    return statement


def _by_month(
    windows: Sequence[IndexWindow], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, list[IndexWindow]]]:
    """Split ``[start, end)`` at month boundaries, with the windows of each part."""
    out = []
    cursor = start
    while cursor < end:
        boundary = min(next_month(month_start(cursor)), end)
        inside = [w for w in windows if w.start < boundary and w.end > cursor]
        if inside:
            out.append((cursor, boundary, inside))
        cursor = boundary
    return out

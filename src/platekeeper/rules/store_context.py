"""The rules' context over the store: the registry, the hotlists and the
camera sites of a serving process.

The engine is single-threaded and its look-ups sit on the hot path, so:

- the registry is asked per plate through a small cache (both the
  registry-status and the time-window rule look up every read; the cache
  makes that one query, and a registry import is seen within
  ``rules.registry_cache_s``);
- hotlists live in the engine's in-memory index, and :class:`StoreContextSync`
  brings it up to date from the store — at start, every
  ``rules.hotlist_sync_s``, and at once when this process changes a hotlist —
  feeding each new entry through ``RulesWorker.handle_hotlist_entry`` so
  that it is checked against the reads seen just before it was listed;
- camera sites (region, zones, time zone) come from the store's cameras and
  the ``rules`` settings, refreshed on the same beat, so that a camera added
  while serving is judged like the others.

Nothing here logs a plate: entries and records are named by their store id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from platekeeper.rules.context import CameraDirectory, CameraSite
from platekeeper.rules.hotlists import HotlistEntry, canonical_pattern
from platekeeper.rules.model import Finding
from platekeeper.rules.registry import (
    RegistryRecord,
    RegistryStatus,
    TimeWindowRestriction,
    parse_restrictions,
    pick_record,
)
from platekeeper.rules.settings import RulesSettings
from platekeeper.store.errors import InvalidInput

if TYPE_CHECKING:
    from platekeeper.rules.worker import RulesWorker
    from platekeeper.store.cameras import CameraRepository
    from platekeeper.store.facade import Store
    from platekeeper.store.hotlists import HotlistEntryRecord, HotlistInfo, HotlistRepository
    from platekeeper.store.records import CameraInfo
    from platekeeper.store.registry import RegistryRepository, VehicleRecord

logger = logging.getLogger(__name__)

ENTRY_PREFIX = "store:"
"""Engine ids of the store's hotlist entries, so that the sync never touches
entries another source (the simulated road) put in the same index."""


# -- registry -----------------------------------------------------------------


def registry_record(vehicle: VehicleRecord) -> RegistryRecord:
    """A store registry entry as the rules see it. The store keeps the
    registration's end date and the time windows in its JSON
    ``restrictions`` mapping (``rules.registry_import.StoreRegistrySink``)."""
    extra: dict[str, Any] = vehicle.restrictions
    restrictions: tuple[TimeWindowRestriction, ...] = ()
    try:
        restrictions = parse_restrictions(extra)
    except ValueError:
        logger.warning("registry entry %d has unreadable restrictions; ignored", vehicle.id)
    until = None
    text = extra.get("registered_until")
    if isinstance(text, str):
        try:
            until = date.fromisoformat(text)
        except ValueError:
            logger.warning("registry entry %d has an unreadable end date; ignored", vehicle.id)
    return RegistryRecord(
        plate=vehicle.plate,
        status=RegistryStatus(vehicle.status.value),
        country=vehicle.country,
        vehicle_class=vehicle.vehicle_class,
        registered_until=until,
        restrictions=restrictions,
    )


class StoreRegistry:
    """``RegistryLookup`` over the store's registry, with a per-plate cache."""

    def __init__(
        self,
        repository: RegistryRepository,
        *,
        ttl_s: float = 60.0,
        max_plates: int = 200_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repository = repository
        self.ttl_s = ttl_s
        self.max_plates = max_plates
        self.clock = clock
        self._cache: dict[str, tuple[float, tuple[RegistryRecord, ...]]] = {}
        self.queries = 0

    def lookup(self, plate: str, country: str | None = None) -> RegistryRecord | None:
        return pick_record(self._records(plate), country)

    def _records(self, plate: str) -> tuple[RegistryRecord, ...]:
        now = self.clock()
        cached = self._cache.get(plate)
        if cached is not None and cached[0] > now:
            return cached[1]
        self.queries += 1
        try:
            found = self.repository.lookup(plate)
        except InvalidInput:  # not a plate the registry could hold
            found = []
        records = tuple(registry_record(v) for v in found)
        if self.ttl_s > 0:
            if len(self._cache) >= self.max_plates:
                # A flood of distinct plates: start again rather than track age.
                self._cache.clear()
            self._cache[plate] = (now + self.ttl_s, records)
        return records


# -- hotlists -------------------------------------------------------------------


def hotlist_entry(info: HotlistInfo, record: HotlistEntryRecord) -> HotlistEntry:
    """A store hotlist entry as the engine's index holds it; ``ValueError``
    when its pattern is not one the index accepts."""
    return HotlistEntry(
        entry_id=f"{ENTRY_PREFIX}{record.id}",
        list_name=info.name,
        pattern=canonical_pattern(record.pattern),
        expires=record.expires_at.timestamp() if record.expires_at is not None else None,
        priority=min(9, max(0, info.priority)),
        reason=record.note,
        created=record.created_at.timestamp(),
    )


class StoreHotlists:
    """What changed in the store's hotlists since the last look."""

    def __init__(self, repository: HotlistRepository) -> None:
        self.repository = repository
        self._known: set[int] = set()

    def changes(self) -> tuple[list[HotlistEntry], list[str]]:
        """(entries to add, engine ids to remove)."""
        live = self.repository.live_entry_ids()
        new = live - self._known
        gone = self._known - live
        added = []
        for info, record in self.repository.entries_by_id(new):
            try:
                added.append(hotlist_entry(info, record))
            except ValueError:
                logger.warning("hotlist entry %d: a pattern the rules refuse; skipped", record.id)
        self._known = live
        return added, [f"{ENTRY_PREFIX}{i}" for i in sorted(gone)]


# -- camera sites ---------------------------------------------------------------


def camera_site(camera: CameraInfo, settings: RulesSettings) -> CameraSite:
    return CameraSite(
        code=camera.code,
        region=camera.region,
        zones=settings.zones_of(camera.code, camera.bank, camera.region),
        timezone=settings.timezone_of(camera.region),
        direction=camera.direction,
        lanes=len(camera.lanes) or None,
    )


def camera_sites(cameras: CameraRepository, settings: RulesSettings) -> CameraDirectory:
    return CameraDirectory(camera_site(c, settings) for c in cameras.all())


# -- keeping an engine's context current ----------------------------------------------


class StoreContextSync:
    """Brings a worker's hotlist index (and, unless told otherwise, its camera
    sites) up to date with the store. Runs in the engine's thread."""

    def __init__(self, store: Store, settings: RulesSettings, *, cameras: bool = True) -> None:
        self.store = store
        self.settings = settings
        self.cameras = cameras
        self.hotlists = StoreHotlists(store.hotlists)

    def sync(self, worker: RulesWorker) -> list[Finding]:
        """Apply what changed; returns the alerts new entries raised on recent reads."""
        if self.cameras:
            directory = worker.engine.context.cameras
            for camera in self.store.cameras.all():
                directory.add(camera_site(camera, self.settings))
        added, gone = self.hotlists.changes()
        for entry_id in gone:
            worker.engine.remove_hotlist_entry(entry_id)
        found: list[Finding] = []
        for entry in added:
            found.extend(worker.handle_hotlist_entry(entry))
        if added or gone:
            logger.info("hotlists: %d entries added, %d removed", len(added), len(gone))
        return found

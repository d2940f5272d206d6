"""What rules may consult besides the read: where the camera stands, the
registry, the hotlists, the signal timeline, recent reads and evidence images.

Each is a small protocol so that the same rules run over in-memory data (the
tests, the benchmark, a worker warming up) and over the store once it is
wired in. Nothing here does I/O by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from platekeeper.rules.hotlists import HotlistIndex
from platekeeper.rules.model import EvidenceRef, ReadEvent
from platekeeper.rules.registry import RegistryRecord
from platekeeper.rules.signals import MemorySignalTimeline, SignalTimeline
from platekeeper.rules.timewindows import zone

DEFAULT_TIMEZONE = "Asia/Tashkent"


@dataclass(frozen=True, slots=True)
class CameraSite:
    """A camera as the rules see it: its region (for scope and alerts), the
    zones it stands in (for time-window bans), its local time zone and the
    direction of travel it watches."""

    code: str
    region: str = ""
    zones: frozenset[str] = frozenset()
    timezone: str = DEFAULT_TIMEZONE
    direction: str | None = None
    lanes: int | None = None


class CameraDirectory:
    """Camera sites by code."""

    def __init__(self, sites: Iterable[CameraSite] = ()) -> None:
        self._sites: dict[str, CameraSite] = {}
        for site in sites:
            self.add(site)

    def add(self, site: CameraSite) -> None:
        zone(site.timezone)  # refuse an unknown zone when the camera is added
        self._sites[site.code] = site

    def get(self, code: str) -> CameraSite | None:
        return self._sites.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self._sites

    def __iter__(self) -> Iterator[CameraSite]:
        return iter(self._sites.values())

    def __len__(self) -> int:
        return len(self._sites)


class RegistryLookup(Protocol):
    """The vehicle registry, by canonical plate (and country when known)."""

    def lookup(self, plate: str, country: str | None = None) -> RegistryRecord | None: ...


class RecentReads(Protocol):
    """Reads seen lately, for checking a new hotlist entry against them."""

    def since(self, ts: float) -> Iterable[ReadEvent]: ...


class ImageSource(Protocol):
    """Decoded evidence images (BGR uint8) by reference."""

    def load(self, ref: EvidenceRef) -> npt.NDArray[np.uint8] | None: ...


class _NoRegistry:
    def lookup(self, plate: str, country: str | None = None) -> RegistryRecord | None:
        return None


class _NoRecentReads:
    def since(self, ts: float) -> Iterable[ReadEvent]:
        return ()


class _NoImages:
    def load(self, ref: EvidenceRef) -> npt.NDArray[np.uint8] | None:
        return None


@dataclass
class RuleContext:
    """Everything a rule may consult. Defaults are empty, so a context for one
    rule in a test names only what that rule needs."""

    cameras: CameraDirectory = field(default_factory=CameraDirectory)
    registry: RegistryLookup = field(default_factory=_NoRegistry)
    hotlists: HotlistIndex = field(default_factory=HotlistIndex)
    signals: SignalTimeline = field(default_factory=MemorySignalTimeline)
    recent: RecentReads = field(default_factory=_NoRecentReads)
    images: ImageSource = field(default_factory=_NoImages)
    regions: Mapping[str, str] = field(default_factory=dict)
    """Region of a camera not in ``cameras`` (rarely needed)."""

    def site(self, camera: str) -> CameraSite | None:
        return self.cameras.get(camera)

    def region_of(self, camera: str) -> str:
        site = self.cameras.get(camera)
        return site.region if site is not None else self.regions.get(camera, "")

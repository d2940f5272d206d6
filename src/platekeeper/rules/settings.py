"""The ``rules`` section of the settings: which rules run, with what config.

```yaml
rules:
  checks:
    wanted:
      type: hotlist
    registry:
      type: registry_status
    night-trucks-tashkent:
      type: time_window
      bans:
        - {name: heavy goods at night, zones: [tashkent], start: "22:00", end: "06:00",
           vehicle_classes: [truck]}
    m39-north:
      type: section_speed
      sections:
        - {id: m39-n-1, entry: cam-a, exit: cam-b, distance_m: 12400, limit_kmh: 100}
  zones:
    tashkent: ["region:Tashkent"]
    centre: ["bank:TAS-B1", "camera:TAS-AMIR-01"]
  timezone: Asia/Tashkent
```

Each entry of ``checks`` is validated with the config model of its ``type``
(built-in or an installed plugin); an unknown key or type is an error that
names the check. ``zones`` says which cameras stand in the zones that
time-window bans name (by camera code, bank or region), ``timezone`` and
``region_timezones`` whose wall clock the bans are read on.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from platekeeper.rules.plugin import PluginError, RuleConfig, discover_plugins
from platekeeper.rules.timewindows import zone

SELECTOR_KINDS = ("camera", "bank", "region")


class RulesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    checks: dict[str, RuleConfig] = Field(
        default_factory=dict,
        title="Checks",
        description="Configured rules by name; each has a 'type' that selects its plugin.",
    )
    dedup_horizon_s: float = Field(
        default=86400.0,
        gt=0,
        title="Deduplication horizon",
        description="Seconds of stream time a finding's key is remembered in memory.",
    )
    dedup_max_keys: int = Field(
        default=2_000_000, ge=1000, title="Deduplication memory", description="Keys held at most."
    )
    recent_window_s: float = Field(
        default=3600.0,
        gt=0,
        title="Recent reads window",
        description="Reads kept in memory to check new hotlist entries against (seconds).",
    )
    recent_max_reads: int = Field(
        default=100_000, ge=100, title="Recent reads held", description="At most this many."
    )
    signal_max_gap_s: float = Field(
        default=120.0,
        gt=0,
        title="Signal silence",
        description="A controller silent longer than this leaves its phase unknown.",
    )

    zones: dict[str, list[str]] = Field(
        default_factory=dict,
        title="Zones",
        description="Cameras in each zone of the time-window bans: 'camera:<code>', "
        "'bank:<bank>' or 'region:<region>'.",
    )
    timezone: str = Field(
        default="Asia/Tashkent",
        title="Time zone",
        description="Wall clock of the cameras (IANA name) for time windows and expiry dates.",
    )
    region_timezones: dict[str, str] = Field(
        default_factory=dict,
        title="Time zones by region",
        description="Regions whose cameras keep another wall clock than 'timezone'.",
    )
    registry_cache_s: float = Field(
        default=60.0,
        ge=0,
        le=86400,
        title="Registry cache",
        description="Seconds a registry answer is reused before the store is asked again.",
    )
    hotlist_sync_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        title="Hotlist sync",
        description="Seconds between checks of the store for hotlist entries added or removed "
        "elsewhere (another server, the command line).",
    )

    @field_validator("zones")
    @classmethod
    def _check_zones(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, selectors in value.items():
            if not name or len(name) > 64:
                raise ValueError("a zone name is 1-64 characters")
            for selector in selectors:
                kind, _, what = selector.partition(":")
                if kind not in SELECTOR_KINDS or not what:
                    raise ValueError(
                        f"zone {name!r}: {selector[:40]!r} is not camera:<code>, "
                        "bank:<bank> or region:<region>"
                    )
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("region_timezones")
    @classmethod
    def _check_region_timezones(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value.values():
            zone(name)
        return value

    def zones_of(self, code: str, bank: str, region: str) -> frozenset[str]:
        """The zones a camera stands in."""
        mine = {f"camera:{code}", f"bank:{bank}", f"region:{region}"}
        return frozenset(z for z, selectors in self.zones.items() if mine.intersection(selectors))

    def timezone_of(self, region: str) -> str:
        return self.region_timezones.get(region, self.timezone)

    @field_validator("checks", mode="before")
    @classmethod
    def _parse_checks(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        plugins = discover_plugins()
        out: dict[str, RuleConfig] = {}
        for name, item in value.items():
            if not isinstance(name, str) or not name or len(name) > 64:
                raise ValueError("a check name is 1-64 characters")
            try:
                out[name] = plugins.parse(item)
            except PluginError as exc:
                raise ValueError(f"check {name!r}: {exc}") from None
        return out

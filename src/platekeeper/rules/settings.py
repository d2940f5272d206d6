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
```

Each entry of ``checks`` is validated with the config model of its ``type``
(built-in or an installed plugin); an unknown key or type is an error that
names the check.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from platekeeper.rules.plugin import PluginError, RuleConfig, discover_plugins


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

"""Time-window rule: vehicles of a class or status banned in some zones at
some hours (heavy goods vehicles in the city at night, unregistered vehicles
in the centre by day).

Two sources of bans: the rule's own ``bans`` (by vehicle class and/or
registry status, per zone), and, when ``use_registry_restrictions`` is on,
the restrictions the registry records for one vehicle. A camera is in the
zones its site names; the window is read on the camera's local wall clock,
so a ban from 22:00 to 06:00 holds across midnight and in any time zone.
One finding per pass, naming every ban it broke.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from platekeeper.rules.context import RuleContext
from platekeeper.rules.model import Finding, Offence, ReadEvent
from platekeeper.rules.plugin import Rule, RuleConfig
from platekeeper.rules.registry import RegistryStatus
from platekeeper.rules.timewindows import ClockTime, LocalWindow, Weekday, local_time


class BanConfig(BaseModel):
    """One ban: who may not drive where, when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, title="Name", description="Shown to reviewers.")
    zones: list[str] = Field(min_length=1, title="Zones", description="Zones the ban covers.")
    start: ClockTime = Field(title="Start", description="HH:MM local time.")
    end: ClockTime = Field(title="End", description="HH:MM local time; may cross midnight.")
    days: list[Weekday] | None = Field(
        default=None,
        title="Days",
        description="Days the window starts on (mon..sun); all if absent.",
    )
    vehicle_classes: list[str] | None = Field(
        default=None, title="Vehicle classes", description="Classes banned (car, truck, bus ...)."
    )
    statuses: list[RegistryStatus] | None = Field(
        default=None, title="Registry statuses", description="Statuses banned (unregistered ...)."
    )

    @model_validator(mode="after")
    def _someone(self) -> BanConfig:
        if not self.vehicle_classes and not self.statuses:
            raise ValueError("a ban names vehicle_classes, statuses or both")
        return self


class TimeWindowConfig(RuleConfig):
    type: Literal["time_window"] = "time_window"
    bans: list[BanConfig] = Field(
        default_factory=list, title="Bans", description="Zone bans by class or status."
    )
    use_registry_restrictions: bool = Field(
        default=True,
        title="Registry restrictions",
        description="Also enforce the time windows the registry records for a vehicle.",
    )
    use_observed_class: bool = Field(
        default=True,
        title="Observed class",
        description="Use the class the camera saw when the registry gives none.",
    )
    default_timezone: str = Field(
        default="Asia/Tashkent",
        title="Time zone",
        description="Local time of cameras whose site names no zone (IANA name).",
    )


class TimeWindowRule(Rule[TimeWindowConfig]):
    type = "time_window"
    config_model = TimeWindowConfig
    offences = (Offence.TIME_WINDOW.value,)

    def __init__(self, name: str, config: TimeWindowConfig, context: RuleContext) -> None:
        super().__init__(name, config, context)
        local_time(0, config.default_timezone)  # refuse an unknown zone at start
        self._bans = [
            (
                b,
                LocalWindow(b.start, b.end, frozenset(b.days) if b.days is not None else None),
                frozenset(b.zones),
                frozenset(b.vehicle_classes or ()),
                frozenset(b.statuses or ()),
            )
            for b in config.bans
        ]

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        site = self.context.site(read.camera)
        if site is None or not site.zones or read.plate is None:
            return ()
        zones = site.zones
        record = self.context.registry.lookup(read.plate, read.country)
        vclass = record.vehicle_class if record is not None else None
        if vclass is None and self.config.use_observed_class:
            vclass = read.vehicle_class
        status = record.status if record is not None else None
        local = None
        broken: list[str] = []
        for ban, window, ban_zones, classes, statuses in self._bans:
            if ban_zones.isdisjoint(zones):
                continue
            if classes and vclass not in classes:
                continue
            if statuses and status not in statuses:
                continue
            local = local or local_time(read.ts, site.timezone)
            if window.covers(local):
                broken.append(ban.name)
        if record is not None and self.config.use_registry_restrictions:
            for restriction in record.restrictions:
                if restriction.zones.isdisjoint(zones):
                    continue
                local = local or local_time(read.ts, site.timezone)
                if restriction.window.covers(local):
                    broken.append("registry: " + restriction.window.describe())
        if not broken:
            return ()
        assert local is not None
        return (
            self.finding(
                read,
                Offence.TIME_WINDOW,
                details={
                    "bans": broken,
                    "zones": sorted(zones),
                    "local_time": local.isoformat(timespec="seconds"),
                },
            ),
        )

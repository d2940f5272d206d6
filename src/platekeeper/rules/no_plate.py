"""No-plate rule: a vehicle passed and no plate could be read.

The camera (or the edge tracker) reports a pass with ``plate = None`` when
it saw a vehicle but no readable plate: missing, covered, bent away, or too
dirty. A plate read below ``unreadable_below`` counts as none. Lanes and
classes can be left out (a bus lane camera that also sees cyclists).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from platekeeper.rules.model import Finding, Offence, ReadEvent
from platekeeper.rules.plugin import Rule, RuleConfig


class NoPlateConfig(RuleConfig):
    type: Literal["no_plate"] = "no_plate"
    unreadable_below: float = Field(
        default=0.0,
        ge=0,
        le=1,
        title="Unreadable below",
        description="A read with a lower confidence counts as no plate (0 turns this off).",
    )
    lanes: list[int] | None = Field(
        default=None, title="Lanes", description="Lanes watched (1 = kerb lane); all if absent."
    )
    exempt_classes: list[str] = Field(
        default_factory=list,
        title="Exempt classes",
        description="Vehicle classes that need no plate here (e.g. bicycle).",
    )


class NoPlateRule(Rule[NoPlateConfig]):
    type = "no_plate"
    config_model = NoPlateConfig
    offences = (Offence.NO_PLATE.value,)

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        config = self.config
        if read.plate is not None and read.confidence >= config.unreadable_below:
            return ()
        if config.lanes is not None and read.lane not in config.lanes:
            return ()
        if read.vehicle_class is not None and read.vehicle_class in config.exempt_classes:
            return ()
        return (
            self.finding(
                read,
                Offence.NO_PLATE,
                details={
                    "lane": read.lane,
                    "vehicle_class": read.vehicle_class,
                    "low_confidence": read.plate is not None,
                },
            ),
        )

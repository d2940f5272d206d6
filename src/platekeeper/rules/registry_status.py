"""Registry status rule: unregistered, expired and stolen vehicles.

The registry says what it knows of the plate: a stolen vehicle raises an
alert (and, like the others, goes to review); an expired registration — by
status, or by a ``registered_until`` date that has passed in the camera's
local calendar — and an unregistered vehicle are violations. A plate the
registry does not know is ignored unless the operator says that, for plates
of the home country, absence means unregistered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

from pydantic import Field

from platekeeper.rules.context import DEFAULT_TIMEZONE, RuleContext
from platekeeper.rules.model import Finding, FindingKind, Offence, ReadEvent
from platekeeper.rules.plugin import Rule, RuleConfig
from platekeeper.rules.registry import RegistryRecord, RegistryStatus
from platekeeper.rules.timewindows import local_time

StatusOffence = Literal["unregistered", "expired", "stolen"]
ALL_STATUS_OFFENCES: tuple[StatusOffence, ...] = ("unregistered", "expired", "stolen")


class RegistryStatusConfig(RuleConfig):
    type: Literal["registry_status"] = "registry_status"
    flag: list[StatusOffence] = Field(
        default_factory=lambda: list(ALL_STATUS_OFFENCES),
        title="Offences",
        description="Which registry statuses raise a finding.",
    )
    unknown_plate: Literal["ignore", "unregistered"] = Field(
        default="ignore",
        title="Unknown plate",
        description="What a plate of a home country that the registry lacks means.",
    )
    home_countries: list[str] = Field(
        default_factory=lambda: ["UZ"],
        title="Home countries",
        description="Countries whose plates the registry should hold.",
    )
    check_expiry_date: bool = Field(
        default=True,
        title="Check expiry date",
        description="Treat a registration whose end date has passed as expired.",
    )
    expiry_grace_days: int = Field(
        default=0, ge=0, le=365, title="Grace days", description="Days tolerated after expiry."
    )
    min_confidence: float = Field(
        default=0.0, ge=0, le=1, title="Minimum confidence", description="Ignore weaker reads."
    )
    stolen_priority: int = Field(
        default=8, ge=0, le=9, title="Stolen priority", description="Priority of a stolen alert."
    )


class RegistryStatusRule(Rule[RegistryStatusConfig]):
    type = "registry_status"
    config_model = RegistryStatusConfig
    offences = (Offence.UNREGISTERED.value, Offence.EXPIRED.value, Offence.STOLEN.value)

    def __init__(self, name: str, config: RegistryStatusConfig, context: RuleContext) -> None:
        super().__init__(name, config, context)
        self._flag = frozenset(config.flag)
        self._home = frozenset(config.home_countries)

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        plate = read.plate
        if plate is None or read.confidence < self.config.min_confidence:
            return ()
        judged = self._judge(read, self.context.registry.lookup(plate, read.country))
        if judged is None or judged[0] not in self._flag:
            return ()
        offence, details = judged
        if offence == Offence.STOLEN:
            return (
                self.finding(
                    read,
                    offence,
                    kind=FindingKind.ALERT,
                    priority=self.config.stolen_priority,
                    details=details,
                ),
            )
        return (self.finding(read, offence, details=details),)

    def _judge(
        self, read: ReadEvent, record: RegistryRecord | None
    ) -> tuple[str, dict[str, str | bool]] | None:
        """The offence the registry shows, if any, with what shows it."""
        if record is None:
            home = read.country is None or read.country in self._home
            if self.config.unknown_plate == "unregistered" and home:
                return Offence.UNREGISTERED.value, {"in_registry": False}
            return None
        status = record.status
        if status is not RegistryStatus.REGISTERED:
            return status.value, {"status": status.value}
        until = record.registered_until
        if not self.config.check_expiry_date or until is None:
            return None
        site = self.context.site(read.camera)
        today = local_time(read.ts, site.timezone if site else DEFAULT_TIMEZONE).date()
        if today <= until + timedelta(days=self.config.expiry_grace_days):
            return None
        return Offence.EXPIRED.value, {
            "status": status.value,
            "registered_until": until.isoformat(),
        }

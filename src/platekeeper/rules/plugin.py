"""The interface every rule implements, built-in or third-party.

A rule is a class with a ``type`` name, a pydantic config model (``extra =
"forbid"``, a ``type: Literal[...]`` field that selects it, titles and
descriptions on every field) and an ``evaluate(read)`` method that returns
findings. The built-in rules are registered exactly as an operator's own
would be: a package exposes its rule class under the ``platekeeper.rules``
entry-point group and :func:`discover_plugins` picks it up.

A configured rule has a name (the key in the ``rules.checks`` mapping), so a
deployment may run the same type several times with different settings —
one section-speed rule per motorway, one night ban per city.
"""

from __future__ import annotations

import builtins
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from platekeeper.rules.context import RuleContext
from platekeeper.rules.model import (
    EvidenceRef,
    Finding,
    FindingKind,
    JsonValue,
    ReadEvent,
    Source,
    dedup_key,
)

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "platekeeper.rules"


class RuleConfig(BaseModel):
    """Settings common to every rule. Subclasses narrow ``type`` to a Literal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(title="Rule type", description="Selects the rule plugin.")
    enabled: bool = Field(default=True, title="Enabled", description="Run this rule.")
    cameras: list[str] | None = Field(
        default=None,
        title="Cameras",
        description="Camera codes the rule watches; every camera when absent.",
    )
    priority: int = Field(
        default=0, ge=0, le=9, title="Priority", description="0 routine to 9 most urgent."
    )


C = TypeVar("C", bound=RuleConfig)


class Rule(ABC, Generic[C]):
    """A rule: sees reads (and context), returns findings.

    ``evaluate`` must be quick (it runs for every read of every camera the
    rule watches) and must not raise on odd input; the engine isolates a
    rule that does, but counts it as a fault. ``tick`` runs deferred work
    (a read waiting for its signal phases) and ``expire`` drops state older
    than the stream's watermark allows.
    """

    type: ClassVar[str]
    config_model: ClassVar[builtins.type[RuleConfig]]
    offences: ClassVar[tuple[str, ...]]

    def __init__(self, name: str, config: C, context: RuleContext) -> None:
        self.name = name
        self.config = config
        self.context = context
        self._cameras = frozenset(config.cameras) if config.cameras is not None else None

    def applies_to(self, camera: str) -> bool:
        return self._cameras is None or camera in self._cameras

    def cameras(self) -> frozenset[str] | None:
        """The cameras this rule watches (None: all). The engine routes by it."""
        return self._cameras

    @abstractmethod
    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        """Findings for one read."""

    def tick(self, now: float) -> Sequence[Finding]:
        """Deferred findings that became decidable by stream time ``now``."""
        return ()

    def pending(self) -> int:
        """Reads held for deferred work (``tick`` settles them)."""
        return 0

    def stats(self) -> dict[str, int]:
        """Counters for monitoring (no plates)."""
        return {}

    # Helpers for subclasses -------------------------------------------------
    def finding(
        self,
        read: ReadEvent,
        offence: str,
        *,
        kind: FindingKind = FindingKind.VIOLATION,
        key_parts: Sequence[str] | None = None,
        details: Mapping[str, JsonValue] | None = None,
        evidence: Sequence[EvidenceRef] | None = None,
        related: Sequence[str] = (),
        priority: int | None = None,
        source: Source = Source.RULE,
    ) -> Finding:
        """A finding for ``read``; its key is the offence and the pass unless
        ``key_parts`` names the passes (a section pair)."""
        parts = tuple(key_parts) if key_parts is not None else (read.pass_key,)
        return Finding(
            offence=offence,
            kind=kind,
            key=dedup_key(offence, *parts),
            rule=self.name,
            rule_type=self.type,
            read_id=read.read_id,
            pass_id=read.pass_key,
            camera=read.camera,
            region=self.context.region_of(read.camera),
            ts=read.ts,
            plate=read.plate,
            country=read.country,
            priority=self.config.priority if priority is None else priority,
            related_reads=tuple(related),
            evidence=tuple(evidence) if evidence is not None else read.evidence,
            details=dict(details or {}),
            source=source,
        )


class PluginError(ValueError):
    """A rule type is unknown, or its config is invalid (worded for the operator)."""


class RulePlugins:
    """The rule types a deployment knows, by name."""

    def __init__(self, rules: Iterable[type[Rule[Any]]] = ()) -> None:
        self._rules: dict[str, type[Rule[Any]]] = {}
        for rule in rules:
            self.register(rule)

    def register(self, rule: type[Rule[Any]]) -> None:
        name = getattr(rule, "type", None)
        model = getattr(rule, "config_model", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"{rule!r} has no type name")
        if not (isinstance(model, type) and issubclass(model, RuleConfig)):
            raise PluginError(f"rule type {name!r} has no config model derived from RuleConfig")
        if model.model_config.get("extra") != "forbid":
            raise PluginError(f"rule type {name!r}: its config model must forbid unknown keys")
        existing = self._rules.get(name)
        if existing is not None and existing is not rule:
            raise PluginError(f"two rule plugins share the type name {name!r}")
        self._rules[name] = rule

    def types(self) -> list[str]:
        return sorted(self._rules)

    def get(self, name: str) -> type[Rule[Any]]:
        try:
            return self._rules[name]
        except KeyError:
            known = ", ".join(self.types()) or "none"
            raise PluginError(f"unknown rule type {name!r} (known: {known})") from None

    def parse(self, data: object) -> RuleConfig:
        """Validate one rule's settings with the model of its ``type``."""
        if isinstance(data, RuleConfig):
            self.get(data.type)
            return data
        if not isinstance(data, Mapping):
            raise PluginError("a rule is a mapping with a 'type' key")
        kind = data.get("type")
        if not isinstance(kind, str):
            raise PluginError("a rule needs a 'type' (one of: " + ", ".join(self.types()) + ")")
        model: builtins.type[RuleConfig] = self.get(kind).config_model
        try:
            return model.model_validate(dict(data))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(rule)'}: {e['msg']}"
                for e in exc.errors()
            )
            raise PluginError(f"{kind}: {problems}") from None

    def build(self, name: str, config: RuleConfig, context: RuleContext) -> Rule[Any]:
        rule_cls = self.get(config.type)
        if not isinstance(config, rule_cls.config_model):
            config = self.parse(config.model_dump())
        return rule_cls(name, config, context)


def builtin_rules() -> list[type[Rule[Any]]]:
    """The rule classes that ship with platekeeper."""
    from platekeeper.rules.hotlist import HotlistRule
    from platekeeper.rules.no_plate import NoPlateRule
    from platekeeper.rules.red_light import RedLightRule
    from platekeeper.rules.registry_status import RegistryStatusRule
    from platekeeper.rules.section_speed import SectionSpeedRule
    from platekeeper.rules.time_window import TimeWindowRule
    from platekeeper.rules.windscreen import WindscreenClassifierRule

    return [
        HotlistRule,
        RegistryStatusRule,
        RedLightRule,
        SectionSpeedRule,
        TimeWindowRule,
        NoPlateRule,
        WindscreenClassifierRule,
    ]


def discover_plugins(group: str = ENTRY_POINT_GROUP) -> RulePlugins:
    """The built-in rules plus every class installed under the entry-point ``group``.

    The built-ins are themselves declared under that group in
    ``pyproject.toml``; they are also registered directly so that a source
    checkout without installed metadata still has them.
    """
    plugins = RulePlugins(builtin_rules())
    for ep in entry_points(group=group):
        try:
            loaded = ep.load()
        except Exception:  # a broken third-party plugin must not stop the platform
            logger.exception("could not load rule plugin %s", ep.name)
            continue
        if isinstance(loaded, type) and issubclass(loaded, Rule):
            plugins.register(loaded)
        else:
            logger.error("rule plugin %s is not a Rule subclass; ignored", ep.name)
    return plugins

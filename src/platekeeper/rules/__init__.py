"""Rules: reads and context in, findings (violations and alerts) out.

One module per rule type, each a plugin of :class:`~platekeeper.rules.plugin.Rule`
with its own pydantic config; :class:`~platekeeper.rules.engine.RulesEngine`
runs them over a stream of :class:`~platekeeper.rules.model.ReadEvent`.
"""

from platekeeper.rules.context import CameraDirectory, CameraSite, RuleContext
from platekeeper.rules.engine import RulesEngine
from platekeeper.rules.hotlists import HotlistEntry, HotlistIndex, canonical_pattern
from platekeeper.rules.model import (
    Box,
    EvidenceRef,
    Finding,
    FindingKind,
    Offence,
    ReadEvent,
    Source,
    TrackPoint,
    dedup_key,
)
from platekeeper.rules.plugin import (
    PluginError,
    Rule,
    RuleConfig,
    RulePlugins,
    discover_plugins,
)
from platekeeper.rules.registry import MemoryRegistry, RegistryRecord, RegistryStatus
from platekeeper.rules.settings import RulesSettings
from platekeeper.rules.signals import MemorySignalTimeline, Phase, PhaseEvent, PhaseState

__all__ = [
    "Box",
    "CameraDirectory",
    "CameraSite",
    "EvidenceRef",
    "Finding",
    "FindingKind",
    "HotlistEntry",
    "HotlistIndex",
    "MemoryRegistry",
    "MemorySignalTimeline",
    "Offence",
    "Phase",
    "PhaseEvent",
    "PhaseState",
    "PluginError",
    "ReadEvent",
    "RegistryRecord",
    "RegistryStatus",
    "Rule",
    "RuleConfig",
    "RuleContext",
    "RulePlugins",
    "RulesEngine",
    "RulesSettings",
    "Source",
    "TrackPoint",
    "canonical_pattern",
    "dedup_key",
    "discover_plugins",
]

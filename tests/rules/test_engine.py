"""The engine and the plugin interface: routing, fault isolation, third-party
rules, settings, and the dedup property (one finding per offence per pass)."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ConfigDict, Field
from rules_helpers import T0, build, context, read

from platekeeper.config import ConfigError, load_settings
from platekeeper.rules import (
    CameraSite,
    Finding,
    FindingKind,
    HotlistEntry,
    MemoryRegistry,
    ReadEvent,
    RegistryRecord,
    RegistryStatus,
    Rule,
    RuleConfig,
    RuleContext,
    RulePlugins,
    RulesEngine,
    RulesSettings,
    discover_plugins,
)
from platekeeper.rules.plugin import PluginError, builtin_rules


class OverheightConfig(RuleConfig):
    """A third party's rule: vehicles taller than a bridge allows."""

    type: Literal["overheight"] = "overheight"
    max_height_m: float = Field(default=4.0, gt=0, title="Clearance")


class OverheightRule(Rule[OverheightConfig]):
    type = "overheight"
    config_model = OverheightConfig
    offences = ("overheight",)

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        if read.vehicle_class == "truck":
            return (self.finding(read, "overheight", details={"limit": self.config.max_height_m}),)
        return ()


class BrokenRule(Rule[OverheightConfig]):
    type = "broken"
    config_model = OverheightConfig
    offences = ()

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        raise KeyError(read.plate)  # a careless plugin that quotes the plate


def test_the_builtin_rules_are_declared_as_entry_points() -> None:
    declared = {ep.name: ep.value for ep in entry_points(group="platekeeper.rules")}
    for rule in builtin_rules():
        assert declared[rule.type] == f"{rule.__module__}:{rule.__name__}"
        assert rule.config_model.model_config.get("extra") == "forbid"


def test_a_third_party_rule_runs_beside_the_builtins() -> None:
    plugins = discover_plugins()
    plugins.register(OverheightRule)
    ctx = context(CameraSite("cam-a", region="r1"))
    rules = [
        plugins.build("bridge-7", plugins.parse({"type": "overheight", "cameras": ["cam-a"]}), ctx),
        plugins.build("no-plate", plugins.parse({"type": "no_plate"}), ctx),
    ]
    engine = RulesEngine(rules, ctx)
    found = engine.process(read("cam-a", plate=None, vehicle_class="truck"))
    assert sorted(f.offence for f in found) == ["no_plate", "overheight"]
    assert {f.region for f in found} == {"r1"}
    # The bridge rule watches cam-a only.
    assert [
        f.offence for f in engine.process(read("cam-b", plate=None, vehicle_class="truck"))
    ] == ["no_plate"]
    with pytest.raises(PluginError, match="max_height_m"):
        plugins.parse({"type": "overheight", "max_height_m": -1})
    with pytest.raises(PluginError, match="colour"):
        plugins.parse({"type": "overheight", "colour": "red"})


def test_plugins_must_be_well_formed() -> None:
    class Loose(RuleConfig):
        model_config = ConfigDict(extra="allow", frozen=True)
        type: Literal["loose"] = "loose"

    class LooseRule(OverheightRule):
        type = "loose"
        config_model = Loose

    class Twin(OverheightRule):
        pass

    plugins = RulePlugins([OverheightRule])
    with pytest.raises(PluginError, match="forbid unknown keys"):
        plugins.register(LooseRule)
    with pytest.raises(PluginError, match="share the type name"):
        plugins.register(Twin)
    with pytest.raises(PluginError, match="unknown rule type 'radar'"):
        plugins.parse({"type": "radar"})
    with pytest.raises(PluginError, match="needs a 'type'"):
        plugins.parse({"cameras": ["x"]})


def test_a_broken_plugin_package_does_not_stop_discovery(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class FakeEntryPoint:  # stands in for an installed package's broken metadata
        name = "broken-package"

        def load(self) -> Any:
            raise ImportError("no module named broken")

    monkeypatch.setattr("platekeeper.rules.plugin.entry_points", lambda group: [FakeEntryPoint()])
    with caplog.at_level(logging.ERROR):
        plugins = discover_plugins()
    assert "hotlist" in plugins.types()
    assert "broken-package" in caplog.text


def test_a_failing_rule_is_isolated_and_its_log_names_no_plate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx = context()
    broken = BrokenRule("careless", OverheightConfig(type="overheight"), ctx)
    no_plate = build("no-plate", {"type": "no_plate", "unreadable_below": 0.5}, ctx)
    engine = RulesEngine([broken, no_plate], ctx)
    with caplog.at_level(logging.ERROR):
        found = engine.process(read(plate="01A123BC", confidence=0.2))
    assert [f.offence for f in found] == ["no_plate"]
    assert engine.faults == {"careless": 1}
    assert "KeyError" in caplog.text
    assert "01A123BC" not in caplog.text


def test_no_plate_options() -> None:
    ctx = context()
    rule = build(
        "np",
        {
            "type": "no_plate",
            "lanes": [1, 2],
            "exempt_classes": ["bicycle"],
            "unreadable_below": 0.4,
        },
        ctx,
    )
    assert rule.evaluate(read(plate=None, lane=1))
    assert rule.evaluate(read(plate="01A123BC", confidence=0.3, lane=2))[0].details[
        "low_confidence"
    ]
    assert not rule.evaluate(read(plate="01A123BC", confidence=0.9, lane=1))
    assert not rule.evaluate(read(plate=None, lane=3))
    assert not rule.evaluate(read(plate=None, lane=1, vehicle_class="bicycle"))


def test_settings_name_the_yaml_line_of_a_bad_check(tmp_path: Path) -> None:
    path = tmp_path / "platekeeper.yaml"
    path.write_text(
        "rules:\n  checks:\n    wanted:\n      type: hotlist\n      lists: [stolen]\n"
        "    m39:\n      type: section_speed\n      sections: []\n"
    )
    with pytest.raises(
        ConfigError, match=r"line 2: rules.checks: .*'m39': section_speed: sections"
    ):
        load_settings(path)
    path.write_text("rules:\n  checks:\n    x:\n      type: radar\n")
    with pytest.raises(ConfigError, match="unknown rule type 'radar'"):
        load_settings(path)
    path.write_text("rules:\n  checks:\n    wanted:\n      type: hotlist\n      enabled: false\n")
    loaded = load_settings(path)
    assert RulesEngine.from_settings(loaded.rules, RuleContext()).rules == []


# ----------------------------------------------------------------- dedup
PLATES = ["01A111AA", "01A222AA", "01A333AA", "01A444AA", None]
REGISTRY = MemoryRegistry(
    [
        RegistryRecord("01A111AA", RegistryStatus.STOLEN),
        RegistryRecord("01A222AA", RegistryStatus.EXPIRED),
        RegistryRecord("01A333AA", RegistryStatus.UNREGISTERED),
    ]
)


class SecondOpinionRule(Rule[OverheightConfig]):
    """Raises 'stolen' too, from another source, for the same passes."""

    type = "second-opinion"
    config_model = OverheightConfig
    offences = ("stolen",)

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        if read.plate == "01A111AA":
            return (self.finding(read, "stolen", kind=FindingKind.ALERT),)
        return ()


def dedup_engine() -> RulesEngine:
    ctx = context(CameraSite("cam-a"), CameraSite("cam-b"), registry=REGISTRY)
    ctx.hotlists.add(HotlistEntry("h1", "stolen", "01A111AA"))
    ctx.hotlists.add(HotlistEntry("h2", "bolo", "01A*"))
    rules = [
        build("hotlist", {"type": "hotlist"}, ctx),
        build("registry", {"type": "registry_status"}, ctx),
        build("no-plate", {"type": "no_plate"}, ctx),
        SecondOpinionRule("second", OverheightConfig(type="overheight"), ctx),
    ]
    return RulesEngine(rules, ctx)


_READS = st.lists(
    st.tuples(st.integers(0, 15), st.sampled_from(PLATES), st.sampled_from(["cam-a", "cam-b"])),
    min_size=1,
    max_size=40,
)


@settings(max_examples=80, deadline=None)
@given(spec=_READS, seed=st.integers(0, 1000))
def test_one_finding_per_offence_per_pass(
    spec: list[tuple[int, str | None, str]], seed: int
) -> None:
    """However reads of a pass are repeated and ordered, each offence of each
    pass is raised exactly once."""
    reads = [
        read(camera, T0 + i, plate, read_id=f"r{i}", pass_id=f"p{pass_no}")
        for i, (pass_no, plate, camera) in enumerate(spec)
    ]
    once = dedup_engine().process_many(reads)
    repeated = reads * 3
    random.Random(seed).shuffle(repeated)
    again = dedup_engine().process_many(repeated)
    for found in (once, again):
        keys = [f.key for f in found]
        assert len(keys) == len(set(keys))
        assert len({(f.pass_id, f.offence) for f in found}) == len(found)
    assert {(f.pass_id, f.offence) for f in once} == {(f.pass_id, f.offence) for f in again}
    # Every offence a pass's first read shows is there.
    first = {}
    for r in reads:
        first.setdefault(r.pass_id, r)
    expected = set()
    for pass_id, r in first.items():
        offences = {
            "01A111AA": {"stolen", "hotlist"},
            "01A222AA": {"expired", "hotlist"},
            "01A333AA": {"unregistered", "hotlist"},
            "01A444AA": {"hotlist"},
            None: {"no_plate"},
        }[r.plate]
        expected |= {(pass_id, o) for o in offences}
    assert expected <= {(f.pass_id, f.offence) for f in once}


def test_dedup_memory_is_bounded() -> None:
    from platekeeper.rules.dedup import DedupMemory

    memory = DedupMemory(horizon_s=100, max_keys=1000)
    assert memory.first("a", T0)
    assert not memory.first("a", T0 + 1)
    for k in range(5000):
        memory.first(f"k{k}", T0 + k * 0.01)
    assert len(memory) == 1000
    memory.first("late", T0 + 10_000)
    assert len(memory) == 1
    assert memory.first("a", T0 + 10_001)  # forgotten beyond the horizon


def test_settings_model_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        RulesSettings.model_validate({"checks": {}, "speed": 1})

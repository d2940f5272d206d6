"""A simulated day of the national network through every rule, compared with
the simulator's ground truth: precision and recall per offence.

The reads are perfect (the plate the simulator knows, the stop-line track it
drove), so any miss or false alarm is the rules' own doing. The rules are
configured as the truth is defined (section tolerance 5 km/h, red-light
grace 1 s, no clock skew).
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from rules_helpers import World

from platekeeper.rules import Finding, MemorySignalTimeline, RuleContext, RulesEngine, RulesSettings
from platekeeper.rules.model import ReadEvent
from platekeeper.rules.recent import RecentReadsBuffer
from platekeeper.rules.signals import PhaseEvent
from platekeeper.sim import rules_setup
from platekeeper.sim.captures import Violation

Phases = list[tuple[float, PhaseEvent]]


def _engine(
    world: World,
    late_allowance_s: float = rules_setup.DEFAULT_LATE_ALLOWANCE_S,
    signals: MemorySignalTimeline | None = None,
) -> RulesEngine:
    context = RuleContext(
        cameras=rules_setup.camera_sites(world.network),
        registry=rules_setup.registry(world.population),
        signals=signals or MemorySignalTimeline(),
        recent=RecentReadsBuffer(),
    )
    for entry in rules_setup.hotlist_entries(world.population):
        context.hotlists.add(entry)
    checks = rules_setup.checks(world.network, late_allowance_s=late_allowance_s)
    settings = RulesSettings.model_validate({"checks": checks})
    return RulesEngine.from_settings(settings, context)


def _run(
    engine: RulesEngine, phases: Phases, deliveries: list[tuple[float, ReadEvent]]
) -> list[Finding]:
    """Deliver phases at their instant and reads at their delivery time, in order."""
    found: list[Finding] = []
    j = 0
    for at, read in deliveries:
        while j < len(phases) and phases[j][0] <= at:
            found += engine.record_phase(phases[j][1])
            j += 1
        found += engine.process(read)
    for _, event in phases[j:]:
        found += engine.record_phase(event)
    found += engine.tick(float("inf"))
    return found


@pytest.fixture(scope="module")
def reads(world: World) -> list[ReadEvent]:
    return [rules_setup.read_event(c) for c in world.captures]


@pytest.fixture(scope="module")
def phases(world: World) -> Phases:
    events = rules_setup.phase_events(
        world.network, world.start.timestamp(), world.end.timestamp() + 600
    )
    return sorted(((e.ts, e) for e in events), key=lambda p: p[0])


@pytest.fixture(scope="module")
def in_order(
    world: World, reads: list[ReadEvent], phases: Phases
) -> tuple[RulesEngine, list[Finding]]:
    engine = _engine(world)
    return engine, _run(engine, phases, [(r.ts, r) for r in reads])


def test_a_simulated_day_matches_the_ground_truth(
    world: World, in_order: tuple[RulesEngine, list[Finding]]
) -> None:
    engine, found = in_order
    truth = {(str(c.id), v.value) for c in world.captures for v in c.violations}
    got = {(f.read_id, f.offence) for f in found}
    print(f"\n{len(world.captures)} reads, {len(found)} findings")
    offences = sorted({o for _, o in truth | got})
    # Every offence the simulator knows occurred, so every rule was exercised.
    assert {v.value for v in Violation} <= set(offences)
    for offence in offences:
        t = {x for x in truth if x[1] == offence}
        g = {x for x in got if x[1] == offence}
        hit = len(t & g)
        print(
            f"  {offence:14s} truth {len(t):5d} found {len(g):5d} "
            f"precision {hit / max(1, len(g)):.3f} recall {hit / max(1, len(t)):.3f}"
        )
        assert len(t) > 0, offence
        assert hit == len(t) == len(g), (offence, len(t), len(g), hit)
    assert len({f.key for f in found}) == len(found)
    assert engine.faults == {}


def test_late_and_repeated_delivery_changes_nothing(
    world: World,
    reads: list[ReadEvent],
    phases: Phases,
    in_order: tuple[RulesEngine, list[Finding]],
) -> None:
    """Every read delivered twice, each up to four minutes late and out of
    order: the same findings, none twice."""
    rng = random.Random(5)
    deliveries = [(r.ts + rng.uniform(0, 240), r) for r in reads]
    deliveries += [(r.ts + rng.uniform(0, 240), r) for r in reads]
    deliveries.sort(key=lambda d: d[0])
    engine = _engine(world)
    found = _run(engine, phases, deliveries)
    assert Counter(f.key for f in found).most_common(1)[0][1] == 1
    assert {(f.read_id, f.offence, f.key) for f in found} == {
        (f.read_id, f.offence, f.key) for f in in_order[1]
    }
    assert engine.duplicates > len(reads) // 20
    sections = engine.stats()["rules"]["sections"]
    assert sections["late_entries"] > 0  # exits seen before their entries were paired


def test_history_sent_after_later_reads_changes_nothing_within_the_allowance(
    world: World,
    reads: list[ReadEvent],
    phases: Phases,
    in_order: tuple[RulesEngine, list[Finding]],
) -> None:
    """The order of ``make run``: the latest history first (here from the
    middle of a section speeding hours back, whose exit is then seen long
    before its entry), then the earlier history interleaved with live reads. With the
    section rule waiting as long as the history spans, the findings are
    those of the reads in order; with its default five minutes, that
    speeding is lost. Phases are all known first, as the signal door stores
    them before the history's reads."""
    live_from = world.end.timestamp() - 1800
    # Older than the longest a section camera's sighting is kept in order
    # (its longest transit at the rule's 10 km/h minimum, plus five minutes).
    kept_s = max(s.distance_m for s in world.network.sections.values()) / (10 / 3.6) + 300
    speeding = max(
        (c for c in world.captures if c.section and Violation.SECTION_SPEED in c.violations),
        key=lambda c: c.ts if c.ts < live_from - kept_s else 0.0,
    )
    assert speeding.section is not None
    split = (speeding.section.entry_ts + speeding.ts) / 2
    recent = [r for r in reads if split <= r.ts < live_from]
    history = [r for r in reads if r.ts < split]
    live = [r for r in reads if r.ts >= live_from]
    order = recent[:]
    for n, read in enumerate(history):
        order.append(read)
        if n % 10 == 9 and live:
            order.append(live.pop(0))
    order += live
    span = world.end.timestamp() - world.start.timestamp()

    def findings(late_allowance_s: float) -> set[tuple[str, str, str]]:
        signals = MemorySignalTimeline(horizon_s=2 * span)
        engine = _engine(world, late_allowance_s, signals)
        for _, event in phases:
            engine.record_phase(event)
        found = engine.process_many(order) + engine.tick(float("inf"))
        assert engine.faults == {}
        return {(f.read_id, f.offence, f.key) for f in found}

    expected = {(f.read_id, f.offence, f.key) for f in in_order[1]}
    assert findings(span + 3600) == expected
    lost = expected - findings(rules_setup.DEFAULT_LATE_ALLOWANCE_S)
    assert (str(speeding.id), "section_speed") in {(r, o) for r, o, _ in lost}
    assert {offence for _, offence, _ in lost} == {"section_speed"}

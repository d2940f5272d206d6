"""Red light: crossings timed against a real signal programme's feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from rules_helpers import T0, build, context, crossing_track, read

from platekeeper.rules import EvidenceRef, MemorySignalTimeline, Phase, PhaseEvent, RulesEngine
from platekeeper.rules.model import TrackPoint
from platekeeper.rules.red_light import crossing_time, offsets_from_image
from platekeeper.sim.signals import SignalProgramme

# Green 0-40 s, amber 40-43 s, red 43-90 s of each cycle from T0.
PROGRAMME = SignalProgramme(cycle_s=90, green_s=40, amber_s=3, red_s=47, offset_s=T0)
RED = T0 + 43
EVIDENCE = (EvidenceRef("crop", "crop-1"), EvidenceRef("clip", "clip-1"))


def feed(timeline: MemorySignalTimeline, start: float, end: float) -> None:
    for at, phase in PROGRAMME.changes(start, end):
        timeline.record("j1-north", at, Phase(phase.value))


def setup(**config: Any) -> tuple[Any, MemorySignalTimeline]:
    timeline = MemorySignalTimeline()
    ctx = context(signals=timeline)
    rule = build(
        "red-light",
        {"type": "red_light", "approaches": {"cam-j": {"signal": "j1-north", **config}}},
        ctx,
    )
    return rule, timeline


def crossing(at: float, **kw: Any) -> Any:
    return read("cam-j", at, track=crossing_track(at), evidence=EVIDENCE, **kw)


@pytest.mark.parametrize(
    ("at", "raised"),
    [
        (T0 + 10, False),  # green
        (T0 + 41, False),  # amber
        (RED + 0.5, False),  # red, but within the amber grace
        (RED + 1.0, True),
        (RED + 20, True),
        (T0 + 90 + 5, False),  # green again
    ],
)
def test_crossings_through_a_cycle(at: float, raised: bool) -> None:
    rule, timeline = setup()
    feed(timeline, T0 - 90, T0 + 400)
    found = rule.evaluate(crossing(at))
    assert bool(found) is raised
    if raised:
        (f,) = found
        assert f.details["into_red_s"] == pytest.approx(at - RED, abs=0.01)
        assert f.details["signal"] == "j1-north"
        roles = [(e.role, e.ref) for e in f.evidence]
        assert roles == [
            ("before", "f-1"),
            ("at", "f0"),
            ("past", "f1"),
            ("plate", "crop-1"),
            ("clip", "clip-1"),
        ]
        assert f.details["evidence_complete"] is True


def test_the_grace_is_configurable_and_flashing_is_never_enforced() -> None:
    rule, timeline = setup()
    strict = build(
        "strict",
        {"type": "red_light", "approaches": {"cam-j": {"signal": "j1-north"}}, "amber_grace_s": 0},
        rule.context,
    )
    feed(timeline, T0 - 90, T0 + 300)
    assert strict.evaluate(crossing(RED + 0.2))
    assert not rule.evaluate(crossing(RED + 0.2))
    timeline.record("j1-north", T0 + 300, Phase.FLASHING)
    assert not rule.evaluate(crossing(T0 + 330))


def test_a_read_waits_for_the_feed_to_catch_up() -> None:
    rule, timeline = setup()
    engine = RulesEngine([rule], rule.context)
    feed(timeline, T0 - 90, T0 + 30)  # the feed is behind the camera
    assert engine.process(crossing(RED + 5)) == []
    assert rule.pending() == 1
    found = []
    for at, phase in PROGRAMME.changes(T0 + 30, T0 + 120):
        found += engine.record_phase(
            PhaseEvent(signal="j1-north", at=datetime.fromtimestamp(at, UTC), phase=phase.value)
        )
    assert [f.offence for f in found] == ["red_light"]
    assert rule.pending() == 0


def test_a_feed_that_never_comes_leaves_the_crossing_undetermined() -> None:
    rule, timeline = setup(lanes=None)
    feed(timeline, T0 - 90, T0 + 30)
    engine = RulesEngine([rule], rule.context)
    engine.process(crossing(RED + 5))
    assert engine.tick(RED + 10) == []
    assert rule.pending() == 1
    assert engine.tick(RED + 5 + 181) == []  # waited longer than wait_for_phases_s
    assert rule.pending() == 0
    assert rule.stats()["undetermined"] == 1


def test_a_silent_controller_means_an_unknown_phase() -> None:
    rule, timeline = setup()
    timeline.record("j1-north", RED, Phase.RED)
    timeline.record("j1-north", RED + 300, Phase.GREEN)  # five minutes of silence
    assert not rule.evaluate(crossing(RED + 200))
    assert rule.stats()["undetermined"] == 1
    assert timeline.state_at("j1-north", RED + 60) is None  # the whole silence is unknown
    assert timeline.state_at("j1-north", RED + 300) is not None
    assert timeline.state_at("j1-north", RED + 301) is None  # not heard of yet


def test_lanes_and_tracks_that_do_not_cross() -> None:
    rule, timeline = setup(exempt_lanes=[3])
    feed(timeline, T0 - 90, T0 + 300)
    assert not rule.evaluate(crossing(RED + 5, lane=3))
    assert rule.evaluate(crossing(RED + 5, lane=1))
    stopped = tuple(TrackPoint(RED + 5 + k, -3.0 + k, None) for k in range(3))  # never reaches 0
    assert not rule.evaluate(read("cam-j", RED + 5, track=stopped))
    beyond = tuple(TrackPoint(RED + 5 + k, 1.0 + k, None) for k in range(3))  # only seen past it
    assert not rule.evaluate(read("cam-j", RED + 5, track=beyond))
    assert not rule.evaluate(read("cam-x", RED + 5, track=crossing_track(RED + 5)))


def test_a_pass_without_a_readable_plate_still_counts_unless_required() -> None:
    rule, timeline = setup()
    feed(timeline, T0 - 90, T0 + 300)
    (f,) = rule.evaluate(crossing(RED + 5, plate=None))
    assert f.plate is None
    plated = build(
        "p",
        {
            "type": "red_light",
            "approaches": {"cam-j": {"signal": "j1-north"}},
            "require_plate": True,
        },
        rule.context,
    )
    assert not plated.evaluate(crossing(RED + 5, plate=None))


def test_crossing_time_and_image_offsets() -> None:
    # A stop line across the image at y = 600, traffic coming from the top.
    points = [(10.0, 400.0, 500.0, None), (10.5, 405.0, 640.0, None), (11.0, 410.0, 780.0, None)]
    track = offsets_from_image(points, ((0.0, 600.0), (1920.0, 600.0)), (960.0, 0.0))
    assert [round(p.offset) for p in track] == [-100, 40, 180]
    at, index = crossing_time(track) or (0.0, 0)
    assert at == pytest.approx(10.0 + 0.5 * 100 / 140)
    assert index == 1
    # The same line seen from the other side flips the signs.
    flipped = offsets_from_image(points, ((0.0, 600.0), (1920.0, 600.0)), (960.0, 1000.0))
    assert [round(p.offset) for p in flipped] == [100, -40, -180]
    with pytest.raises(ValueError, match="two distinct points"):
        offsets_from_image(points, ((1.0, 1.0), (1.0, 1.0)), (0.0, 0.0))


def test_phase_events_are_validated() -> None:
    good = {"signal": "j1-north", "at": "2026-03-02T10:00:00+05:00", "phase": "red"}
    assert PhaseEvent.model_validate(good).ts == datetime(2026, 3, 2, 5, tzinfo=UTC).timestamp()
    for bad in (
        {**good, "at": "2026-03-02T10:00:00"},  # no time zone
        {**good, "phase": "purple"},
        {**good, "signal": "j1 north; drop"},
        {**good, "colour": "red"},
    ):
        with pytest.raises(ValidationError):
            PhaseEvent.model_validate(bad)


def test_the_timeline_is_bounded() -> None:
    timeline = MemorySignalTimeline(horizon_s=600)
    for at, phase in PROGRAMME.changes(T0, T0 + 86400):
        timeline.record("j1-north", at, Phase(phase.value))
    assert timeline.run_count() < 3 * 2 * 600 / 90 + 70
    latest = timeline.latest("j1-north")
    assert latest is not None
    assert timeline.state_at("j1-north", latest - 1) is not None
    assert timeline.state_at("j1-north", T0 + 600) is None  # forgotten


def test_config_is_validated() -> None:
    from platekeeper.rules.plugin import PluginError, discover_plugins

    plugins = discover_plugins()
    with pytest.raises(PluginError, match="approaches"):
        plugins.parse({"type": "red_light", "approaches": {}})
    with pytest.raises(PluginError, match="cameras"):
        plugins.parse({"type": "red_light", "approaches": {"a": {"signal": "s"}}, "cameras": ["b"]})
    with pytest.raises(PluginError, match="amber_grace_s"):
        plugins.parse(
            {"type": "red_light", "approaches": {"a": {"signal": "s"}}, "amber_grace_s": 9}
        )


def test_three_distinct_frames_when_the_nearest_is_still_before_the_line() -> None:
    rule, timeline = setup()
    feed(timeline, T0 - 90, T0 + 400)
    at = RED + 10

    def point(dt: float, offset: float, name: str) -> TrackPoint:
        return TrackPoint(at + dt, offset, EvidenceRef("frame", name, at + dt))

    # Crossing 0.1 s after the point a metre short of the line: that frame is "at".
    track = (point(-1.0, -9.0, "far"), point(-0.1, -1.0, "near"), point(0.8, 7.0, "beyond"))
    (f,) = rule.evaluate(read("cam-j", at, track=track, evidence=EVIDENCE))
    roles = [(e.role, e.ref) for e in f.evidence if e.kind == "frame"]
    assert roles == [("before", "far"), ("at", "near"), ("past", "beyond")]
    assert f.details["evidence_complete"] is True

"""Hotlists: exact plates and wildcard patterns, expiry, priority, candidate
matches, and new entries checked against recent reads."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_helpers import T0, build, context, read

from platekeeper.rules import CameraSite, FindingKind, HotlistEntry, HotlistIndex, RulesEngine
from platekeeper.rules.hotlists import canonical_pattern
from platekeeper.rules.recent import RecentReadsBuffer


def entry(pattern: str, entry_id: str = "", **kw: object) -> HotlistEntry:
    name = str(kw.pop("list_name", "wanted"))
    return HotlistEntry(entry_id or pattern, name, canonical_pattern(pattern), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "plate", "hit"),
    [
        ("01A123BC", "01A123BC", True),
        ("01A123BC", "01A123BD", False),
        ("01A123??", "01A123XY", True),
        ("01A123??", "01A123XYZ", False),  # ? is exactly one character
        ("01A*", "01A999ZZ", True),
        ("01A*", "10A999ZZ", False),
        ("*23BC", "40X123BC", True),  # filed under its suffix
        ("*23BC", "40X123BD", False),
        ("?1A12*", "01A12345", True),  # no literal prefix: filed under the suffix-less scan
        ("*12*", "40Z912AB", True),
        ("*12*", "40Z9X2AB", False),
        ("01 a-123 bc", "01A123BC", True),  # separators and case do not matter
        ("01А123ВС", "01A123BC", True),  # Cyrillic look-alikes are the Latin letters
    ],
)
def test_patterns(pattern: str, plate: str, hit: bool) -> None:
    index = HotlistIndex([entry(pattern)])
    assert bool(index.match(plate)) is hit


@pytest.mark.parametrize("bad", ["", "*", "?*", "1*", "01A!23", "0123456789ABCDEFG"])
def test_bad_patterns_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked below for one
        canonical_pattern(bad)


def test_expiry_priority_and_removal() -> None:
    index = HotlistIndex(
        [
            entry("01A123BC", "old", expires=T0),
            entry("01A1*", "low", priority=1),
            entry("01A123B?", "high", priority=9),
        ]
    )
    assert [e.entry_id for e in index.match("01A123BC", T0 - 1)] == ["high", "low", "old"]
    assert [e.entry_id for e in index.match("01A123BC", T0)] == ["high", "low"]
    assert index.remove("high")
    assert not index.remove("high")
    assert [e.entry_id for e in index.match("01A123BC", T0)] == ["low"]
    assert index.purge_expired(T0) == 1
    assert len(index) == 1


_PLATE = st.text(alphabet="0123AB", min_size=3, max_size=8)
_PATTERN = st.text(alphabet="0123AB*?", min_size=3, max_size=8).filter(
    lambda p: sum(c not in "*?" for c in p) >= 2
)


@settings(max_examples=60, deadline=None)
@given(patterns=st.lists(_PATTERN, min_size=1, max_size=30), plates=st.lists(_PLATE, max_size=30))
def test_the_index_agrees_with_a_plain_scan(patterns: list[str], plates: list[str]) -> None:
    entries = [entry(p, f"e{i}") for i, p in enumerate(patterns)]
    index = HotlistIndex(entries)
    for plate in plates:
        expected = {
            e.entry_id
            for e in entries
            if re.fullmatch(e.pattern.replace("*", ".*").replace("?", "."), plate)
        }
        assert {e.entry_id for e in index.match(plate)} == expected


def test_rule_alerts_once_per_pass_with_every_list() -> None:
    ctx = context(CameraSite("cam-a", region="tashkent"))
    ctx.hotlists.add(entry("01A123BC", "s1", list_name="stolen", priority=8))
    ctx.hotlists.add(entry("01A1*", "w1", list_name="bolo"))
    rule = build("hotlist", {"type": "hotlist"}, ctx)
    (finding,) = rule.evaluate(read(plate="01A123BC"))
    assert finding.kind is FindingKind.ALERT
    assert finding.priority == 8
    assert finding.region == "tashkent"
    assert finding.details["lists"] == ["bolo", "stolen"]
    assert finding.details["wildcard"] is True
    assert "01A123BC" not in repr(finding)
    assert "01A123BC" not in str(finding.to_record())
    assert rule.evaluate(read(plate="01B123BC")) == ()
    assert rule.evaluate(read(plate=None)) == ()


def test_rule_list_filter_confidence_and_candidates() -> None:
    ctx = context()
    ctx.hotlists.add(entry("01A123BC", "s1", list_name="stolen"))
    only_wanted = build("w", {"type": "hotlist", "lists": ["wanted"]}, ctx)
    assert only_wanted.evaluate(read(plate="01A123BC")) == ()
    strict = build("s", {"type": "hotlist", "min_confidence": 0.9}, ctx)
    assert strict.evaluate(read(plate="01A123BC", confidence=0.5)) == ()
    loose = build("c", {"type": "hotlist", "match_candidates": True}, ctx)
    misread = read(plate="01A128BC", candidates=(("01A128BC", 0.6), ("01A123BC", 0.35)))
    (finding,) = loose.evaluate(misread)
    assert finding.details["matched"] == "candidate"
    weak = read(plate="01A128BC", candidates=(("01A123BC", 0.1),))
    assert loose.evaluate(weak) == ()


def test_a_new_entry_is_checked_against_recent_reads() -> None:
    ctx = context(recent=RecentReadsBuffer(window_s=3600))
    engine = RulesEngine([build("hotlist", {"type": "hotlist", "recheck_window_s": 600}, ctx)], ctx)
    seen = read(plate="01A123BC", ts=T0 - 300)
    too_old = read(plate="01A123BC", ts=T0 - 900)
    other = read(plate="01A999BC", ts=T0 - 200)
    for r in (too_old, seen, other):
        assert engine.process(r) == []
    found = engine.add_hotlist_entry(entry("01A123??", "late", created=T0))
    assert [f.read_id for f in found] == [seen.read_id]
    assert found[0].details["late"] is True
    # The same pass read again after the entry: no second alert for it.
    assert engine.process(seen) == []
    assert len(engine.process(read(plate="01A123BC", ts=T0 + 5))) == 1


def test_recent_buffer_is_bounded() -> None:
    buffer = RecentReadsBuffer(window_s=100, max_reads=3)
    for k in range(5):
        buffer.add(read(ts=T0 + k))
    buffer.add(read(plate=None, ts=T0 + 6))
    assert len(buffer) == 3
    buffer.add(read(ts=T0 + 500))
    assert [r.ts for r in buffer.since(0)] == [T0 + 500]

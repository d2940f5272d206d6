"""What the simulated cameras send for a live capture, read or not, and the
pieces that decide how a capture is drawn: its light and the render budget."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from platekeeper.ingest.payloads import ReadIn
from platekeeper.sim.camera_view import RenderBudget, lighting_at
from platekeeper.sim.captures import Capture
from platekeeper.sim.feed import SimFeed
from platekeeper.sim.feed_setup import FeedState
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population

TASHKENT = 41.3
UZT = 5 * 3600


def test_without_recognition_live_captures_are_sent_as_perfect_reads(
    network: Network, population: Population, week: list[Capture]
) -> None:
    state = FeedState(None, 7, len(population), date(2026, 3, 2))
    with httpx.Client() as unused:  # nothing is posted here
        feed = SimFeed(network, population, state, {}, unused, view=None)
        plated = [c for c in week if c.plate is not None][:20]
        bare = [c for c in week if c.plate is None][:5]
        assert bare, "the fleet has vehicles with no readable plate"
        for capture in plated + bare:
            read = feed.live_read(capture)
            assert read == feed.perfect_read(capture)
            assert read["plate"] == capture.plate
            assert read["captured_at"] == capture.captured_at.isoformat()
            # The lane and class the camera saw, in the form the door takes.
            sent = ReadIn.model_validate(read)
            assert (sent.lane, sent.vehicle_class) == (capture.lane, capture.vehicle_class.value)
    counts = feed.counts
    assert counts.live_captures == 25
    assert (counts.live_perfect, counts.live_no_plate) == (20, 5)
    assert counts.live_rendered == counts.live_read == counts.live_unread == 0


def _local(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp() - UZT


@pytest.mark.parametrize(
    ("moment", "infrared", "expected"),
    [
        ((2026, 12, 21, 12, 0), False, "day"),
        ((2026, 12, 21, 16, 30), False, "day"),
        ((2026, 12, 21, 17, 15), False, "dusk"),  # sunset in Tashkent about 17:00
        ((2026, 12, 21, 18, 0), False, "night"),
        ((2026, 12, 21, 18, 0), True, "night_ir"),
        ((2026, 12, 21, 7, 50), False, "dusk"),  # sunrise about 8:00
        ((2026, 6, 21, 6, 0), False, "day"),
        ((2026, 6, 21, 19, 30), False, "day"),
        ((2026, 6, 21, 19, 55), False, "dusk"),  # sunset about 20:00
        ((2026, 6, 21, 21, 0), False, "night"),
        ((2026, 6, 21, 3, 0), True, "night_ir"),
    ],
)
def test_the_light_follows_the_local_time_and_the_season(
    moment: tuple[int, int, int, int, int], infrared: bool, expected: str
) -> None:
    assert lighting_at(_local(*moment), UZT, TASHKENT, infrared) == expected


def test_the_render_budget_caps_renders_per_second() -> None:
    now = [0.0]
    budget = RenderBudget(2.0, burst=2.0, clock=lambda: now[0])
    taken = 0
    for _ in range(1000):  # 100 s, asked ten times a second
        taken += budget.take()
        now[0] += 0.1
    assert 199 <= taken <= 202
    idle = RenderBudget(0.0, clock=lambda: now[0])
    now[0] += 100
    assert not idle.take()
    with pytest.raises(ValueError, match="negative"):
        RenderBudget(-1.0)

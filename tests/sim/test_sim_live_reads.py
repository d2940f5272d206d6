"""What the simulated cameras send for a live capture, read or not."""

from __future__ import annotations

from datetime import date

import httpx

from platekeeper.sim.captures import Capture
from platekeeper.sim.feed import FeedState, SimFeed
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population


def test_without_recognition_live_captures_are_sent_as_perfect_reads(
    network: Network, population: Population, week: list[Capture]
) -> None:
    state = FeedState(None, 7, len(population), date(2026, 3, 2))
    with httpx.Client() as unused:  # nothing is posted here
        feed = SimFeed(network, population, state, {}, unused, recognizer=None)
        plated = [c for c in week if c.plate is not None][:20]
        bare = [c for c in week if c.plate is None][:5]
        assert bare, "the fleet has vehicles with no readable plate"
        for capture in plated + bare:
            read = feed.live_read(capture)
            assert read == feed.perfect_read(capture)
            assert read["plate"] == capture.plate
            assert read["captured_at"] == capture.captured_at.isoformat()
    counts = feed.counts
    assert counts.live_captures == 25
    assert (counts.live_read, counts.live_right, counts.live_no_plate) == (20, 20, 5)
    assert counts.live_unread == 0

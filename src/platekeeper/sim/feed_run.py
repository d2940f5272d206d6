"""The simulated network inside ``platekeeper serve --simulate`` (what
``make run`` starts): its cameras keyed in the server's store, and a
background thread that backfills the last hours and then feeds live
captures through the server's own HTTPS camera door.

After the backfill it names, on the terminal only, a commuter or two whose
journeys an investigator can search for: plates never go to the logs.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from platekeeper.sim.feed import LIVE_WINDOW_S, SimFeed
from platekeeper.sim.feed_setup import FeedState, https_client, issue_keys, register_network
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population

if TYPE_CHECKING:
    from platekeeper.config import Settings
    from platekeeper.ingest.camera_keys import CameraKeys, IssuedKey
    from platekeeper.store.cameras import CameraRepository

logger = logging.getLogger(__name__)


@dataclass
class SimWorld:
    """The simulated network, its fleet and the feed's saved progress."""

    network: Network
    population: Population
    state: FeedState

    @classmethod
    def load(cls, settings: Settings) -> SimWorld:
        sim = settings.sim
        network = Network.load(sim.network_file)
        state = FeedState.load(
            settings.data_dir / "sim" / "state.json", sim.seed, sim.vehicles, date.today()
        )
        population = Population.generate(network, sim.vehicles, sim.seed, reference=state.reference)
        return cls(network, population, state)


def _wait_for_server(client: httpx.Client, stop: threading.Event, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        stop.wait(0.5)
    return False


COMMUTERS_SHOWN = 2
SEARCH_WINDOW_S = 86400.0


def commuters_to_search(
    feed: SimFeed, start: float, end: float, n: int = COMMUTERS_SHOWN
) -> list[str]:
    """Lines naming the ``n`` commuters seen most in ``[start, end)``: from
    the feed's own backfill when that was the window, else counted afresh."""
    from platekeeper.sim.population import Behaviour

    population, network = feed.population, feed.network
    commuters = {
        v.id for v in population.vehicles if v.behaviour is Behaviour.COMMUTER and v.work_node
    }
    if feed.backfilled_window == (start, end):
        seen = Counter({k: c for k, c in feed.sightings.items() if k in commuters})
    else:
        seen = Counter(
            c.vehicle_id
            for c in feed.sim.captures(
                datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
            )
            if c.vehicle_id in commuters and c.plate is not None
        )
    hours = (end - start) / 3600
    lines = []
    for vehicle_id, times in seen.most_common(n):
        vehicle = population[vehicle_id]
        home = network.nodes[vehicle.home_node].name
        work = network.nodes[vehicle.work_node].name if vehicle.work_node else "?"
        lines.append(
            f"  {vehicle.display_plate}: commutes {home} - {work}, "
            f"seen {times} times in the last {hours:.0f} hours"
        )
    return lines


def _run(
    feed: SimFeed,
    stop: threading.Event,
    backfill_hours: float,
    announce: Callable[[str], None] | None,
) -> None:
    if not _wait_for_server(feed.client, stop):
        logger.error("simulated network: the server did not come up; nothing fed")
        return
    now = feed.clock()
    history = now - backfill_hours * 3600
    start = max(feed.state.fed_until, history)
    if now - start > LIVE_WINDOW_S:
        began = time.monotonic()
        sent = feed.backfill(start, now - LIVE_WINDOW_S)
        logger.info(
            "simulated network: %d past reads sent in %.0f s (%.0f hours of history)",
            sent,
            time.monotonic() - began,
            (now - start) / 3600,
        )
    if announce is not None and now - history > LIVE_WINDOW_S:
        # Stored by now, whether by this backfill or by the runs before it.
        lines = commuters_to_search(
            feed,
            history if start == history else max(history, now - SEARCH_WINDOW_S),
            now - LIVE_WINDOW_S,
        )
        if lines:
            announce("simulated network: commuters to search for (Journey):")
            for line in lines:
                announce(line)
    feed.run_live(stop)


def make_feed(
    settings: Settings,
    world: SimWorld,
    keys: dict[str, IssuedKey],
    client: httpx.Client,
    clock: Callable[[], float] = time.time,
) -> SimFeed:
    """The feed with its camera view and render budget as ``sim.*`` asks."""
    from platekeeper.recognition import Recognizer
    from platekeeper.sim.camera_view import CameraView, RenderBudget

    sim = settings.sim
    view = budget = None
    if sim.recognise:
        view = CameraView(
            world.network,
            world.population,
            Recognizer(settings.recognition),
            frame_width=sim.frame_width,
            seed=sim.seed,
        )
        budget = RenderBudget(sim.renders_per_second)
    return SimFeed(
        world.network,
        world.population,
        world.state,
        keys,
        client,
        view=view,
        budget=budget,
        clock=clock,
    )


@contextlib.contextmanager
def running_feed(
    settings: Settings,
    world: SimWorld,
    *,
    cameras: CameraRepository,
    keys: CameraKeys,
    base_url: str,
    certificate: Path | None,
    announce: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> Iterator[SimFeed]:
    """Register the network's cameras, key them, and feed the server at
    ``base_url`` from a background thread for as long as the context lasts.
    ``announce`` (the terminal, never a log) hears of commuters to search
    for; ``clock`` is the feed's time (the server's clock must agree)."""
    register_network(cameras, world.network)
    issued = issue_keys(keys, world.network)
    client = https_client(base_url, certificate)
    feed = make_feed(settings, world, issued, client, clock)
    stop = threading.Event()
    thread = threading.Thread(
        target=_run,
        args=(feed, stop, settings.sim.backfill_hours, announce),
        daemon=True,
        name="sim-feed",
    )
    thread.start()
    try:
        yield feed
    finally:
        stop.set()
        thread.join(timeout=15)
        client.close()

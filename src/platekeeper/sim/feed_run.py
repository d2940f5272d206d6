"""The simulated network inside ``platekeeper serve --simulate`` (what
``make run`` starts): its cameras keyed in the server's store, and a
background thread that backfills the last hours and then feeds live
captures through the server's own HTTPS camera door."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
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


def _run(feed: SimFeed, stop: threading.Event, backfill_hours: float) -> None:
    if not _wait_for_server(feed.client, stop):
        logger.error("simulated network: the server did not come up; nothing fed")
        return
    now = feed.clock()
    start = max(feed.state.fed_until, now - backfill_hours * 3600)
    if now - start > LIVE_WINDOW_S:
        began = time.monotonic()
        sent = feed.backfill(start, now - LIVE_WINDOW_S)
        logger.info(
            "simulated network: %d past reads sent in %.0f s (%.0f hours of history)",
            sent,
            time.monotonic() - began,
            (now - start) / 3600,
        )
    feed.run_live(stop)


def make_feed(
    settings: Settings,
    world: SimWorld,
    keys: dict[str, IssuedKey],
    client: httpx.Client,
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
) -> Iterator[SimFeed]:
    """Register the network's cameras, key them, and feed the server at
    ``base_url`` from a background thread for as long as the context lasts."""
    register_network(cameras, world.network)
    issued = issue_keys(keys, world.network)
    client = https_client(base_url, certificate)
    feed = make_feed(settings, world, issued, client)
    stop = threading.Event()
    thread = threading.Thread(
        target=_run, args=(feed, stop, settings.sim.backfill_hours), daemon=True, name="sim-feed"
    )
    thread.start()
    try:
        yield feed
    finally:
        stop.set()
        thread.join(timeout=15)
        client.close()

"""The simulated network inside ``platekeeper serve --simulate`` (what
``make run`` starts): its cameras keyed in the server's store, and
background threads that feed the server's own HTTPS camera door.

So that the live page, the review queue and a journey have something to
show within the first minute, the history goes in this order: the last
hour (its last minutes are on the live page at once); then, with the live
feed already running beside it, the whole history of a commuter or two,
whom the terminal then names (never the logs: they are plates) for a
journey search; then the rest of the history, oldest hour first. The
history thus reaches the rules after later reads, so the simulated road's
section rule waits for reads as long as the history spans
(:func:`history_lateness`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from platekeeper.sim.feed import LIVE_WINDOW_S, SimFeed
from platekeeper.sim.feed_setup import (
    FeedState,
    Window,
    https_client,
    issue_keys,
    register_network,
)
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population

if TYPE_CHECKING:
    from platekeeper.config import Settings
    from platekeeper.ingest.camera_keys import CameraKeys, IssuedKey
    from platekeeper.sim.population import Vehicle
    from platekeeper.sim.settings import SimSettings
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
RECENT_FIRST_S = 3600.0  # the history's last hour goes first
CHUNK_S = 3600.0  # the rest an hour at a time, progress saved after each
# How long the rest of the history may take to send (minutes on two cores
# for the demo's fleet): the section rule waits this much longer for it.
HISTORY_SENDING_S = 3600.0


def history_lateness(sim: SimSettings) -> float:
    """How far behind the live reads the demo's history reaches the rules."""
    return sim.backfill_hours * 3600 + HISTORY_SENDING_S


def commuters_seen(
    feed: SimFeed, start: float, end: float, n: int = COMMUTERS_SHOWN
) -> list[tuple[Vehicle, int]]:
    """The ``n`` commuters with the most readable captures in ``[start, end)``."""
    from platekeeper.sim.population import Behaviour

    population = feed.population
    commuters = {
        v.id for v in population.vehicles if v.behaviour is Behaviour.COMMUTER and v.work_node
    }
    seen = Counter(
        c.vehicle_id
        for c in feed.sim.captures(
            datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
        )
        if c.vehicle_id in commuters and c.plate is not None
    )
    return [(population[vid], times) for vid, times in seen.most_common(n)]


def commuter_lines(
    network: Network, seen: Sequence[tuple[Vehicle, int]], hours: float
) -> list[str]:
    """The terminal's lines naming commuters to search for."""
    lines = []
    for vehicle, times in seen:
        home = network.nodes[vehicle.home_node].name
        work = network.nodes[vehicle.work_node].name if vehicle.work_node else "?"
        lines.append(
            f"  {vehicle.display_plate}: commutes {home} - {work}, "
            f"seen {times} times in the last {hours:.0f} hours"
        )
    return lines


def _chunks(windows: Sequence[Window]) -> Iterator[Window]:
    for start, end in sorted(windows):
        at = start
        while at < end:
            yield at, min(at + CHUNK_S, end)
            at += CHUNK_S


def _send_history(
    feed: SimFeed, backlog: list[Window], skip: set[int], stop: threading.Event
) -> None:
    """The backlog an hour at a time, oldest first; what is left is saved
    after each hour, so that a restart sends only that (and the few reads
    that still waited in part-full batches)."""
    began = time.monotonic()
    left = sorted(backlog)

    def answered_before(resume: float) -> None:
        nonlocal left
        left = [(max(a, resume), b) for a, b in left if b > resume]
        feed.state.set_backlog(left)

    sent = feed.backfill_windows(_chunks(backlog), stop=stop, skip=skip, progress=answered_before)
    if stop.is_set():
        return
    feed.state.set_backlog([])
    logger.info(
        "simulated network: %d earlier reads sent in %.0f s", sent, time.monotonic() - began
    )


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
    live_from = now - LIVE_WINDOW_S
    history = now - backfill_hours * 3600
    start = max(feed.state.fed_until, history)
    # What an earlier run left unsent, then what this one must send.
    backlog = [(max(a, history), b) for a, b in feed.state.backlog if b > history]
    if start < live_from:
        recent = max(start, live_from - RECENT_FIRST_S)
        if recent > start:
            backlog.append((start, recent))
        feed.state.set_backlog(backlog)
        began = time.monotonic()
        sent = feed.backfill(recent, live_from, stop=stop)
        logger.info(
            "simulated network: %d reads of the last %.0f minutes sent in %.1f s",
            sent,
            (live_from - recent) / 60,
            time.monotonic() - began,
        )
    live = threading.Thread(target=feed.run_live, args=(stop,), daemon=True, name="sim-live")
    live.start()
    named: set[int] = set()
    if announce is not None and live_from - history > LIVE_WINDOW_S and not stop.is_set():
        seen = commuters_seen(feed, history, live_from)
        named = {vehicle.id for vehicle, _ in seen}
        # Their whole history first, so that a journey search shows it now.
        for start, end in backlog:
            feed.backfill(start, end, stop=stop, vehicles=named)
        lines = commuter_lines(feed.network, seen, (live_from - history) / 3600)
        if lines and not stop.is_set():
            announce("simulated network: commuters to search for (Journey):")
            for line in lines:
                announce(line)
    if backlog and not stop.is_set():
        _send_history(feed, backlog, named, stop)
    live.join()


def make_feed(
    settings: Settings,
    world: SimWorld,
    keys: dict[str, IssuedKey],
    client: httpx.Client,
    clock: Callable[[], float] = time.time,
) -> SimFeed:
    """The feed with its camera view and render and clip budgets as ``sim.*`` asks."""
    from platekeeper.recognition import Recognizer
    from platekeeper.sim.camera_view import CameraView, RenderBudget

    sim = settings.sim
    view = budget = clips = None
    if sim.recognise:
        view = CameraView(
            world.network,
            world.population,
            Recognizer(settings.recognition),
            frame_width=sim.frame_width,
            seed=sim.seed,
        )
        budget = RenderBudget(sim.renders_per_second)
        clips = RenderBudget(sim.clips_per_second)
    return SimFeed(
        world.network,
        world.population,
        world.state,
        keys,
        client,
        view=view,
        budget=budget,
        clips=clips,
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

"""``platekeeper sim --server``: the simulated network's cameras feeding a
running server from outside, live, in accelerated time or at a fixed rate.

A server refuses captures from its future, so every simulated window ends
no later than the moment its last capture is sent:

- **live** (``--speed 1``): the captures of the next ``--duration``, each
  sent at its own time;
- **accelerated** (``--speed X``): ``X`` × ``--duration`` of simulated time
  that ends when the run does, so it starts that long in the past; its
  captures go out ``X`` times faster than they happened, keep their own
  times, and the simulated clock catches up with the real one at the end;
- **load test** (``--rate N``): the captures of the last week in time
  order at ``N`` a second, whatever their times, for ``--duration``.

``--backfill-hours`` first sends the hours before the window at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from platekeeper.commands.context import fail

if TYPE_CHECKING:
    from platekeeper.sim.camera_view import CameraView, RenderBudget
    from platekeeper.sim.feed import Due, SimFeed
    from platekeeper.sim.network import Network
    from platekeeper.sim.population import Population

RATE_HISTORY_S = 7 * 86400.0


@dataclass(frozen=True)
class ServerRun:
    """What ``sim --server`` was asked to do."""

    server: str
    keys: Path | None
    ca: Path | None
    cameras: Path | None
    vehicles: int
    seed: int
    span: float
    backfill_hours: float
    recognise: bool
    speed: float
    rate: float | None
    frame_width: int
    renders_per_second: float
    clips_per_second: float
    senders: int = 1

    def check(self) -> None:
        """Refuse what cannot work, with the reason."""
        if not self.server.startswith("https://"):
            fail("--server must be an https:// address")
        if self.keys is None:
            fail("--server needs --keys (from `platekeeper camera provision-network`)")
        if self.rate is not None and self.speed != 1.0:
            fail("--rate and --speed exclude each other: a load test ignores the simulated clock")
        if self.rate is not None and self.backfill_hours:
            fail("--rate sends the captures of the last week itself; leave out --backfill-hours")
        if self.rate is None and self.speed < 1.0:
            fail(
                "--speed must be at least 1 with --server: a slower clock would send "
                "captures from the server's future"
            )
        if not 320 <= self.frame_width <= 16384:
            fail("--frame-width must be between 320 and 16384")


def feed_server(run: ServerRun) -> None:
    """Act as the network's cameras against ``run.server``."""
    from platekeeper.sim.feed import SimFeed
    from platekeeper.sim.feed_setup import FeedState, https_client
    from platekeeper.sim.keyfile import KeyFileError, read_keys
    from platekeeper.sim.network import Network
    from platekeeper.sim.network_load import NetworkError
    from platekeeper.sim.population import Population

    run.check()
    assert run.keys is not None
    try:
        network = Network.load(run.cameras)
        issued = read_keys(run.keys)
    except (NetworkError, KeyFileError) as exc:
        fail(str(exc))
        return
    missing = [b.camera_id for b in network.bank_list if b.camera_id not in issued]
    if missing:
        fail(f"{len(missing)} cameras of the network have no key, e.g. {missing[0]}")
    population = Population.generate(network, run.vehicles, run.seed, reference=date.today())
    view, budget, clips = _camera_view(run, network, population)
    state = FeedState(None, run.seed, run.vehicles, date.today())
    with https_client(run.server.rstrip("/"), run.ca) as client:
        feed = SimFeed(
            network,
            population,
            state,
            issued,
            client,
            view=view,
            budget=budget,
            clips=clips,
            senders=run.senders,
        )
        try:
            took = _feed(feed, run)
        finally:
            feed.close()
    _report(feed, took)


def _window(run: ServerRun, now: float) -> tuple[float, float]:
    """The simulated window to send, ending no later than the run."""
    if run.rate is not None:
        return now - RATE_HISTORY_S, now
    end = now + run.span
    return end - run.speed * run.span, end


def _due(run: ServerRun, start: float, began: float) -> Due:
    """When each capture is due on the real clock."""
    if run.rate is not None:
        rate = run.rate
        return lambda n, _capture: began + n / rate
    speed = run.speed
    # The window was placed before the backfill and due times count from
    # after it, so every capture is due after its own time.
    return lambda _n, capture: began + (capture.ts - start) / speed


def _feed(feed: SimFeed, run: ServerRun) -> float:
    """Backfill if asked, then send the window; the seconds the window took."""
    start, end = _window(run, time.time())
    if run.backfill_hours:
        sent = feed.backfill(start - run.backfill_hours * 3600, start)
        typer.echo(f"backfill: {sent} reads of the {run.backfill_hours:g} hours before sent")
    stop = threading.Event()
    # A load test ends after --duration; a paced window ends with its captures.
    timer = threading.Timer(run.span, stop.set) if run.rate is not None else None
    began = time.time()
    if timer is not None:
        timer.start()
    try:
        feed.feed_window(start, end, stop, _due(run, start, began))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    finally:
        if timer is not None:
            timer.cancel()
    return time.time() - began


def _camera_view(
    run: ServerRun, network: Network, population: Population
) -> tuple[CameraView | None, RenderBudget | None, RenderBudget | None]:
    if not run.recognise:
        return None, None, None
    from platekeeper.recognition import Recognizer
    from platekeeper.sim.camera_view import CameraView, RenderBudget

    view = CameraView(
        network,
        population,
        Recognizer(),
        frame_width=run.frame_width,
        seed=run.seed,
    )
    return view, RenderBudget(run.renders_per_second), RenderBudget(run.clips_per_second)


def _report(feed: SimFeed, took: float) -> None:
    counts = feed.counts
    typer.echo(
        f"fed: {counts.live_captures} captures in {took:.0f} s "
        f"({counts.live_captures / max(took, 1e-9):.1f}/s); stored {counts.stored}, "
        f"{counts.duplicates} already there, {counts.refused} refused by the server"
    )
    typer.echo(
        f"  {counts.live_rendered} rendered and read by the engine: {counts.live_read} read "
        f"({counts.live_right} right), {counts.live_unread} unreadable; "
        f"{counts.live_perfect} sent as perfect reads; {counts.live_no_plate} with no plate"
    )
    if counts.filmed:
        typer.echo(
            f"  {counts.filmed} junction passes filmed, {counts.stills} on red "
            "with stills of their stop-line track"
        )
    if counts.refused:
        for error in counts.errors[:3]:
            typer.echo(f"  refused: {error}", err=True)
        raise typer.Exit(1)

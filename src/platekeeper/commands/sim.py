"""``platekeeper sim``: the simulated national camera network.

It writes the capture stream as JSON lines (one capture each, with its
ground truth) or, with ``--summary``, counts per bank and per violation; it
can also export the simulated registry and hotlist as CSV. The stream is
paced in (accelerated) simulated time, or at a fixed rate for a load test.
With ``--server`` the network's cameras feed a running server instead
(:mod:`platekeeper.commands.sim_server`).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platekeeper.commands.context import fail

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from platekeeper.sim.captures import Capture
    from platekeeper.sim.network import Bank
    from platekeeper.sim.population import Population

MAX_DURATION_S = 366 * 86400.0


def _start_time(text: str) -> datetime:
    if text == "now":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--start: not an ISO 8601 date and time: {text!r}")
        raise  # unreachable: fail() exits
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sim(  # noqa: PLR0917 (one parameter per command-line option)
    cameras: Annotated[
        Path | None,
        typer.Option(
            "--cameras",
            help="Camera network file (YAML or JSON); the bundled Uzbek network by default.",
            dir_okay=False,
        ),
    ] = None,
    vehicles: Annotated[
        int,
        typer.Option(
            "--vehicles",
            min=1,
            max=999_999,
            help="Size of the simulated fleet (30,000: about 3,000 captures per bank per day, "
            "the seed system's load).",
        ),
    ] = 30_000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same fleet and captures.")] = 0,
    start: Annotated[
        str, typer.Option("--start", help="Simulated start, ISO 8601 (UTC if no offset), or now.")
    ] = "now",
    duration: Annotated[
        str, typer.Option("--duration", help="Simulated time to cover: 90s, 15m, 2h, 7d.")
    ] = "1h",
    speed: Annotated[
        float,
        typer.Option(
            "--speed",
            min=0.0,
            help="Simulated seconds per real second (1: real time; 0: as fast as possible; "
            "with --server at least 1).",
        ),
    ] = 1.0,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate", min=0.001, help="Captures per real second whatever their time (load test)."
        ),
    ] = None,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary", help="Count captures per bank and per violation instead (not paced)."
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the JSON lines here instead of stdout."),
    ] = None,
    registry_csv: Annotated[
        Path | None, typer.Option("--registry-csv", help="Also export the registry as CSV.")
    ] = None,
    hotlist_csv: Annotated[
        Path | None, typer.Option("--hotlist-csv", help="Also export the hotlist as CSV.")
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            help="Feed a platekeeper server (https://host:port) through its camera door "
            "instead of writing JSON lines; needs --keys.",
        ),
    ] = None,
    keys: Annotated[
        Path | None,
        typer.Option("--keys", help="Key file from `platekeeper camera provision-network`."),
    ] = None,
    ca: Annotated[
        Path | None,
        typer.Option("--ca", help="PEM certificate to trust for --server (its self-signed one)."),
    ] = None,
    backfill_hours: Annotated[
        float,
        typer.Option(
            "--backfill-hours",
            min=0.0,
            max=24 * 31.0,
            help="With --server: first send the captures of the last hours at once.",
        ),
    ] = 0.0,
    recognise: Annotated[
        bool,
        typer.Option(
            "--recognise/--no-recognise",
            help="With --server: render captures as camera frames and read them with the engine.",
        ),
    ] = True,
    frame_width: Annotated[
        int,
        typer.Option(
            "--frame-width", help="With --server: rendered frame width in pixels (3840: 4K)."
        ),
    ] = 1280,
    renders_per_second: Annotated[
        float,
        typer.Option(
            "--renders-per-second",
            min=0.0,
            help="With --server: at most this many captures a second are rendered and read; "
            "the others are sent as perfect reads.",
        ),
    ] = 0.5,
    clips_per_second: Annotated[
        float,
        typer.Option(
            "--clips-per-second",
            min=0.0,
            help="With --server: rendered junction captures that crossed on red come with a "
            "2 s clip and stills of their stop-line track; at most this many others a second "
            "with a clip.",
        ),
    ] = 0.1,
    senders: Annotated[
        int,
        typer.Option(
            "--senders",
            min=1,
            max=64,
            help="With --server: post from this many threads, each for a fixed group of cameras.",
        ),
    ] = 1,
) -> None:
    """Simulate the national camera network and stream its captures."""
    from platekeeper.commands.sim_server import ServerRun, feed_server
    from platekeeper.sim.network import Network
    from platekeeper.sim.network_load import NetworkError
    from platekeeper.sim.population import Population
    from platekeeper.sim.simulator import TripSimulator

    span = _duration(duration)
    if server is not None:
        feed_server(
            ServerRun(
                server, keys, ca, cameras, vehicles, seed, span, backfill_hours, recognise,
                speed, rate, frame_width, renders_per_second, clips_per_second, senders,
            )
        )  # fmt: skip
        return
    begin = _start_time(start)
    try:
        network = Network.load(cameras)
    except NetworkError as exc:
        fail(str(exc))
        return
    population = Population.generate(network, vehicles, seed, reference=begin.date())
    _export(population, registry_csv, hotlist_csv)
    stream = TripSimulator(network, population, seed).captures(
        begin, begin + timedelta(seconds=span)
    )
    if summary:
        _summarise(stream, network.banks, span)
    else:
        _write(stream, output, begin.timestamp(), speed, rate)


def _duration(text: str) -> float:
    from platekeeper.sim.pacing import parse_duration

    try:
        span = parse_duration(text)
    except ValueError as exc:
        fail(f"--duration: {exc}")
        raise  # unreachable: fail() exits
    if not 0 < span <= MAX_DURATION_S:
        fail("--duration must be more than 0 and at most 366 days")
    return span


def _export(population: Population, registry: Path | None, hotlist: Path | None) -> None:
    from platekeeper.sim.registry import write_hotlist_csv, write_registry_csv

    try:
        if registry is not None:
            with registry.open("w", encoding="utf-8", newline="") as handle:
                write_registry_csv(population.registry_rows(), handle)
        if hotlist is not None:
            with hotlist.open("w", encoding="utf-8", newline="") as handle:
                write_hotlist_csv(population.hotlist, handle)
    except OSError as exc:
        fail(f"cannot write {exc.filename}: {exc.strerror}")


def _write(
    stream: Iterable[Capture], output: Path | None, origin: float, speed: float, rate: float | None
) -> None:
    from platekeeper.sim.pacing import paced

    live = bool(speed or rate)
    try:
        with output.open("w", encoding="utf-8") if output else nullcontext(sys.stdout) as out:
            for capture in paced(stream, origin_ts=origin, speed=speed, rate=rate):
                out.write(json.dumps(capture.to_dict(), separators=(",", ":")) + "\n")
                if live:
                    out.flush()
    except OSError as exc:
        fail(f"cannot write {output or 'stdout'}: {exc.strerror}")
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _summarise(stream: Iterable[Capture], banks: Mapping[str, Bank], span: float) -> None:
    from platekeeper.sim.captures import Violation

    per_bank: Counter[str] = Counter()
    per_violation: Counter[Violation] = Counter()
    vehicles: set[int] = set()
    began = time.perf_counter()
    total = 0
    for capture in stream:
        total += 1
        per_bank[capture.bank_id] += 1
        per_violation.update(capture.violations)
        vehicles.add(capture.vehicle_id)
    took = time.perf_counter() - began
    typer.echo(
        f"{total} captures of {len(vehicles)} vehicles in {span / 3600:g} simulated hours "
        f"({total / max(took, 1e-9):,.0f} captures/s generated)"
    )
    typer.echo("\nper violation:")
    for kind in Violation:
        typer.echo(f"  {kind.value:<15} {per_violation[kind]:>9}")
    typer.echo("\nper bank:")
    for bank_id in banks:
        typer.echo(f"  {bank_id:<32} {per_bank[bank_id]:>9}")

"""The simulated national network end to end against a real server: signed
HTTPS batches into ingest, the encrypted store and the rules pipeline.

    .venv/bin/python bench/sim_e2e.py [--vehicles 30000] [--hours 8] [--rendered 100] \
        [--fast-seconds 60] [--frame-width 1280] [--seed 1] [--senders 1]

A fresh installation in a temporary directory (init, the network's cameras
provisioned with `platekeeper camera provision-network`), served by a child
process composed as `platekeeper serve --simulate` composes it (camera door,
store, rules pipeline with the simulated road's registry, hotlist and signal
rules) but without its own feed; this process is the network's cameras and
junction controllers, posting from ``--senders`` threads (each for a fixed
group of cameras). Both share the machine's cores. Three runs:

1. render excluded: the captures of the last ``--hours`` (less a quarter of
   an hour), generated beforehand, as perfect reads with the junction
   controllers' phases, sent as fast as the server takes them; captures per
   second from the first batch until the rules pipeline has checked the last
   read;
2. render included: ``--rendered`` captures spread over the day before run
   1's hours, each drawn as its camera's frame under the light of its local
   time, read by the recognition engine here and sent with frame and crop;
   recognition accuracy by lighting;
3. 10x real time: ``--fast-seconds`` of real time carrying ten times that
   of simulated traffic ending now, at its own pace.

Prints the server's CPU (cores busy) and peak memory per run, the rules'
precision and recall per violation type against the simulator's ground
truth (perfect reads; a section speeding counts only when its entry capture
was sent too), and whether the seed system's load (the fleet's busiest hour
of a simulated day, times ten) fits under the rate sustained in run 1.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# -- the server (child process) ------------------------------------------------


def child(status_path: Path) -> None:
    """``serve --simulate`` without its feed, writing its progress to a file."""
    import uvicorn

    from platekeeper.commands.rules_stack import running_rules, signals_of
    from platekeeper.commands.webstack import (
        open_database,
        open_services,
        open_store_if_initialised,
    )
    from platekeeper.config import load_settings
    from platekeeper.ingest.wiring import running_door
    from platekeeper.sim.feed_run import SimWorld
    from platekeeper.sim.rules_setup import engine_for
    from platekeeper.web.app import create_app
    from platekeeper.web.tls import ensure_tls_certificate

    settings = load_settings(None)
    db = open_database(settings)
    store = open_store_if_initialised(settings)
    assert store is not None
    world = SimWorld.load(settings)
    engine = engine_for(world.network, world.population, signals_of(settings, store))
    with (
        running_door(settings, store) as door,
        running_rules(store, engine, None) as pipeline,
    ):
        services = open_services(settings, db, ingest=door, store=store, alerts=None)
        app = create_app(settings, services)
        tls = ensure_tls_certificate(settings.data_dir)

        def report() -> None:
            while True:
                usage = resource.getrusage(resource.RUSAGE_SELF)
                status = {
                    "processed": pipeline.processed,
                    "findings": pipeline.findings,
                    "cpu_s": usage.ru_utime + usage.ru_stime,
                    "peak_rss_mib": usage.ru_maxrss / 1024,
                }
                tmp = status_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(status))
                tmp.replace(status_path)
                time.sleep(0.2)

        threading.Thread(target=report, daemon=True).start()
        uvicorn.run(
            app,
            host="127.0.0.1",
            port=settings.web.port,
            log_level="warning",
            ssl_certfile=str(tls.certificate),
            ssl_keyfile=str(tls.private_key),
        )


# -- the cameras (this process) ------------------------------------------------


class Server:
    """The child server: its progress, CPU and memory."""

    def __init__(self, status_path: Path, process: subprocess.Popen[bytes]) -> None:
        self.path = status_path
        self.process = process

    def status(self) -> dict[str, float]:
        while True:
            try:
                return dict(json.loads(self.path.read_text()))
            except (OSError, ValueError):
                if self.process.poll() is not None:
                    raise SystemExit("the server stopped") from None
                time.sleep(0.1)

    def caught_up(self, stored: int, timeout_s: float = 600) -> float:
        """Wait until the pipeline has checked ``stored`` reads; the time then."""
        deadline = time.monotonic() + timeout_s
        while self.status()["processed"] < stored:
            if time.monotonic() > deadline:
                raise SystemExit("the rules pipeline did not catch up")
            time.sleep(0.05)
        return time.time()


class Watched:
    """The camera view, remembering what each rendered capture came to."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.outcomes: list[tuple[str, bool, bool]] = []  # lighting, read, right

    def read(self, capture: Any) -> Any:
        seen = self.view.read(capture)
        self.outcomes.append((seen.lighting, seen.plate is not None, seen.right))
        return seen


def _us(capture: Any) -> int:
    return int((capture.captured_at - EPOCH) // timedelta(microseconds=1))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _setup(args: argparse.Namespace, data: Path) -> tuple[dict[str, str], Path]:
    from platekeeper.commands.demo import prepare
    from platekeeper.config import Settings

    env = {
        **os.environ,
        "PLATEKEEPER_DATA_DIR": str(data),
        "PLATEKEEPER_WEB__PORT": str(_free_port()),
        "PLATEKEEPER_SIM__VEHICLES": str(args.vehicles),
        "PLATEKEEPER_SIM__SEED": str(args.seed),
    }
    env.pop("PLATEKEEPER_MASTER_KEY", None)
    prepare(Settings(data_dir=data), lambda _line: None)  # init and the first admin
    keys = data / "sim-keys.json"
    cli = Path(sys.executable).with_name("platekeeper")
    subprocess.run(
        [str(cli), "camera", "provision-network", "--keys-out", str(keys)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return env, keys


def _violations(db: Path) -> set[tuple[str, str, int]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT v.offence, c.code, r.captured_at FROM violations v "
            "JOIN reads r ON r.id = v.read_id JOIN cameras c ON c.id = r.camera_id"
        ).fetchall()
    return {(str(o), str(c), int(t)) for o, c, t in rows}


def _truth(captures: list[Any]) -> set[tuple[str, str, int]]:
    sent = {c.id for c in captures}
    return {
        (v.value, c.camera_id, _us(c))
        for c in captures
        for v in c.violations
        if v.value != "section_speed" or (c.section and c.section.entry_capture_id in sent)
    }


def _load(simulator: Any, day: datetime, banks: int) -> tuple[float, float, float]:
    """Captures per bank per day, and the busiest hour's captures per second."""
    per_hour: Counter[int] = Counter()
    total = 0
    for capture in simulator.captures(day, day + timedelta(days=1)):
        per_hour[int((capture.ts - day.timestamp()) // 3600)] += 1
        total += 1
    return total / banks, total / 86400, max(per_hour.values()) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--vehicles", type=int, default=30_000)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--rendered", type=int, default=100)
    parser.add_argument("--fast-seconds", type=float, default=60.0)
    parser.add_argument("--frame-width", type=int, default=1280)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--senders", type=int, default=1)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    from platekeeper.recognition import Recognizer
    from platekeeper.sim.camera_view import CameraView
    from platekeeper.sim.feed import SimFeed
    from platekeeper.sim.feed_setup import FeedState, https_client
    from platekeeper.sim.keyfile import read_keys
    from platekeeper.sim.network import Network
    from platekeeper.sim.population import Population

    data = Path(tempfile.mkdtemp(prefix="pk-sim-e2e-"))
    env, keys_file = _setup(args, data)
    status_path = data / "server-status.json"
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(status_path)], env=env, cwd=data
    )
    server = Server(status_path, process)
    network = Network.load()
    population = Population.generate(network, args.vehicles, args.seed, reference=date.today())
    state = FeedState(None, args.seed, args.vehicles, date.today())
    url = f"https://127.0.0.1:{env['PLATEKEEPER_WEB__PORT']}"
    client = https_client(url, data / "tls" / "cert.pem")
    for _ in range(300):
        try:
            if client.get("/healthz").status_code == 200:
                break
        except httpx.HTTPError:  # not up yet
            time.sleep(0.2)
    feed = SimFeed(network, population, state, read_keys(keys_file), client, senders=args.senders)
    sim = feed.sim
    now = time.time()
    day = datetime.fromtimestamp(sim.day_start(sim.day_index(now) - 1), UTC)
    per_bank, mean_rate, peak_rate = _load(sim, day, len(network.bank_list))
    print(
        f"fleet {args.vehicles:,} vehicles, {len(network.bank_list)} banks: "
        f"{per_bank:,.0f} captures per bank per day; {mean_rate:.1f} captures/s on average, "
        f"{peak_rate:.1f}/s in the busiest hour (10x: {10 * peak_rate:.0f}/s); "
        f"{args.senders} sender thread(s)"
    )
    never = threading.Event()
    sent: list[Any] = []
    runs: dict[str, float] = {}

    def measured(name: str, count: int, began: float, cpu0: float) -> float:
        done = server.caught_up(feed.counts.stored)
        status = server.status()
        wall = done - began
        rate = count / wall
        runs[name] = rate
        print(
            f"  {count:,} captures in {wall:.1f} s: {rate:,.1f} captures/s end to end; "
            f"server CPU {(status['cpu_s'] - cpu0) / wall:.2f} cores, "
            f"peak memory {status['peak_rss_mib']:,.0f} MiB"
        )
        return rate

    # 1. Render excluded.
    start, end = now - args.hours * 3600, now - 900
    print(f"1. render excluded: {args.hours:g} simulated hours as fast as they go")
    # Generated beforehand: the figure is the door's, the store's and the
    # rules', not the simulator's (which run 3 and the line above include).
    kept = list(sim.captures(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)))
    cpu0, began = server.status()["cpu_s"], time.time()
    feed.feed_captures(kept, start, end, never, lambda _n, _c: 0.0)
    measured("perfect", len(kept), began, cpu0)
    sent += kept

    # 2. Render included: captures spread over the day before run 1's hours,
    # so that they meet day, dusk and night.
    print(f"2. render included: {args.rendered} captures drawn at {args.frame_width} px and read")
    watched = Watched(
        CameraView(network, population, Recognizer(), frame_width=args.frame_width, seed=args.seed)
    )
    feed.view = watched  # type: ignore[assignment]
    enough = threading.Event()
    stride = max(1, int(mean_rate * 86400 * 0.9 / args.rendered))
    rendered: list[Any] = []

    def due2(n: int, _c: Any) -> float:
        if n >= args.rendered:
            enough.set()
        return 0.0

    plated = [0]

    def run2(c: Any) -> bool:
        if c.plate is None:
            return False
        plated[0] += 1
        chosen = plated[0] % stride == 0
        if chosen and len(rendered) < args.rendered:
            rendered.append(c)
        return chosen

    watched.view.read(next(c for c in kept if c.plate))  # the engine's models load here
    watched.outcomes.clear()
    cpu0, began = server.status()["cpu_s"], time.time()
    feed.feed_window(start - 86400, start, enough, due2, only=run2)
    measured("rendered", len(rendered), began, cpu0)
    by_light: dict[str, Counter[str]] = defaultdict(Counter)
    for light, found, right in watched.outcomes:
        by_light[light].update(n=1, read=found, right=right)
    total = Counter[str]()
    for light in sorted(by_light):
        c = by_light[light]
        total.update(c)
        print(f"    {light:9s} {c['n']:4d} rendered, {c['read']:4d} read, {c['right']:4d} right")
    print(f"    accuracy: {total['right'] / max(1, total['n']):.1%} exactly right")
    feed.view = None

    # 3. Ten times real time, ending now.
    span = args.fast_seconds
    print(f"3. 10x real time: {span:g} s carrying {10 * span / 60:.0f} simulated minutes")
    fast: list[Any] = []
    t0 = time.time()
    end3 = t0 + span
    start3 = end3 - 10 * span
    cpu0 = server.status()["cpu_s"]
    feed.feed_window(
        start3,
        end3,
        never,
        lambda _n, c: t0 + (c.ts - start3) / 10,
        only=lambda c: fast.append(c) is None,
    )
    finished = time.time()
    done = server.caught_up(feed.counts.stored)
    status = server.status()
    print(
        f"  {len(fast):,} captures ({len(fast) / span:.1f}/s); sending ended "
        f"{finished - end3:+.1f} s from the window's end, the rules caught up "
        f"{done - finished:.1f} s later; server CPU {(status['cpu_s'] - cpu0) / (done - t0):.2f} "
        f"cores, peak memory {status['peak_rss_mib']:,.0f} MiB"
    )
    sent += fast

    # Violations against the truth (perfect reads of runs 1 and 3).
    time.sleep(2)  # the last tick of time-based rules
    got = _violations(data / "platekeeper.db")
    truth = _truth(sent)
    print("violations (perfect reads of runs 1 and 3):")
    print(f"    {'type':14s} {'truth':>6s} {'raised':>6s} {'right':>6s} precision recall")
    sent_keys = {(c.camera_id, _us(c)) for c in sent}
    raised = {v for v in got if (v[1], v[2]) in sent_keys}
    for kind in sorted({v[0] for v in truth | raised}):
        t = {v for v in truth if v[0] == kind}
        g = {v for v in raised if v[0] == kind}
        hit = len(t & g)
        print(
            f"    {kind:14s} {len(t):6d} {len(g):6d} {hit:6d} "
            f"{hit / max(1, len(g)):9.3f} {hit / max(1, len(t)):6.3f}"
        )
    r_keys = {(c.camera_id, _us(c)) for c in rendered}
    r_truth = _truth(rendered)
    r_got = {v for v in got if (v[1], v[2]) in r_keys}
    print(
        f"    rendered captures (run 2): truth {len(r_truth)}, raised {len(r_got)}, "
        f"right {len(r_truth & r_got)}"
    )
    need = 10 * peak_rate
    verdict = "runs" if runs["perfect"] >= need and finished - end3 < 5 else "does not run"
    print(
        f"seed system load at 10x real time: needs {need:.0f} captures/s in the busiest hour; "
        f"sustained {runs['perfect']:,.0f}/s: {verdict} at 10x on this machine "
        f"(rendering every capture: {runs['rendered']:.1f}/s)"
    )
    print(f"refused by the server: {feed.counts.refused}")
    feed.close()
    client.close()
    process.terminate()
    process.wait(timeout=30)
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()

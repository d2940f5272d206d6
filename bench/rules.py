"""Rules throughput and alert latency.

    .venv/bin/python bench/rules.py [--reads 200000] [--rate 2000] [--seconds 10]

Part 1, throughput: reads per second through every built-in rule at once —
hotlist (100,000 entries, 1 % of them wildcards), registry status (200,000
records), section speed (1,000 camera pairs), red light (200 signalled
approaches with a live phase feed), time-window bans in every zone, no
plate — over a synthetic stream in which each vehicle passes a section's
entry and then its exit camera. One process, one thread.

Part 2, alert latency from engine-in to alert-out: reads are fed at
``--rate`` per second, of which about 1 in 200 is a hotlist hit; for each
alert the time from handing its read to the rules worker until it arrives
(a) in a dashboard stream's asyncio queue, (b) at a webhook receiver on
loopback, (c) at an MQTT subscriber through Mosquitto (when it runs).
What it does not include yet is ingest (signature check, queue, store) in
front of the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import string
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.model import Alert
from platekeeper.alerts.sse import alert_events
from platekeeper.alerts.webhook import MemoryDeadLetters, WebhookDispatcher, WebhookTarget
from platekeeper.rules import (
    CameraDirectory,
    CameraSite,
    EvidenceRef,
    HotlistEntry,
    MemoryRegistry,
    MemorySignalTimeline,
    Phase,
    ReadEvent,
    RegistryRecord,
    RegistryStatus,
    RuleContext,
    RulesEngine,
    RulesSettings,
    TrackPoint,
)
from platekeeper.rules.recent import RecentReadsBuffer
from platekeeper.rules.worker import MemoryFindingSink, RulesWorker

PAIRS = 1000
JUNCTIONS = 200
HOTLIST = 100_000
REGISTRY = 200_000
FLEET = 300_000
T0 = 1_772_427_600.0  # 2 March 2026, 10:00 in Tashkent
CYCLE = (40.0, 3.0, 47.0)


def plate(rng: random.Random) -> str:
    region = rng.choice(["01", "10", "20", "25", "30", "40", "50", "60", "70", "75", "80", "90"])
    letters = string.ascii_uppercase
    a, b, c = rng.choice(letters), rng.choice(letters), rng.choice(letters)
    return f"{region}{a}{rng.randrange(1000):03d}{b}{c}"


class World:
    def __init__(self, seed: int = 1) -> None:
        rng = random.Random(seed)
        self.rng = rng
        fleet: set[str] = set()
        while len(fleet) < FLEET:
            fleet.add(plate(rng))
        self.fleet = sorted(fleet)
        zones = [f"city-{k}" for k in range(12)]
        sites = []
        for k in range(PAIRS):
            for end in ("a", "b"):
                sites.append(
                    CameraSite(f"s{k}{end}", region=f"r{k % 14}", zones=frozenset({zones[k % 12]}))
                )
        for k in range(JUNCTIONS):
            sites.append(CameraSite(f"j{k}", region=f"r{k % 14}", zones=frozenset({zones[k % 12]})))
        self.cameras = CameraDirectory(sites)
        statuses = [RegistryStatus.EXPIRED, RegistryStatus.UNREGISTERED, RegistryStatus.STOLEN]
        records = []
        for i, p in enumerate(self.fleet[:REGISTRY]):
            status = statuses[i % 3] if i % 50 == 0 else RegistryStatus.REGISTERED
            vclass = "truck" if i % 10 == 0 else "car"
            records.append(RegistryRecord(p, status, "UZ", vehicle_class=vclass))
        self.registry = MemoryRegistry(records)
        # Most wanted plates are rarely seen; a few hundred are in the fleet.
        self.hotlist: list[HotlistEntry] = []
        wanted = set(rng.sample(self.fleet, 300))
        while len(wanted) < HOTLIST - HOTLIST // 100:
            wanted.add(plate(rng))
        for i, p in enumerate(sorted(wanted)):
            self.hotlist.append(HotlistEntry(f"h{i}", "wanted", p))
        for i in range(HOTLIST // 100):
            p = rng.choice(self.fleet)
            pattern = [p[:6] + "??", p[:5] + "*", "*" + p[-5:]][i % 3]
            self.hotlist.append(HotlistEntry(f"w{i}", "bolo", pattern, expires=T0 + 86400 * 30))
        self.distances = [rng.uniform(2000, 20000) for _ in range(PAIRS)]

    def settings(self) -> RulesSettings:
        sections = [
            {
                "id": f"sec-{k}",
                "entry": f"s{k}a",
                "exit": f"s{k}b",
                "distance_m": round(self.distances[k], 1),
                "limit_kmh": 90,
                "class_limits": {"truck": 70},
            }
            for k in range(PAIRS)
        ]
        approaches = {f"j{k}": {"signal": f"sig-{k}"} for k in range(JUNCTIONS)}
        bans = [
            {
                "name": f"night trucks {z}",
                "zones": [f"city-{z}"],
                "start": "22:00",
                "end": "06:00",
                "vehicle_classes": ["truck"],
            }
            for z in range(12)
        ]
        return RulesSettings.model_validate(
            {
                "checks": {
                    "hotlist": {"type": "hotlist"},
                    "registry": {"type": "registry_status"},
                    "sections": {"type": "section_speed", "sections": sections},
                    "red-light": {"type": "red_light", "approaches": approaches},
                    "bans": {"type": "time_window", "bans": bans},
                    "no-plate": {"type": "no_plate"},
                }
            }
        )

    def context(self) -> RuleContext:
        ctx = RuleContext(
            cameras=self.cameras,
            registry=self.registry,
            signals=MemorySignalTimeline(),
            recent=RecentReadsBuffer(window_s=600, max_reads=50_000),
        )
        for entry in self.hotlist:
            ctx.hotlists.add(entry)
        return ctx

    def phases_until(self, ctx: RuleContext, start: float, end: float) -> None:
        """The controllers' changes in [start, end) (each junction offset by k s)."""
        green, amber, red = CYCLE
        cycle = green + amber + red
        for k in range(JUNCTIONS):
            base = T0 + k - cycle
            n = int((start - base) // cycle)
            t = base + n * cycle
            while t < end:
                for at, phase in (
                    (t, Phase.GREEN),
                    (t + green, Phase.AMBER),
                    (t + green + amber, Phase.RED),
                ):
                    if start <= at < end:
                        ctx.signals.record(f"sig-{k}", at, phase)
                t += cycle

    def reads(self, n: int, start: float, per_second: float) -> Iterator[ReadEvent]:
        """A time-ordered stream: section passes (entry, then exit), junction
        passes, and a few passes without a plate; ``per_second`` reads a second."""
        rng = self.rng
        pending: list[tuple[float, int, ReadEvent]] = []
        import heapq

        seq = 0
        t = start
        emitted = 0
        while emitted < n:
            t += rng.expovariate(per_second)
            while pending and pending[0][0] <= t:
                yield heapq.heappop(pending)[2]
                emitted += 1
                if emitted >= n:
                    return
            seq += 1
            kind = rng.random()
            p = rng.choice(self.fleet) if rng.random() > 0.003 else None
            if kind < 0.5:
                k = rng.randrange(PAIRS)
                speed = rng.uniform(50, 110) / 3.6
                evidence = (EvidenceRef("crop", f"c{seq}a"),)
                entry = ReadEvent(f"{seq}a", f"s{k}a", t, p, evidence=evidence, lane=1)
                yield entry
                emitted += 1
                exit_ts = t + self.distances[k] / speed
                exit_read = ReadEvent(
                    f"{seq}b", f"s{k}b", exit_ts, p, evidence=(EvidenceRef("crop", f"c{seq}b"),)
                )
                heapq.heappush(pending, (exit_ts, seq, exit_read))
            else:
                # Arriving on amber or red, nineteen in twenty wait for green.
                k = rng.randrange(JUNCTIONS)
                green = CYCLE[0]
                cycle = sum(CYCLE)
                pos = (t - (T0 + k)) % cycle
                cross = t
                if pos >= green and rng.random() < 0.95:
                    cross = t + (cycle - pos) + rng.uniform(1, 6)
                track = tuple(
                    TrackPoint(cross + d * 0.6, d * 6.0, EvidenceRef("frame", f"f{seq}-{d}"))
                    for d in (-1, 0, 1)
                )
                junction = ReadEvent(f"{seq}j", f"j{k}", cross, p, track=track, lane=1)
                heapq.heappush(pending, (cross, seq, junction))


def throughput(world: World, n: int) -> None:
    reads = list(world.reads(n, T0, per_second=300.0))
    end = reads[-1].ts + 300  # the controllers' feed runs a little ahead of the cameras

    def fresh() -> RulesEngine:
        ctx = world.context()
        world.phases_until(ctx, T0 - 100, end)
        return RulesEngine.from_settings(world.settings(), ctx)

    fresh().process_many(reads[:2000])  # warm-up
    engine = fresh()
    started = time.perf_counter()
    found = engine.process_many(reads)
    found += engine.tick()
    elapsed = time.perf_counter() - started
    # The same again under tracemalloc, for the memory the rules' state takes.
    traced = fresh()
    tracemalloc.start()
    traced.process_many(reads)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    by_offence: dict[str, int] = {}
    for f in found:
        by_offence[str(f.offence)] = by_offence.get(str(f.offence), 0) + 1
    stats = engine.stats()
    print(f"throughput: {n} reads in {elapsed:.2f} s = {n / elapsed:,.0f} reads/s (all rules)")
    print(f"  stream time covered: {(reads[-1].ts - reads[0].ts) / 60:.0f} min")
    print(f"  findings: {len(found)} {dict(sorted(by_offence.items()))}")
    print(
        f"  section sightings held: {stats['rules']['sections']['sightings']}, "
        f"expired {stats['rules']['sections']['expired']}"
    )
    print(f"  red light: {stats['rules']['red-light']}")
    print(
        f"  memory allocated by the rules while processing: {held / 2**20:.0f} MiB held at the "
        f"end, {peak / 2**20:.0f} MiB peak (tracemalloc)"
    )
    for name in ("hotlist", "registry", "sections", "red-light", "bans", "no-plate"):
        rule = next(r for r in engine.rules if r.name == name)
        ctx = world.context()
        world.phases_until(ctx, T0 - 100, end)
        one = RulesEngine([type(rule)(name, rule.config, ctx)], ctx)
        sample = reads[: min(n, 50_000)]
        t0 = time.perf_counter()
        one.process_many(sample)
        print(f"  {name:10s} alone: {len(sample) / (time.perf_counter() - t0):>10,.0f} reads/s")


WEBHOOK_ARRIVALS: dict[str, float] = {}


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        WEBHOOK_ARRIVALS[json.loads(body)["id"]] = time.perf_counter()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def _percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"n={len(ms)} p50 {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, max {ms[-1]:.2f} ms"


def latency(world: World, rate: float, seconds: float) -> None:
    ctx = world.context()
    engine = RulesEngine.from_settings(world.settings(), ctx)
    world.phases_until(ctx, T0 - 100, T0 + seconds + 600)
    bus = AlertBus(keep=10_000)
    sent: dict[str, float] = {}
    sse_arrivals: dict[str, float] = {}

    # (a) a dashboard stream on its own event loop thread.
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def consume() -> None:
        stream = alert_events(bus, accept=lambda a: True, max_seconds=seconds + 30, heartbeat_s=5)
        ready.set()
        async for chunk in stream:
            if chunk.startswith(b"id:"):
                data = json.loads(chunk.split(b"data: ", 1)[1])
                sse_arrivals[data["id"]] = time.perf_counter()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    consumer = asyncio.run_coroutine_threadsafe(consume(), loop)
    ready.wait(5)
    time.sleep(0.1)

    # (b) a webhook receiver on loopback.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hooks = WebhookDispatcher(
        [WebhookTarget("bench", f"http://127.0.0.1:{server.server_address[1]}/", b"k" * 32)],
        MemoryDeadLetters(),
    )
    hooks.start()
    bus.subscribe(hooks.submit)

    # (c) MQTT through Mosquitto, when it runs.
    mqtt_arrivals: dict[str, float] = {}
    mqtt_parts = _mqtt(bus, mqtt_arrivals)

    entered = [0.0]

    class TimedBus:
        def raise_alert(self, finding: Any) -> Alert:
            alert = bus.raise_alert(finding)
            sent[alert.id] = entered[0]
            return alert

    worker = RulesWorker(engine, MemoryFindingSink(), TimedBus())
    # One read in 200 is a wanted plate.
    wanted = [e.pattern for e in world.hotlist[:5000]]
    stream = world.reads(int(rate * seconds), T0, per_second=rate)
    started = time.perf_counter()
    i = 0
    for i, seen in enumerate(stream):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        read = seen
        if i % 200 == 0:
            read = ReadEvent(seen.read_id, seen.camera, seen.ts, world.rng.choice(wanted))
        entered[0] = time.perf_counter()
        worker.handle_read(read)
    time.sleep(1.0)
    achieved = i / (time.perf_counter() - started - 1.0)
    hooks.stop()
    server.shutdown()
    for part in mqtt_parts:
        part()
    consumer.cancel()
    time.sleep(0.1)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    print(
        f"alert latency at {achieved:,.0f} reads/s offered, {len(sent)} alerts "
        "(engine-in to alert-out; ingest not included):"
    )
    print(
        "  dashboard stream (SSE queue):",
        _percentiles([sse_arrivals[a] - sent[a] for a in sent if a in sse_arrivals]),
    )
    print(
        "  webhook (HTTP on loopback): ",
        _percentiles([WEBHOOK_ARRIVALS[a] - sent[a] for a in sent if a in WEBHOOK_ARRIVALS]),
    )
    if mqtt_parts:
        print(
            "  MQTT (through Mosquitto):   ",
            _percentiles([mqtt_arrivals[a] - sent[a] for a in sent if a in mqtt_arrivals]),
        )
    else:
        print("  MQTT: Mosquitto not reachable on 127.0.0.1:1883; skipped")


def _mqtt(bus: AlertBus, arrivals: dict[str, float]) -> list[Any]:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        return []
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from platekeeper.alerts.mqtt import MqttPublisher
    from platekeeper.alerts.settings import MqttSettings

    topic = f"platekeeper-bench/{random.randrange(10**6)}"
    listener = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"bench-sub-{random.randrange(10**6)}"
    )
    subscribed = threading.Event()
    listener.on_connect = lambda c, u, f, r, p: c.subscribe(f"{topic}/#", qos=1)
    listener.on_subscribe = lambda c, u, m, r, p: subscribed.set()
    listener.on_message = lambda c, u, m: arrivals.__setitem__(
        json.loads(m.payload)["id"], time.perf_counter()
    )
    listener.connect("127.0.0.1", 1883)
    listener.loop_start()
    subscribed.wait(5)
    publisher = MqttPublisher(
        MqttSettings(
            enabled=True, topic_prefix=topic, client_id=f"bench-pub-{random.randrange(10**6)}"
        )
    )
    publisher.start()
    publisher.connected.wait(5)
    bus.subscribe(publisher.submit)
    return [publisher.stop, listener.loop_stop, listener.disconnect]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reads", type=int, default=200_000, help="reads for the throughput run")
    parser.add_argument(
        "--rate", type=float, default=2000.0, help="reads/s offered in the latency run"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    args = parser.parse_args()
    t0 = time.perf_counter()
    world = World()
    print(
        f"world: {PAIRS} camera pairs, {JUNCTIONS} signalled approaches, {len(world.hotlist):,} "
        f"hotlist entries ({HOTLIST // 100} wildcards), {len(world.registry):,} registry records; "
        f"built in {time.perf_counter() - t0:.1f} s"
    )
    throughput(world, args.reads)
    latency(world, args.rate, args.seconds)


if __name__ == "__main__":
    main()

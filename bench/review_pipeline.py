"""Stored reads through the serving process's rules pipeline, end to end.

    .venv/bin/python bench/review_pipeline.py [--seconds 20] [--rate 1000] [--db sqlite]

Camera batches (50 reads) are stored through ``IngestService`` (validation,
idempotency receipts, encryption, blind indexes, commit) at ``--rate`` reads
per second; the store hands each committed batch to the ``RulesPipeline``
thread, which loads and decrypts the reads, runs the hotlist (100,000
entries) and registry (200,000 records) rules, keeps violations (sealed) and
raises alerts on the bus. The mix: 0.5 % hotlisted plates, 3 % expired registrations, the rest
clean. Printed: reads/s sustained through the whole path
with the pipeline keeping up, and alert latency from the ingest call to the
alert on the bus (what the dashboard stream then forwards in ~1 ms, see
bench/rules.py). The HTTP door in front adds its own time (bench/ingest_http.py).
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from datetime import UTC, datetime

from bench_common import add_cameras, bench_store, uz_plate
from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.model import Alert
from platekeeper.ingest.camera_keys import VerifiedCamera
from platekeeper.ingest.payloads import ReadBatch, ReadIn
from platekeeper.ingest.service import IngestService
from platekeeper.review.pipeline import RulesPipeline
from platekeeper.review.violations import ViolationStore
from platekeeper.rules.context import CameraDirectory, CameraSite, RuleContext
from platekeeper.rules.engine import RulesEngine
from platekeeper.rules.hotlists import HotlistEntry
from platekeeper.rules.registry import MemoryRegistry, RegistryRecord, RegistryStatus
from platekeeper.rules.settings import RulesSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="reads per second offered")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    rng = random.Random(7)
    with bench_store(args.db) as bench:
        store = bench.store
        codes = add_cameras(store, 50, rng)
        cameras = {c.code: c for c in store.cameras.all()}
        plates = [uz_plate(rng) for _ in range(300_000)]
        hot = plates[:100_000]
        listed = plates[100_000:300_000]  # in the registry, expired
        clean = [uz_plate(rng) for _ in range(100_000)]
        context = RuleContext(
            cameras=CameraDirectory(CameraSite(code=c, region=cameras[c].region) for c in codes),
            registry=MemoryRegistry(
                RegistryRecord(plate=p, status=RegistryStatus.EXPIRED, country="UZ") for p in listed
            ),
        )
        for i, plate in enumerate(hot):
            context.hotlists.add(HotlistEntry(f"h{i}", "wanted", plate, None, 5, "bench"))
        checks = {"hotlist": {"type": "hotlist"}, "registry": {"type": "registry_status"}}
        engine = RulesEngine.from_settings(
            RulesSettings.model_validate({"checks": checks}), context
        )
        bus = AlertBus(keep=100_000)
        started: dict[str, float] = {}
        batch_began = [0.0]
        latencies: list[float] = []

        def committed(read_ids: list[int]) -> None:
            for read_id in read_ids:
                started[str(read_id)] = batch_began[0]

        def arrived(alert: Alert) -> None:
            if alert.finding is not None and alert.finding.read_id in started:
                latencies.append(time.perf_counter() - started[alert.finding.read_id])

        bus.subscribe(arrived)
        pipeline = RulesPipeline(store, engine, ViolationStore(store, store.clock), bus)
        store.reads.add_listener(committed)  # first: notes when each read's batch began
        store.reads.add_listener(pipeline.submit)
        stop = threading.Event()
        worker = threading.Thread(target=pipeline.run, args=(stop,), daemon=True)
        worker.start()
        service = IngestService(store.reads)
        began = time.perf_counter()
        stored = 0
        seq = 0
        batch_size = 50
        while time.perf_counter() - began < args.seconds:
            code = rng.choice(codes)
            camera = VerifiedCamera(key_id="bench", camera_id=cameras[code].id, camera_code=code)
            now = datetime.now(UTC)
            reads = []
            for _ in range(batch_size):
                seq += 1
                draw = rng.random()  # 0.5 % hotlisted, 3 % expired, the rest clean
                pool = hot if draw < 0.005 else listed if draw < 0.035 else clean
                plate = rng.choice(pool)
                reads.append(
                    ReadIn(idempotency_key=f"b{seq}", captured_at=now, plate=plate, confidence=0.9)
                )
            t0 = time.perf_counter()
            batch_began[0] = t0
            stored += service.ingest(camera, ReadBatch(reads=reads)).stored
            spare = batch_size / args.rate - (time.perf_counter() - t0)
            if spare > 0:
                time.sleep(spare)
        offered_for = time.perf_counter() - began
        while pipeline.processed < stored and time.perf_counter() - began < args.seconds + 60:
            time.sleep(0.05)
        done_for = time.perf_counter() - began
        stop.set()
        worker.join(timeout=10)
        print(f"stored {stored} reads in {offered_for:.1f} s ({stored / offered_for:,.0f} reads/s)")
        lag = done_for - offered_for
        print(
            f"rules pipeline: {pipeline.processed} checked, all done {lag:.2f} s after the "
            f"last batch; {pipeline.findings} findings, {pipeline.dropped} dropped"
        )
        if latencies:
            ordered = sorted(latencies)
            p95 = ordered[int(0.95 * (len(ordered) - 1))]
            print(
                f"alert latency, ingest call to alert on the bus: n={len(ordered)} "
                f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {ordered[-1] * 1000:.0f} ms"
            )
        else:
            print("no alerts raised")


if __name__ == "__main__":
    main()

"""Signed reads per second through the camera door into the embedded store.

Starts a real ``platekeeper serve`` (HTTPS by default, SQLite in a fresh data
directory), registers cameras with keys, then has one client thread per
camera send signed batches to ``POST /api/v1/ingest/reads`` for a fixed time.
Prints reads/s stored and p50/p95 milliseconds from sending a batch to its
2xx, with and without a ~20 KB plate crop per read.

    .venv/bin/python bench/ingest_http.py [--cameras 4] [--batch 50] [--seconds 20] [--no-tls]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench_common import uz_plate
from platekeeper.config import Settings
from platekeeper.ingest.camera_keys import CameraKeys, IssuedKey
from platekeeper.ingest.signing import sign
from platekeeper.store.facade import StoreConfig, open_store
from platekeeper.store.records import CameraSpec
from store_ingest import base_jpeg, unique_jpeg

PATH = "/api/v1/ingest/reads"
PLATEKEEPER = Path(sys.executable).with_name("platekeeper")


def setup(data_dir: Path, cameras: int) -> list[IssuedKey]:
    env = {**os.environ, "PLATEKEEPER_DATA_DIR": str(data_dir)}
    subprocess.run([str(PLATEKEEPER), "init"], env=env, check=True, capture_output=True)
    store = open_store(StoreConfig.from_settings(Settings(data_dir=data_dir)))
    try:
        keys = CameraKeys(store.db, store.vault)
        issued = []
        for n in range(cameras):
            code = f"BENCH-{n:03d}"
            spec = CameraSpec(code, code, "BENCH", "tashkent", "Tashkent", 41.3, 69.2 + n / 100)
            store.cameras.add(spec)
            issued.append(keys.issue(code))
        return issued
    finally:
        store.close()


def client(  # noqa: PLR0917 (a thread target takes its arguments positionally)
    base: str,
    camera: IssuedKey,
    batch: int,
    crop: bytes | None,
    until: float,
    latencies: list[float],
    counts: list[int],
) -> None:
    rng = random.Random(camera.key_id)
    sent = 0
    with httpx.Client(base_url=base, verify=False, timeout=60) as http:
        while time.time() < until:
            reads = []
            for _ in range(batch):
                sent += 1
                read = {
                    # Distinct from the other run's keys, which would count as retries.
                    "idempotency_key": f"{camera.key_id}-{crop is not None:d}-{sent}",
                    "captured_at": datetime.now(UTC).isoformat(),
                    "plate": uz_plate(rng),
                    "confidence": 0.9,
                }
                if crop is not None:
                    read["crop_jpeg"] = base64.b64encode(unique_jpeg(crop, sent)).decode()
                reads.append(read)
            body = json.dumps({"reads": reads}).encode()
            headers = sign(camera.key_id, camera.secret, "POST", PATH, body)
            started = time.perf_counter()
            answer = http.post(PATH, content=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            counts.append(answer.json()["stored"])


def run(base: str, keys: list[IssuedKey], batch: int, crop: bytes | None, seconds: float) -> None:
    latencies: list[float] = []
    counts: list[int] = []
    until = time.time() + seconds
    threads = [
        threading.Thread(target=client, args=(base, k, batch, crop, until, latencies, counts))
        for k in keys
    ]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    cuts = statistics.quantiles(latencies, n=20)
    label = f"with a {len(crop) // 1024} KB crop" if crop else "metadata only"
    print(
        f"{label:>22}: {sum(counts) / elapsed:7.0f} reads/s "
        f"({sum(counts)} reads, {len(keys)} cameras, batches of {batch}); "
        f"per batch p50 {statistics.median(latencies):.0f} ms, p95 {cuts[18]:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=18443)
    parser.add_argument("--no-tls", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pk-ingest-") as tmp:
        data_dir = Path(tmp) / "data"
        keys = setup(data_dir, args.cameras)
        env = {**os.environ, "PLATEKEEPER_DATA_DIR": str(data_dir)}
        command = [str(PLATEKEEPER), "serve", "--host", "127.0.0.1", "--port", str(args.port)]
        if args.no_tls:
            command.append("--no-tls")
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"{'http' if args.no_tls else 'https'}://127.0.0.1:{args.port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/healthz", verify=False).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                raise SystemExit("the server did not start")
            print(f"platekeeper serve at {base}, SQLite in {data_dir}")
            run(base, keys, args.batch, None, args.seconds)
            crop = base_jpeg(300, 96, 93, seed=1)
            run(base, keys, args.batch, crop, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

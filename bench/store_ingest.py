"""Ingest throughput of the store: reads/s with encryption and blind indexes.

Two workloads, on SQLite and on PostgreSQL:

* metadata only: plate, 3 OCR candidates, confidence, country;
* with evidence: the same plus a ~20 KB plate crop and a ~300 KB frame
  (real JPEGs, each one distinct, so nothing is deduplicated).

Reads go through ``ReadStore.ingest`` in batches, exactly as the ingest
service will call it: validation, id reservation, AES-256-GCM sealing, two
HMAC blind indexes, evidence hashing/sealing/writing, one transaction per
batch. Also prints bytes on disk per read.

    .venv/bin/python bench/store_ingest.py                 # both databases
    .venv/bin/python bench/store_ingest.py --backend sqlite --reads 20000
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sqlite3
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import numpy as np
from PIL import Image

from bench_common import add_cameras, bench_store, dir_size, pg_relation_bytes, uz_plate
from platekeeper.store.records import NewEvidence, NewRead
from platekeeper.store.types import EvidenceKind


def base_jpeg(width: int, height: int, quality: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = (np.sin(x / 23) + np.cos(y / 31)) * 50 + 128
    noise = rng.integers(-40, 40, (height, width, 3))
    pixels = np.clip(base[..., None] + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=quality)
    return out.getvalue()


def unique_jpeg(base: bytes, n: int) -> bytes:
    """``base`` with a comment segment holding ``n``: a distinct, valid JPEG."""
    comment = f"pk-bench {n}".encode()
    return base[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + base[2:]


def make_reads(
    count: int, cameras: list[str], rng: random.Random, evidence: bool, offset: int
) -> list[NewRead]:
    crop = base_jpeg(300, 96, 93, seed=1)
    frame = base_jpeg(1280, 720, 78, seed=2)
    now = datetime.now(UTC)
    reads = []
    for n in range(count):
        plate = uz_plate(rng)
        items: list[NewEvidence] = []
        if evidence:
            items = [
                NewEvidence(EvidenceKind.CROP, unique_jpeg(crop, offset + n)),
                NewEvidence(EvidenceKind.FRAME, unique_jpeg(frame, offset + n)),
            ]
        reads.append(
            NewRead(
                camera=rng.choice(cameras),
                captured_at=now - timedelta(seconds=rng.random() * 3600),
                plate=plate,
                confidence=round(0.5 + rng.random() / 2, 3),
                country="UZ",
                candidates=[(plate, 0.9), (uz_plate(rng), 0.05), (uz_plate(rng), 0.02)],
                evidence=items,
            )
        )
    return reads, len(crop), len(frame)  # type: ignore[return-value]


def run(backend: str, count: int, batch: int, *, evidence: bool, fsync: bool, threads: int) -> None:
    rng = random.Random(7)
    label = "crop+frame" if evidence else "metadata only"
    with bench_store(backend, evidence_fsync=fsync) as bench:
        store = bench.store
        cameras = add_cameras(store, 200, rng)
        warm, _, _ = make_reads(batch, cameras, rng, evidence, offset=10**9)
        store.reads.ingest(warm)  # keys, partitions, caches
        reads, crop_size, frame_size = make_reads(count, cameras, rng, evidence, offset=0)
        load = os.getloadavg()[0]
        batches = [reads[start : start + batch] for start in range(0, count, batch)]
        started, cpu_started = time.perf_counter(), time.process_time()
        # Like the ingest service: several request handlers call the store
        # at once; their checks, sealing and writes overlap, their commits
        # take turns.
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(store.reads.ingest, batches))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        total = count + batch
        if backend == "sqlite":
            # Fold the WAL into the file first: bytes on disk, not in flight.
            checkpoint = sqlite3.connect(bench.data_dir / "platekeeper.db")
            checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            checkpoint.close()
            db_bytes = sum(
                p.stat().st_size for p in bench.data_dir.glob("platekeeper.db*") if p.is_file()
            )
        else:
            db_bytes = pg_relation_bytes(store, "reads", "read_evidence", "evidence_blobs")
        evidence_bytes = dir_size(bench.data_dir / "evidence")
        print(
            f"{backend:10s} {label:13s} fsync={'on ' if fsync else 'off'} batch={batch:4d} "
            f"threads={threads}: "
            f"{count / elapsed:8.0f} reads/s ({count} reads in {elapsed:.1f} s; "
            f"{cpu / count * 1000:.2f} ms CPU/read in this process; load average {load:.1f})"
        )
        extra = ""
        if evidence:
            extra = (
                f"; evidence {evidence_bytes / total / 1024:.0f} KiB/read on disk "
                f"(crop {crop_size / 1024:.0f} KiB + frame {frame_size / 1024:.0f} KiB in)"
            )
        print(f"{'':10s} database {db_bytes / total:.0f} bytes/read{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reads", type=int, default=20_000, help="metadata-only reads")
    parser.add_argument("--evidence-reads", type=int, default=3_000, help="reads with evidence")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2, help="concurrent ingest callers")
    parser.add_argument(
        "--no-fsync", action="store_true", help="also measure evidence without fsync"
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        run(backend, args.reads, args.batch, evidence=False, fsync=True, threads=args.threads)
        run(
            backend,
            args.evidence_reads,
            args.batch,
            evidence=True,
            fsync=True,
            threads=args.threads,
        )
        if args.no_fsync:
            run(
                backend,
                args.evidence_reads,
                args.batch,
                evidence=True,
                fsync=False,
                threads=args.threads,
            )


if __name__ == "__main__":
    main()

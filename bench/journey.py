"""Vehicle journey latency at national scale: p50/p95 of ``journey`` over
10 million reads, on SQLite and on PostgreSQL; and bytes on disk per read.

The table is filled the way a month of national traffic would fill it:
reads spread over 30 days and 1,000 cameras in 14 agencies, under the real
per-day data and index keys of the key catalogue. A set of tracked plates
(2,000 plates, 20 sightings each) goes through the real ingest path —
encrypted, blind-indexed, decryptable. The other reads are bulk-loaded with
random blind-index values and random ciphertext of the real length (81 bytes:
a plate and three candidates): they are indistinguishable from real rows to
every query (HMAC outputs are uniformly random) and loading them costs
minutes instead of hours. Secondary indexes are dropped during the bulk load
and rebuilt after (on PostgreSQL the foreign keys too), as one would for any
bulk import.

Each query is a full ``SearchService.journey`` call over a 30-day window —
index values for every key period, the indexed lookup, decryption, camera
positions — with a justification and the open guard.

    .venv/bin/python bench/journey.py --backend sqlite
    .venv/bin/python bench/journey.py --backend postgresql --reads 10000000
    .venv/bin/python bench/journey.py --data-dir /tmp/pk-journey --keep   # reuse the data
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.schema import AddConstraint, DropConstraint

from bench_common import add_cameras, bench_store, pg_relation_bytes, uz_plate
from platekeeper.store.facade import Store
from platekeeper.store.models import Read
from platekeeper.store.records import NewRead
from platekeeper.store.search import OpenGuard, ReasonCode, SearchJustification
from platekeeper.store.types import DataClass

DAYS = 30


def count_reads(store: Store) -> int:
    with store.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Read)) or 0)


def ingest_tracked(
    store: Store, cameras: list[str], plates: list[str], sightings: int, start: datetime
) -> None:
    """The tracked plates, through the real ingest path."""
    rng = random.Random(5)
    reads = [
        NewRead(rng.choice(cameras), start + timedelta(seconds=rng.random() * DAYS * 86_400),
                plate, 0.9, country="UZ", candidates=[(plate, 0.9)])
        for plate in plates
        for _ in range(sightings)
    ]  # fmt: skip
    rng.shuffle(reads)
    for offset in range(0, len(reads), 1000):
        store.reads.ingest(reads[offset : offset + 1000])


def day_keys(store: Store, agencies: set[str], day_start: datetime) -> dict[str, int]:
    """The real catalogue keys of one day (data keys per agency, the index key)."""
    store.keys.index_key(DataClass.READS, day_start)
    return {a: store.keys.data_key(DataClass.READS, a, day_start).id for a in agencies}


# The filler is generated inside the database (random(), randomblob()/md5):
# no Python loop per row, so ten million rows take a minute, not an hour.
SQLITE_FILL = """
INSERT INTO reads (id, captured_at, camera_id, data_key_id, plate_exact, plate_fuzzy,
                   sealed, confidence, country, hit)
SELECT :first_id + n, :day_us + abs(random()) % 86400000000, c.camera_id, k.key_id,
       random(), random(), x'01' || randomblob(80), 0.5 + abs(random()) % 500 / 1000.0,
       'UZ', 0
FROM (WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < :count)
      SELECT n, abs(random()) % :cameras AS slot FROM seq) s
JOIN bench_cameras c ON c.slot = s.slot
JOIN bench_keys k ON k.agency = c.agency
"""
POSTGRES_FILL = """
INSERT INTO reads (id, captured_at, camera_id, data_key_id, plate_exact, plate_fuzzy,
                   sealed, confidence, country, hit)
SELECT :first_id + n, :day_start + random() * interval '1 day', c.camera_id, k.key_id,
       (random() * 1.8e19 - 9.2e18)::bigint, (random() * 1.8e19 - 9.2e18)::bigint,
       '\\x01'::bytea || decode(md5(random()::text) || md5(random()::text)
              || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex'),
       0.5 + random() / 2, 'UZ', false
FROM (SELECT n, floor(random() * :cameras)::int AS slot
      FROM generate_series(0, :count - 1) AS n) s
JOIN bench_cameras c ON c.slot = s.slot
JOIN bench_keys k ON k.agency = c.agency
"""


def bulk_load(store: Store, backend: str, total: int, start: datetime) -> None:
    """``total`` filler reads over ``DAYS`` days, then indexes and statistics."""
    cameras = store.cameras.all()
    agencies = {c.agency for c in cameras}
    table = Read.__table__
    indexes = list(table.indexes)  # type: ignore[attr-defined]
    foreign_keys = list(table.foreign_key_constraints)  # type: ignore[attr-defined]
    store.partitions.ensure([start, start + timedelta(days=DAYS)])
    per_day = total // DAYS
    # Keys and ids first: they are written through the store's own
    # transactions, which must not wait on the bulk load's.
    days = []
    for day in range(DAYS):
        day_start = start + timedelta(days=day)
        keys = day_keys(store, agencies, day_start)
        days.append((day_start, keys, store.ids.reserve_range("reads", per_day)))
    began = time.perf_counter()
    with store.db.engine.connect() as conn:
        for index in indexes:
            index.drop(conn)
        if backend == "postgresql":
            for constraint in foreign_keys:
                conn.execute(DropConstraint(constraint))
        conn.execute(
            text("CREATE TEMPORARY TABLE bench_cameras (slot INT, camera_id INT, agency TEXT)")
        )
        conn.execute(text("CREATE TEMPORARY TABLE bench_keys (agency TEXT, key_id INT)"))
        conn.execute(
            text("INSERT INTO bench_cameras VALUES (:slot, :camera_id, :agency)"),
            [{"slot": n, "camera_id": c.id, "agency": c.agency} for n, c in enumerate(cameras)],
        )
        conn.commit()
        for number, (day_start, keys, ids) in enumerate(days, 1):
            conn.execute(text("DELETE FROM bench_keys"))
            conn.execute(
                text("INSERT INTO bench_keys VALUES (:agency, :key_id)"),
                [{"agency": a, "key_id": k} for a, k in keys.items()],
            )
            params = {"first_id": ids.start, "count": per_day, "cameras": len(cameras)}
            if backend == "sqlite":
                day_us = (day_start - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
                conn.execute(text(SQLITE_FILL), {**params, "day_us": day_us})
            else:
                conn.execute(text(POSTGRES_FILL), {**params, "day_start": day_start})
            conn.commit()
            print(f"  day {number}/{DAYS}: {per_day * number:,} rows "
                  f"({time.perf_counter() - began:.0f} s)", flush=True)  # fmt: skip
        print(f"  rebuilding indexes ({time.perf_counter() - began:.0f} s)", flush=True)
        if backend == "postgresql":
            conn.execute(text("SET maintenance_work_mem = '512MB'"))
        for index in indexes:
            index.create(conn)
        if backend == "postgresql":
            for constraint in foreign_keys:
                conn.execute(AddConstraint(constraint))
        conn.execute(text("DROP TABLE bench_cameras"))
        conn.execute(text("DROP TABLE bench_keys"))
        conn.commit()
        conn.execute(text("ANALYZE"))
        conn.commit()
    print(f"  bulk load done in {time.perf_counter() - began:.0f} s", flush=True)


def bytes_on_disk(store: Store, backend: str, data_dir: Path) -> int:
    if backend == "sqlite":
        checkpoint = sqlite3.connect(data_dir / "platekeeper.db")
        checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        checkpoint.close()
        return sum(p.stat().st_size for p in data_dir.glob("platekeeper.db*"))
    return pg_relation_bytes(store, "reads")


def run(backend: str, args: argparse.Namespace) -> None:
    rng = random.Random(11)
    data_dir = Path(args.data_dir) / backend if args.data_dir else None
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    with bench_store(backend, data_dir, keep=args.keep, schema="bench_journey") as bench:
        store = bench.store
        cameras = add_cameras(store, 1000, rng)
        plates = sorted({uz_plate(rng) for _ in range(args.tracked)})
        now = datetime.now(UTC)
        start = (now - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
        have = count_reads(store)
        if have < args.reads:
            print(f"{backend}: generating {args.reads:,} reads over {DAYS} days …", flush=True)
            ingest_tracked(store, cameras, plates, args.sightings, start)
            bulk_load(store, backend, args.reads - len(plates) * args.sightings, start)
        total = count_reads(store)
        service = store.search_service(OpenGuard())
        why = SearchJustification(ReasonCode.INVESTIGATION, "BENCH-0001")
        window = (now - timedelta(days=DAYS), now + timedelta(minutes=5))
        for plate in plates[:50]:  # warm the key cache and the database cache
            service.journey(plate, *window, why)
        latencies = []
        found = 0
        for _ in range(args.queries):
            plate = rng.choice(plates)
            began = time.perf_counter()
            result = service.journey(plate, *window, why)
            latencies.append((time.perf_counter() - began) * 1000)
            found += len(result.reads)
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = latencies[int(0.95 * len(latencies)) - 1]
        p99 = latencies[int(0.99 * len(latencies)) - 1]
        size = bytes_on_disk(store, backend, bench.data_dir)
        print(
            f"{backend:10s} journey over {total:,} reads, {DAYS}-day window, "
            f"{args.queries} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms "
            f"({found / args.queries:.1f} sightings each)"
        )
        print(f"{'':10s} reads table + indexes: {size / total:.0f} bytes/read "
              f"({size / 2**30:.2f} GiB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reads", type=int, default=10_000_000)
    parser.add_argument("--tracked", type=int, default=2_000)
    parser.add_argument("--sightings", type=int, default=20)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--data-dir", help="keep the generated data here (reused next time)")
    parser.add_argument("--keep", action="store_true", help="do not delete the data afterwards")
    args = parser.parse_args()
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        run(backend, args)


if __name__ == "__main__":
    main()

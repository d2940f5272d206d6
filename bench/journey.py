"""Vehicle journey latency at national scale: p50/p95 of ``journey`` over
10 million reads, on SQLite and on PostgreSQL; and bytes on disk per read.

The table is filled the way a month of national traffic would fill it:
reads spread over 30 days and 1,000 cameras in 14 agencies, under the real
per-day data and index keys of the key catalogue. A set of tracked plates
(2,000 plates, 20 sightings each) goes through the real ingest path —
encrypted, blind-indexed, decryptable. The other reads are bulk-loaded with
random blind-index values and random ciphertext of the real length: they are
indistinguishable from real rows to every query (HMAC outputs are uniformly
random) and loading them costs minutes instead of hours. Secondary indexes
are dropped during the bulk load and rebuilt after (on PostgreSQL the
foreign keys too), as one would for any bulk import.

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
SEALED_BYTES = 81  # a real read's ciphertext: plate, 3 candidates, no GPS


def count_reads(store: Store) -> int:
    with store.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Read)) or 0)


def ingest_tracked(
    store: Store,
    cameras: list[str],
    plates: list[str],
    sightings: int,
    start: datetime,
    rng: random.Random,
) -> None:
    reads = [
        NewRead(rng.choice(cameras), start + timedelta(seconds=rng.random() * DAYS * 86_400),
                plate, 0.9, country="UZ", candidates=[(plate, 0.9)])
        for plate in plates
        for _ in range(sightings)
    ]  # fmt: skip
    rng.shuffle(reads)
    for offset in range(0, len(reads), 1000):
        store.reads.ingest(reads[offset : offset + 1000])


def filler_days(
    store: Store, camera_ids: dict[int, str], total: int, start: datetime, rng: random.Random
):  # type: ignore[no-untyped-def]
    """Rows of bulk filler, one day at a time, in capture-time order."""
    per_day = total // DAYS
    camera_list = list(camera_ids.items())
    for day in range(DAYS):
        day_start = start + timedelta(days=day)
        keys = {
            agency: store.keys.data_key(DataClass.READS, agency, day_start).id
            for agency in set(camera_ids.values())
        }
        store.keys.index_key(DataClass.READS, day_start)
        ids = store.ids.allocate("reads", per_day)
        offsets = sorted(rng.random() * 86_400 for _ in range(per_day))
        noise = rng.randbytes(per_day * SEALED_BYTES)
        rows = []
        for n in range(per_day):
            camera_id, agency = camera_list[rng.randrange(len(camera_list))]
            rows.append(
                (ids[n], day_start + timedelta(seconds=offsets[n]), camera_id, keys[agency],
                 rng.getrandbits(64) - 2**63, rng.getrandbits(64) - 2**63,
                 b"\x01" + noise[n * SEALED_BYTES : (n + 1) * SEALED_BYTES - 1],
                 0.5 + rng.random() / 2, "UZ", False)
            )  # fmt: skip
        yield rows


def bulk_load(
    store: Store, backend: str, data_dir: Path, total: int, start: datetime, rng: random.Random
) -> None:
    camera_ids = {c.id: c.agency for c in store.cameras.all()}
    table = Read.__table__
    indexes = list(table.indexes)  # type: ignore[attr-defined]
    foreign_keys = list(table.foreign_key_constraints)  # type: ignore[attr-defined]
    store.partitions.ensure([start, start + timedelta(days=DAYS)])
    with store.db.engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
        if backend == "postgresql":
            for constraint in foreign_keys:
                conn.execute(DropConstraint(constraint))
    loaded = 0
    began = time.perf_counter()
    if backend == "sqlite":
        db = sqlite3.connect(data_dir / "platekeeper.db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        for rows in filler_days(store, camera_ids, total, start, rng):
            db.executemany(
                "INSERT INTO reads VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(r[0], (r[1] - epoch) // timedelta(microseconds=1), *r[2:]) for r in rows],
            )
            db.commit()
            loaded += len(rows)
            print(f"  loaded {loaded:,} rows ({time.perf_counter() - began:.0f} s)", flush=True)
        db.close()
    else:
        raw = store.db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for rows in filler_days(store, camera_ids, total, start, rng):
                with cursor.copy(  # type: ignore[attr-defined]
                    "COPY reads (id, captured_at, camera_id, data_key_id, plate_exact, "
                    "plate_fuzzy, sealed, confidence, country, hit) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
                raw.commit()
                loaded += len(rows)
                print(f"  loaded {loaded:,} rows ({time.perf_counter() - began:.0f} s)", flush=True)
        finally:
            raw.close()
    print(f"  rebuilding indexes ({time.perf_counter() - began:.0f} s)", flush=True)
    with store.db.engine.begin() as conn:
        if backend == "postgresql":
            conn.execute(text("SET maintenance_work_mem = '512MB'"))
        for index in indexes:
            index.create(conn)
        if backend == "postgresql":
            for constraint in foreign_keys:
                conn.execute(AddConstraint(constraint))
    with store.db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
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
            ingest_tracked(store, cameras, plates, args.sightings, start, rng)
            bulk_load(
                store,
                backend,
                bench.data_dir,
                args.reads - len(plates) * args.sightings,
                start,
                rng,
            )
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

"""Shared set-up of the store benchmarks: a throw-away store on SQLite or on
a private PostgreSQL schema, cameras, and plausible plates."""

from __future__ import annotations

import os
import random
import shutil
import string
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from platekeeper.crypto.master import MasterKey, write_key_file
from platekeeper.crypto.settings import KeySettings
from platekeeper.store.engine import make_engine
from platekeeper.store.facade import Store, StoreConfig, open_store
from platekeeper.store.migrate import upgrade
from platekeeper.store.records import CameraSpec
from platekeeper.store.settings import StoreSettings

POSTGRES_URL = os.environ.get(
    "PLATEKEEPER_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REGIONS = ("01", "10", "20", "25", "30", "40", "50", "60", "70", "75", "80", "85", "90", "95")


def uz_plate(rng: random.Random) -> str:
    """A plate in the Uzbek private-car syntax: 01 A 123 BC."""
    letters = string.ascii_uppercase
    return (
        rng.choice(REGIONS)
        + rng.choice(letters)
        + f"{rng.randrange(1000):03d}"
        + rng.choice(letters)
        + rng.choice(letters)
    )


@dataclass
class BenchStore:
    store: Store
    backend: str
    data_dir: Path
    schema: str | None
    database_url: str


@contextmanager
def bench_store(
    backend: str,
    data_dir: Path | None = None,
    *,
    keep: bool = False,
    schema: str | None = None,
    **store_settings: Any,
) -> Iterator[BenchStore]:
    """A migrated store with a master key; removed afterwards unless ``keep``."""
    owned = data_dir is None
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="pk-bench-"))
    if backend == "sqlite":
        url = f"sqlite:///{data_dir}/platekeeper.db"
    else:
        schema = schema or f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        admin.dispose()
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    key_file = data_dir / "keys" / "master.key"
    if not key_file.exists():
        write_key_file(key_file, MasterKey.generate())
    config = StoreConfig(
        data_dir=data_dir,
        store=StoreSettings(database_url=url, **store_settings),
        keys=KeySettings(),
    )
    store = open_store(config)
    try:
        yield BenchStore(store, backend, data_dir, schema, url)
    finally:
        store.close()
        if not keep:
            if backend == "postgresql" and schema is not None:
                admin = make_engine(POSTGRES_URL)
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
            if owned:
                shutil.rmtree(data_dir, ignore_errors=True)


def add_cameras(store: Store, count: int, rng: random.Random) -> list[str]:
    existing = {c.code for c in store.cameras.all()}
    codes = []
    for n in range(count):
        code = f"CAM-{n:04d}"
        codes.append(code)
        # Drawn whether or not the camera exists, so that a rerun on kept
        # data continues the random sequence exactly as the first run did.
        spec = CameraSpec(
            code,
            f"Camera {n}",
            f"BANK-{n // 4:03d}",
            f"agency-{n % 14:02d}",
            f"region-{n % 14:02d}",
            37.0 + rng.random() * 8,
            56.0 + rng.random() * 17,
            heading=rng.choice([0.0, 90.0, 180.0, 270.0]),
            direction=rng.choice(["inbound", "outbound"]),
            road_segment=f"M{n % 50:02d}",
        )
        if code not in existing:
            store.cameras.add(spec)
    return codes


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def pg_relation_bytes(store: Store, *tables: str) -> int:
    """Bytes of the tables (partitions included) with their indexes and TOAST."""
    total = 0
    with store.db.read() as session:
        for table in tables:
            total += session.execute(
                text(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "WHERE c.oid = to_regclass(:t) OR c.oid IN "
                    "(SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(:t))"
                ),
                {"t": table},
            ).scalar_one()
    return int(total)

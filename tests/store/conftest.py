"""Fixtures of the store tests: a real store on SQLite and on PostgreSQL.

Each PostgreSQL test gets a schema of its own (dropped afterwards), so tests
never see each other's rows. Time is a settable clock, so retention can be
tested without waiting a month.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from store_testkit import Clock, StoreEnv, jpeg

from platekeeper.crypto.master import MasterKey, write_key_file
from platekeeper.store.engine import make_engine
from platekeeper.store.facade import Store
from platekeeper.store.migrate import upgrade
from platekeeper.store.records import CameraSpec


def _pg_url(base_url: str, schema: str) -> str:
    return f"{base_url}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreEnv]:
    backend = request.param
    schema = None
    base_url = ""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/platekeeper.db"
    else:
        base_url = request.getfixturevalue("postgres_url")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = make_engine(base_url)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        url = _pg_url(base_url, schema)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    master = MasterKey.generate()
    write_key_file(tmp_path / "keys" / "master.key", master)
    store_env = StoreEnv(backend, tmp_path, url, schema, Clock(), master)
    yield store_env
    for store in store_env.opened:
        store.close()
    if schema is not None:
        admin = make_engine(base_url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def store(env: StoreEnv) -> Store:
    return env.open()


@pytest.fixture
def cameras(store: Store) -> dict[str, int]:
    """Three cameras along one road, in two agencies."""
    specs = [
        CameraSpec(
            "TAS-001",
            "Amir Temur 1",
            "TAS-B1",
            "tashkent",
            "Tashkent",
            41.311,
            69.279,
            heading=90.0,
            direction="eastbound",
            road_segment="M39-1",
        ),
        CameraSpec(
            "TAS-002",
            "Amir Temur 2",
            "TAS-B1",
            "tashkent",
            "Tashkent",
            41.315,
            69.300,
            heading=90.0,
            direction="eastbound",
            road_segment="M39-1",
        ),
        CameraSpec(
            "SAM-001",
            "Samarkand gate",
            "SAM-B1",
            "samarkand",
            "Samarkand",
            39.654,
            66.975,
            heading=270.0,
            direction="westbound",
            road_segment="M39-7",
        ),
    ]
    ids = {spec.code: store.cameras.add(spec).id for spec in specs}
    store.cameras.set_neighbours(ids["TAS-001"], {ids["TAS-002"]: 1800.0})
    return ids


@pytest.fixture(scope="session")
def crop_jpeg() -> bytes:
    return jpeg(200, 60, seed=1)


@pytest.fixture(scope="session")
def frame_jpeg() -> bytes:
    return jpeg(640, 360, seed=2)

"""Fixtures for the identity, audit and web tests: a real SQLite database in a
temporary directory (and, where a test runs on both, an empty PostgreSQL
schema of its own), the real services, and a controllable clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import FAST_AUTH, Clock, make_database, make_services, new_client
from investigation_helpers import Sightings, open_web_store, seed
from sqlalchemy import text

from platekeeper.config import Settings
from platekeeper.store.engine import Database, make_engine
from platekeeper.store.facade import Store
from platekeeper.web.app import create_app
from platekeeper.web.services import Services


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, auth=FAST_AUTH)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = make_database(f"sqlite:///{tmp_path / 'test.db'}")
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or a PostgreSQL schema
    of this test's own (dropped afterwards, so tests never see each other's rows)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    base_url = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def services(
    settings: Settings, db: Database, clock: Clock, signing_key: Ed25519PrivateKey
) -> Services:
    return make_services(settings, db, clock, signing_key)


@pytest.fixture
def app(settings: Settings, services: Services) -> FastAPI:
    return create_app(settings, services, background_checkpoints=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with new_client(app) as c:
        yield c


# -- the web app with a real store behind it -----------------------------------


@pytest.fixture
def web_store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    store = open_web_store(tmp_path, clock)
    yield store
    store.close()


@pytest.fixture
def sightings(web_store: Store, clock: Clock) -> Sightings:
    return seed(web_store, clock())


@pytest.fixture
def store_services(
    settings: Settings,
    db: Database,
    clock: Clock,
    signing_key: Ed25519PrivateKey,
    web_store: Store,
) -> Services:
    return make_services(settings, db, clock, signing_key, store=web_store)


@pytest.fixture
def store_app(settings: Settings, store_services: Services) -> FastAPI:
    return create_app(settings, store_services, background_checkpoints=False)

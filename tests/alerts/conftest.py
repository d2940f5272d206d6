"""Fixtures of the alert tests: the web app with an alert bus, on a real
SQLite database, using the identity tests' helpers for accounts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "identity"))

from fastapi import FastAPI
from identity_helpers import FAST_AUTH, Clock, make_database

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.settings import AlertsSettings
from platekeeper.config import Settings
from platekeeper.store.engine import Database
from platekeeper.web.app import create_app
from platekeeper.web.services import Services, build_services


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bus() -> AlertBus:
    return AlertBus(keep=50)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = make_database(f"sqlite:///{tmp_path / 'test.db'}")
    yield database
    database.dispose()


@pytest.fixture
def services(db: Database, clock: Clock, bus: AlertBus, tmp_path: Path) -> Services:
    import os

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    settings = Settings(data_dir=tmp_path, auth=FAST_AUTH)
    return build_services(
        settings,
        db,
        sealing_key=os.urandom(32),
        signing_key=Ed25519PrivateKey.generate(),
        clock=clock,
        alerts=bus,
    )


@pytest.fixture
def app(services: Services, tmp_path: Path) -> FastAPI:
    settings = Settings(
        data_dir=tmp_path,
        auth=FAST_AUTH,
        alerts=AlertsSettings(stream_max_seconds=1.0, stream_heartbeat_s=1.0),
    )
    return create_app(settings, services, background_checkpoints=False)

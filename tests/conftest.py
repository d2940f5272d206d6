"""Shared fixtures: real services on loopback, skipped locally when absent,
a failure under CI=true (where they must be running)."""

from __future__ import annotations

import os
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"

SERVICES = {
    "postgresql": ("127.0.0.1", 5432),
    "redis": ("127.0.0.1", 6379),
    "nats": ("127.0.0.1", 4222),
    "mqtt": ("127.0.0.1", 1883),
}

POSTGRES_URL = os.environ.get(
    "PLATEKEEPER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def service_up(name: str, timeout: float = 1.0) -> bool:
    host, port = SERVICES[name]
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str) -> None:
    """Skip the calling test when ``name`` is not running — or fail under CI."""
    if service_up(name):
        return
    host, port = SERVICES[name]
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> str:
    require_service("postgresql")
    return POSTGRES_URL


@pytest.fixture
def nats_url() -> str:
    require_service("nats")
    host, port = SERVICES["nats"]
    return f"nats://{host}:{port}"


@pytest.fixture
def mqtt_broker() -> tuple[str, int]:
    """Host and port of the Mosquitto broker on loopback."""
    require_service("mqtt")
    return SERVICES["mqtt"]

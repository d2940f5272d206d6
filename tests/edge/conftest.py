"""Fixtures of the edge tests: a real central server with one camera key."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from edge_central import PLATEKEEPER, Central, free_port

from platekeeper.config import Settings
from platekeeper.ingest.camera_keys import CameraKeys
from platekeeper.store.facade import StoreConfig, open_store
from platekeeper.store.records import CameraSpec


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    data_dir = tmp_path / "central"
    env = {**os.environ, "PLATEKEEPER_DATA_DIR": str(data_dir)}
    subprocess.run([str(PLATEKEEPER), "init"], env=env, check=True, capture_output=True)
    store = open_store(StoreConfig.from_settings(Settings(data_dir=data_dir)))
    try:
        spec = CameraSpec("EDGE-01", "Edge test", "EDGE", "tashkent", "Tashkent", 41.3, 69.2)
        store.cameras.add(spec)
        camera = CameraKeys(store.db, store.vault).issue("EDGE-01")
    finally:
        store.close()
    server = Central(data_dir, free_port(), camera)
    yield server
    server.kill()

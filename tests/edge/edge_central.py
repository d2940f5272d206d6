"""A real central server for the edge tests: ``platekeeper serve`` (plain
HTTP on loopback) over an initialised data directory, with one camera key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from platekeeper.config import Settings
from platekeeper.ingest.camera_keys import CameraKeys, IssuedKey
from platekeeper.store.facade import StoreConfig, open_store
from platekeeper.store.models import Read

PLATEKEEPER = Path(sys.executable).with_name("platekeeper")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Central:
    data_dir: Path
    port: int
    camera: IssuedKey
    process: subprocess.Popen[bytes] | None = field(default=None)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "PLATEKEEPER_DATA_DIR": str(self.data_dir), **self.env}
        command = [str(PLATEKEEPER), "serve", "--no-tls", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("platekeeper serve did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def stored(self) -> list[tuple[int, str]]:
        """(read id, capture time) of every stored read, by id."""
        store = open_store(StoreConfig.from_settings(Settings(data_dir=self.data_dir)))
        try:
            with store.db.read() as s:
                rows = s.execute(select(Read.id, Read.captured_at).order_by(Read.id)).all()
            return [(int(i), at.isoformat()) for i, at in rows]
        finally:
            store.close()

    def revoke(self) -> None:
        store = open_store(StoreConfig.from_settings(Settings(data_dir=self.data_dir)))
        try:
            CameraKeys(store.db, store.vault).revoke(self.camera.key_id)
        finally:
            store.close()

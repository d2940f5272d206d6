"""What the simulated network needs before it can feed a server: its banks
as cameras of the store, a key per camera, the feed's saved progress and an
HTTPS client that trusts the server's certificate."""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from platekeeper.ingest.camera_keys import CameraKeys, IssuedKey
    from platekeeper.sim.network import Network
    from platekeeper.store.cameras import CameraRepository


def register_network(cameras: CameraRepository, network: Network) -> int:
    """Add the network's banks as cameras of the store; returns how many were new."""
    from platekeeper.store.records import CameraSpec

    added = 0
    for bank in network.bank_list:
        if cameras.by_code(bank.camera_id) is None:
            cameras.add(CameraSpec(**bank.camera_fields()))
            added += 1
    return added


def issue_keys(keys: CameraKeys, network: Network) -> dict[str, IssuedKey]:
    """A fresh key per bank, the simulator's previous keys revoked: the
    secrets live only in this process."""
    issued = {}
    for bank in network.bank_list:
        for old in keys.list(bank.camera_id):
            if old.revoked_at is None:
                keys.revoke(old.key_id)
        issued[bank.camera_id] = keys.issue(bank.camera_id)
    return issued


Window = tuple[float, float]


@dataclass
class FeedState:
    """What survives a restart (``sim/state.json``): how far the feed has
    sent (``fed_until``), and the windows of history before that still to
    send (``backlog``: the demo sends its last hour first)."""

    path: Path | None  # None: progress is not kept (a one-off run)
    seed: int
    vehicles: int
    reference: date
    fed_until: float = 0.0
    backlog: list[Window] = field(default_factory=list)
    # The live feed and the history each save their progress from a thread of their own.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path, seed: int, vehicles: int, today: date) -> FeedState:
        try:
            raw = json.loads(path.read_text())
            if raw.get("seed") == seed and raw.get("vehicles") == vehicles:
                return cls(
                    path,
                    seed,
                    vehicles,
                    date.fromisoformat(raw["reference"]),
                    float(raw.get("fed_until", 0.0)),
                    [(float(a), float(b)) for a, b in raw.get("backlog", [])],
                )
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return cls(path, seed, vehicles, today)

    def advance(self, until: float) -> None:
        """Everything before ``until`` has been sent (but the backlog): saved."""
        with self.lock:
            if until > self.fed_until:
                self.fed_until = until
                self._save()

    def set_backlog(self, windows: list[Window]) -> None:
        with self.lock:
            self.backlog = [(a, b) for a, b in windows if b > a]
            self._save()

    def save(self) -> None:
        with self.lock:
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "seed": self.seed,
                    "vehicles": self.vehicles,
                    "reference": self.reference.isoformat(),
                    "fed_until": self.fed_until,
                    "backlog": self.backlog,
                }
            )
        )
        tmp.replace(self.path)


def https_client(base_url: str, certificate: Path | None) -> httpx.Client:
    """A client of the server, trusting its (self-signed) certificate."""
    context = ssl.create_default_context(cafile=str(certificate) if certificate else None)
    return httpx.Client(base_url=base_url, verify=context, timeout=30.0)

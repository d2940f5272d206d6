"""A serving stack for tests through the signed camera door: the web app
with ingest, the store, and the rules pipeline running in its own thread
over the store (as ``platekeeper serve`` wires them), with the alerts it
raises collected with their arrival time."""

from __future__ import annotations

import base64
import json
import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import Clock, make_services
from investigation_helpers import CAMERAS

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.model import Alert
from platekeeper.config import Settings
from platekeeper.ingest.service import IngestGateway
from platekeeper.ingest.signing import sign
from platekeeper.ingest.wiring import gateway
from platekeeper.review.pipeline import RulesPipeline
from platekeeper.rules.settings import RulesSettings
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.web.app import create_app
from platekeeper.web.services import Services

READS = "/api/v1/ingest/reads"
PHASES = "/api/v1/signals/phases"


@dataclass
class Serving:
    app: FastAPI
    services: Services
    door: IngestGateway
    pipeline: RulesPipeline
    alerts: queue.Queue[tuple[float, Alert]]
    """Each alert with ``time.perf_counter()`` at its arrival on the bus."""

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until the pipeline has checked everything submitted so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pipeline._pending == 0 and self.pipeline._ids.empty():
                return
            time.sleep(0.02)
        raise AssertionError("the rules pipeline did not catch up")


@contextmanager
def serving(
    settings: Settings, db: Database, clock: Clock, store: Store, checks: dict[str, Any]
) -> Iterator[Serving]:
    from platekeeper.commands.rules_stack import running_rules, store_engine

    for spec in CAMERAS:
        if store.cameras.by_code(spec.code) is None:
            store.cameras.add(spec)
    rules = RulesSettings.model_validate({"checks": checks})
    settings = settings.model_copy(update={"rules": rules})
    door = gateway(settings, store, None)
    bus = AlertBus()
    arrivals: queue.Queue[tuple[float, Alert]] = queue.Queue()
    bus.subscribe(lambda alert: arrivals.put((time.perf_counter(), alert)))
    with running_rules(store, store_engine(settings, store), bus, rules) as pipeline:
        services = make_services(settings, db, clock, store=store, ingest=door)
        app = create_app(settings, services, background_checkpoints=False)
        yield Serving(app, services, door, pipeline, arrivals)


def post_signed(client: TestClient, key: Any, path: str, body: dict[str, Any]) -> Any:
    data = json.dumps(body).encode()
    headers = sign(key.key_id, key.secret, "POST", path, data)
    headers["Content-Type"] = "application/json"
    return client.post(path, content=data, headers=headers)


def read_body(key: str, at: datetime, plate: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotency_key": key,
        "captured_at": at.isoformat(),
        "plate": plate,
        "confidence": 0.9 if plate else 0.0,
        **extra,
    }
    if plate is not None:
        body.setdefault("country", "UZ")
    return body


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()

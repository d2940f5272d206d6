"""The signal door and stop-line tracks: phases from a junction's controller,
signed by a camera of its bank, and reads carrying their track."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from identity_helpers import Clock, make_services, new_client
from investigation_helpers import CAMERAS

from platekeeper.config import Settings
from platekeeper.ingest.signing import sign
from platekeeper.ingest.wiring import gateway
from platekeeper.rules.signal_store import DatabaseSignalTimeline
from platekeeper.rules.signals import Phase
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.web.app import create_app

PATH = "/api/v1/signals/phases"


def post(client: TestClient, key: object, path: str, body: dict[str, object]) -> int:
    data = json.dumps(body).encode()
    headers = sign(key.key_id, key.secret, "POST", path, data)  # type: ignore[attr-defined]
    headers["Content-Type"] = "application/json"
    return client.post(path, content=data, headers=headers).status_code


def test_phases_and_tracks_through_the_door(
    settings: Settings, db: Database, clock: Clock, web_store: Store
) -> None:
    for spec in CAMERAS:
        web_store.cameras.add(spec)
    door = gateway(settings, web_store, None)
    app = create_app(
        settings,
        make_services(settings, db, clock, store=web_store, ingest=door),
        background_checkpoints=False,
    )
    key = door.keys.issue("TAS-001")  # bank TAS-B1
    at = clock()
    with new_client(app) as c:
        event = {"signal": "TAS-B1-sig", "at": at.isoformat(), "phase": "red"}
        assert post(c, key, PATH, {"events": [event]}) == 200
        assert post(c, key, PATH, {"events": [event]}) == 200  # a repeat changes nothing
        other_bank = {**event, "signal": "SAM-B1-sig"}
        assert post(c, key, PATH, {"events": [other_bank]}) == 403
        future = {**event, "at": (at + timedelta(hours=1)).isoformat()}
        assert post(c, key, PATH, {"events": [future]}) == 422
        assert post(c, key, PATH, {"events": [{**event, "phase": "purple"}]}) == 422
        unsigned = c.post(PATH, json={"events": [event]})
        assert unsigned.status_code == 401
        state = DatabaseSignalTimeline(web_store.db).state_at("TAS-B1-sig", at.timestamp())
        assert state is not None
        assert state.phase is Phase.RED

        read = {
            "idempotency_key": "k1",
            "captured_at": at.isoformat(),
            "plate": "01A123BC",
            "confidence": 0.9,
            "track": [
                {"at": (at - timedelta(seconds=1)).isoformat(), "offset_m": -4.0},
                {"at": at.isoformat(), "offset_m": 0.5},
            ],
        }
        assert post(c, key, "/api/v1/ingest/reads", {"reads": [read]}) == 200
        far = {
            **read,
            "idempotency_key": "k2",
            "track": [{"at": (at - timedelta(minutes=5)).isoformat(), "offset_m": -4.0}],
        }
        assert post(c, key, "/api/v1/ingest/reads", {"reads": [far]}) == 422
    (stored,) = web_store.reads.latest([web_store.cameras.by_code("TAS-001").id], at - timedelta(1))  # type: ignore[union-attr]
    assert stored.track == ((at.timestamp() - 1, -4.0), (at.timestamp(), 0.5))

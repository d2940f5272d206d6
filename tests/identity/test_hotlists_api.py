"""Hotlists and the registry import over /api/v1: supervisors keep
hotlists of their agency, administrators import the registry; plates only
in bodies, bad input refused with nothing changed, every step audited, and
a new entry reaches the serving rules at once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import AUDIT_INDEX_KEY, Clock, add_user, new_client, sign_in
from investigation_helpers import OTHER, TRACKED, add_live_read, seed
from sqlalchemy import select

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.model import Alert
from platekeeper.audit.models import AuditEntry
from platekeeper.auth.models import User
from platekeeper.auth.roles import Role
from platekeeper.config import Settings
from platekeeper.crypto.blind_index import audit_index
from platekeeper.review.pipeline import RulesPipeline
from platekeeper.review.violations import ViolationStore
from platekeeper.rules.settings import RulesSettings
from platekeeper.rules.store_context import StoreContextSync
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.web.services import Services, build_services

GOOD_CSV = (
    f"plate,status,country,vehicle_class\n{TRACKED},stolen,UZ,car\n{OTHER},registered,UZ,truck\n"
)


@pytest.fixture
def rules(web_store: Store, clock: Clock, tmp_path: object) -> tuple[RulesPipeline, list[Alert]]:
    from platekeeper.commands.rules_stack import store_engine

    settings = Settings(
        data_dir=tmp_path,  # type: ignore[arg-type]
        rules=RulesSettings.model_validate({"checks": {"hotlist": {"type": "hotlist"}}}),
    )
    bus = AlertBus()
    alerts: list[Alert] = []
    bus.subscribe(alerts.append)
    pipeline = RulesPipeline(
        web_store,
        store_engine(settings, web_store),
        ViolationStore(web_store, clock),
        bus,
        context_sync=StoreContextSync(web_store, settings.rules),
    )
    web_store.reads.add_listener(pipeline.submit)
    seed(web_store, clock())  # the cameras, and reads of the last two days
    return pipeline, alerts


@pytest.fixture
def services(
    settings: Settings,
    db: Database,
    clock: Clock,
    web_store: Store,
    rules: tuple[RulesPipeline, list[Alert]],
) -> Services:
    return build_services(
        settings,
        db,
        sealing_key=os.urandom(32),
        signing_key=Ed25519PrivateKey.generate(),
        clock=clock,
        store=web_store,
        audit_index_key=AUDIT_INDEX_KEY,
        on_hotlist_change=rules[0].refresh_now,
    )


@pytest.fixture
def staff(app: FastAPI, services: Services, clock: Clock) -> Iterator[dict[str, TestClient]]:
    accounts = {
        "sara": add_user(services, "sara", Role.SUPERVISOR),
        "abe": add_user(services, "abe", Role.ADMINISTRATOR),
        "far": add_user(services, "far", Role.SUPERVISOR),
    }
    with services.db.write() as s:
        far = s.get(User, accounts["far"].id)
        assert far is not None
        far.agency = "border guard"
    clients = {n: sign_in(new_client(app), a, clock) for n, a in accounts.items()}
    yield clients
    for c in clients.values():
        c.close()


def audit_rows(services: Services, prefix: str) -> list[AuditEntry]:
    with services.db.read() as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.startswith(prefix))
                .order_by(AuditEntry.seq)
            )
        )


def test_a_supervisor_keeps_a_hotlist(
    staff: dict[str, TestClient],
    services: Services,
    web_store: Store,
    clock: Clock,
    rules: tuple[RulesPipeline, list[Alert]],
) -> None:
    sara, far = staff["sara"], staff["far"]
    pipeline, alerts = rules
    just_seen = add_live_read(web_store, clock() - timedelta(minutes=10), TRACKED)
    pipeline.drain()
    assert alerts == []
    made = sara.post("/api/v1/hotlists", json={"name": "stolen", "priority": 8})
    assert made.status_code == 201, made.text
    list_id = made.json()["id"]
    assert sara.post("/api/v1/hotlists", json={"name": "stolen"}).status_code == 422

    expiry = (clock() + timedelta(days=30)).isoformat()
    added = sara.post(
        "/api/v1/hotlists/entries",
        json={
            "hotlist": "stolen",
            "plate": "01 a 123 bc",
            "reason": "case 7",
            "expires_at": expiry,
        },
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert TRACKED not in added.text  # the answer names the entry, not the plate
    assert (entry["wildcard"], entry["hotlist_id"]) == (False, list_id)
    wild = sara.post("/api/v1/hotlists/entries", json={"hotlist": "stolen", "plate": "40Z*"})
    assert wild.json()["wildcard"] is True

    # Bad input: a clear 4xx, and nothing changes.
    before = sara.get("/api/v1/hotlists").json()
    for bad in (
        {"hotlist": "stolen", "plate": "*"},  # a pattern needs two known characters
        {"hotlist": "stolen", "plate": "01A123BC<script>"},
        {"hotlist": "stolen", "plate": "01A123BC", "expires_at": clock().isoformat()},
        {"hotlist": "stolen", "plate": "01A123BC", "expires_at": "2030-01-01T00:00:00"},
        {"hotlist": "stolen", "plate": "01A123BC", "reason": "x" * 501},
        {"hotlist": "stolen", "plate": "01A123BC", "surprise": True},
    ):
        answer = sara.post("/api/v1/hotlists/entries", json=bad)
        assert answer.status_code == 422, (bad, answer.text)
    nowhere = sara.post("/api/v1/hotlists/entries", json={"hotlist": "nope", "plate": "01A1"})
    assert nowhere.status_code == 404
    assert sara.get("/api/v1/hotlists").json() == before
    assert before == [
        {
            "id": list_id,
            "name": "stolen",
            "agency": "traffic police",
            "description": "",
            "priority": 8,
            "active": True,
            "entries": 2,
            "next_expiry": expiry.replace("+00:00", "Z"),  # the first live entry to end
        }
    ]

    # The serving rules learnt of the entry at once and checked recent reads.
    pipeline.drain()
    assert [(a.finding.read_id, a.finding.details["late"]) for a in alerts if a.finding] == [
        (str(just_seen), True)  # the 40Z* read is older than the re-check window
    ]

    listed = sara.get(f"/api/v1/hotlists/{list_id}/entries").json()
    assert sorted(e["plate"] for e in listed) == ["01A123BC", "40Z*"]
    assert next(e for e in listed if e["plate"] == TRACKED)["reason"] == "case 7"

    # Another agency's supervisor sees nothing of it.
    assert far.get("/api/v1/hotlists").json() == []
    assert far.get(f"/api/v1/hotlists/{list_id}/entries").status_code == 404
    assert far.delete(f"/api/v1/hotlists/entries/{entry['id']}").status_code == 404
    hidden = far.post("/api/v1/hotlists/entries", json={"hotlist": "stolen", "plate": "01A1"})
    assert hidden.status_code == 404

    assert sara.delete(f"/api/v1/hotlists/entries/{entry['id']}").status_code == 200
    assert sara.delete(f"/api/v1/hotlists/entries/{entry['id']}").status_code == 404
    pipeline.drain()
    ids = {e.entry_id for e in pipeline.worker.engine.context.hotlists}
    assert f"store:{entry['id']}" not in ids
    assert f"store:{wild.json()['id']}" in ids

    rows = audit_rows(services, "hotlist.")
    assert [r.action for r in rows] == [
        "hotlist.create",
        "hotlist.add",
        "hotlist.add",
        "hotlist.view",
        "hotlist.remove",
    ]
    assert rows[1].plate_index == audit_index(AUDIT_INDEX_KEY, TRACKED)
    assert rows[3].result_count == 2
    assert all(TRACKED not in (r.details + (r.target or "")) for r in rows)


def test_an_administrator_imports_the_registry_all_or_nothing(
    staff: dict[str, TestClient], services: Services, web_store: Store
) -> None:
    abe, sara = staff["abe"], staff["sara"]
    headers = {"Content-Type": "text/csv"}
    bad = GOOD_CSV + "01B999ZZ,towed,UZ,car\n" + "10B777QQ,registered,UZ\n"
    refused = abe.post("/api/v1/registry/import", content=bad, headers=headers)
    assert refused.status_code == 422
    report = refused.json()
    assert (report["imported"], report["lines"], report["valid"], report["refused"]) == (
        False,
        4,
        2,
        2,
    )
    assert report["problems"][0].startswith("line 4: unknown status")
    assert "01B999ZZ" not in refused.text
    assert web_store.registry.lookup(TRACKED) == []  # nothing was written

    broken = abe.post("/api/v1/registry/import", content="plate,colour_of_sky\n", headers=headers)
    assert broken.status_code == 422
    assert "unknown column" in broken.json()["detail"]
    binary = abe.post("/api/v1/registry/import", content=b"\xff\xfe\x00", headers=headers)
    assert binary.status_code == 422

    checked = abe.post("/api/v1/registry/import?dry_run=true", content=GOOD_CSV, headers=headers)
    assert checked.status_code == 200
    assert checked.json()["imported"] is False
    assert web_store.registry.lookup(TRACKED) == []

    done = abe.post("/api/v1/registry/import", content=GOOD_CSV, headers=headers)
    assert done.status_code == 200
    assert done.json() == {"imported": True, "lines": 2, "valid": 2, "refused": 0, "problems": []}
    (vehicle,) = web_store.registry.lookup(TRACKED)
    assert vehicle.status.value == "stolen"
    assert sara.post("/api/v1/registry/import", content=GOOD_CSV).status_code == 403

    rows = audit_rows(services, "registry.")
    assert [(r.action, r.outcome) for r in rows] == [
        ("registry.import", "refused"),
        ("registry.import", "refused"),
        ("registry.check", "ok"),
        ("registry.import", "ok"),
    ]
    assert all(TRACKED not in r.details for r in rows)

"""What must hold while the app runs: the audit log is checkpointed on a
timer, administrators search plates only when the configuration says so, and
no plate ever reaches a log line during ingest and search."""

from __future__ import annotations

import json
import logging
import ssl
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import FAST_AUTH, Clock, add_user, https_server, make_services, new_client
from identity_helpers import sign_in as api_sign_in
from investigation_helpers import LOOKALIKE, TRACKED, Sightings
from sqlalchemy import select

from platekeeper.audit.log import head_of, last_checkpoint
from platekeeper.audit.models import AuditEntry
from platekeeper.audit.settings import AuditSettings
from platekeeper.audit.verify import verify_log
from platekeeper.auth.roles import Permission, Role
from platekeeper.config import Settings
from platekeeper.ingest.camera_keys import CameraKeys
from platekeeper.ingest.service import IngestGateway, IngestService
from platekeeper.ingest.signing import sign
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.web.app import create_app
from platekeeper.web.services import Services

WHY = {"reason_code": "stolen_vehicle", "case_number": "TSH-2026/0413"}
INGESTED = "77Q987QQ"  # a plate that exists only in this test's camera batch


def search_body(plate: str, clock: Clock, **extra: object) -> dict[str, object]:
    now = clock()
    window = {"start": (now - timedelta(days=7)).isoformat(), "end": now.isoformat()}
    return {"plate": plate, **window, **WHY, **extra}


# -- the periodic checkpoint ------------------------------------------------------


def signed_up_to(db: Database, seq: int) -> bool:
    checkpoint = last_checkpoint(db)
    return checkpoint is not None and checkpoint.seq >= seq


def test_the_running_app_signs_checkpoints_on_its_timer(
    tmp_path: Path, db: Database, clock: Clock
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        auth=FAST_AUTH,
        audit=AuditSettings(checkpoint_every=1000, checkpoint_interval_seconds=1),
    )
    services = make_services(settings, db, clock)
    account = add_user(services, "vera", Role.AUDITOR)
    app = create_app(settings, services)  # with its background checkpoints, as serve runs it
    with https_server(app, tmp_path) as (url, certificate):
        with httpx.Client(
            base_url=url, verify=ssl.create_default_context(cafile=certificate)
        ) as client:
            step = client.post(
                "/api/v1/login", json={"username": "vera", "password": account.password}
            )
            assert step.status_code == 200
        seq, _ = head_of(db)
        assert seq >= 1
        # Far below checkpoint_every: only the timer can sign this head.
        deadline = time.monotonic() + 10
        while not signed_up_to(db, seq) and time.monotonic() < deadline:
            time.sleep(0.2)
    checkpoint = last_checkpoint(db)
    assert checkpoint is not None, "no checkpoint was written while the app ran"
    assert checkpoint.seq == seq
    report = verify_log(db, services.audit.public_keys)
    assert report.ok, report.problems
    assert report.checkpoints >= 1
    assert report.unsigned_tail == 0


# -- admin_may_search -------------------------------------------------------------


def admin_client(
    tmp_path: Path, db: Database, clock: Clock, store: Store, *, may_search: bool
) -> tuple[TestClient, Services]:
    auth = FAST_AUTH.model_copy(update={"admin_may_search": may_search})
    settings = Settings(data_dir=tmp_path, auth=auth)
    services = make_services(settings, db, clock, store=store)
    admin = add_user(services, "ada", Role.ADMINISTRATOR)
    app = create_app(settings, services, background_checkpoints=False)
    return api_sign_in(new_client(app), admin, clock), services


@pytest.mark.parametrize("may_search", [False, True])
def test_administrators_search_only_when_the_config_allows(
    tmp_path: Path,
    db: Database,
    clock: Clock,
    *,
    web_store: Store,
    sightings: Sightings,
    may_search: bool,
) -> None:
    client, services = admin_client(tmp_path, db, clock, web_store, may_search=may_search)
    with client:
        me = client.get("/api/v1/me").json()
        assert (Permission.PLATES_SEARCH.value in me["permissions"]) is may_search
        assert (Permission.JOURNEY_VIEW.value in me["permissions"]) is may_search
        # Never the reviewer's or supervisor's powers, whatever the setting.
        assert Permission.SEARCH_APPROVE.value not in me["permissions"]
        assert Permission.VIOLATIONS_REVIEW.value not in me["permissions"]
        found = client.post("/api/v1/search", json=search_body(TRACKED, clock))
        journey = client.post("/api/v1/journey", json=search_body(TRACKED, clock))
        if not may_search:
            assert (found.status_code, journey.status_code) == (403, 403)
            assert "Plate search" not in json.dumps(me["navigation"])
            return
        assert found.status_code == 200, found.text
        assert len(found.json()["reads"]) == 3  # the north's sightings of the plate
        assert journey.status_code == 200
        assert "Plate search" in json.dumps(me["navigation"])
    with services.db.read() as s:
        searches = s.scalars(select(AuditEntry).where(AuditEntry.action == "search.plates")).all()
        assert [(e.actor, e.reason_code, e.result_count) for e in searches] == [
            ("ada", "stolen_vehicle", 3)
        ]


# -- no plate in any log line -----------------------------------------------------


@pytest.fixture
def door_app(
    settings: Settings, db: Database, clock: Clock, web_store: Store, sightings: Sightings
) -> tuple[FastAPI, Services, CameraKeys]:
    keys = CameraKeys(web_store.db, web_store.vault, clock=clock)
    gateway = IngestGateway(keys, IngestService(web_store.reads, clock), max_body_bytes=200_000)
    services = make_services(settings, db, clock, store=web_store, ingest=gateway)
    return create_app(settings, services, background_checkpoints=False), services, keys


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_no_plate_reaches_the_logs_during_ingest_and_search(
    door_app: tuple[FastAPI, Services, CameraKeys],
    clock: Clock,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    app, services, keys = door_app
    issued = keys.issue("TAS-001")
    at = (clock() - timedelta(minutes=5)).isoformat()
    reads = [
        {"idempotency_key": "k-1", "captured_at": at, "plate": INGESTED, "confidence": 0.9},
        {"idempotency_key": "k-2", "captured_at": at, "plate": INGESTED, "confidence": 2.0},
    ]
    path = "/api/v1/ingest/reads"
    ina = add_user(services, "ina", Role.INVESTIGATOR)
    with new_client(app) as camera, new_client(app) as person:
        # Refused (a confidence above 1), stored, then a duplicate of it.
        for batch, status, counts in (
            ([reads[1]], 422, None),
            ([reads[0]], 200, {"stored": 1, "duplicates": 0}),
            ([reads[0]], 200, {"stored": 0, "duplicates": 1}),
        ):
            body = json.dumps({"reads": batch}).encode()
            signed = sign(issued.key_id, issued.secret, "POST", path, body, now=clock().timestamp())
            answer = camera.post(
                path, content=body, headers={**signed, "Content-Type": "application/json"}
            )
            assert answer.status_code == status, answer.text
            if counts is not None:
                assert answer.json() == counts
        api_sign_in(person, ina, clock)
        assert person.get("/api/v1/reads/live").status_code == 200
        for plate, mode in ((INGESTED, "exact"), (TRACKED, "exact"), (LOOKALIKE, "fuzzy")):
            found = person.post("/api/v1/search", json=search_body(plate, clock, mode=mode))
            assert found.status_code == 200, found.text
            assert found.json()["reads"], plate
        assert person.post("/api/v1/journey", json=search_body(TRACKED, clock)).status_code == 200
        wide = search_body("01A1*", clock, mode="wildcard", note="ring of cloned plates")
        assert person.post("/api/v1/search/approvals", json=wide).status_code == 201
        refused = person.post("/api/v1/search", json=search_body("01A<b>12", clock))
        assert refused.status_code == 422

    text = all_logs.text + "".join(str(r.args) + (r.exc_text or "") for r in all_logs.records)
    # The capture works: the requests themselves were logged (their paths hold no plate).
    assert "/api/v1/search" in text
    assert "/api/v1/ingest/reads" in text
    for plate in (INGESTED, TRACKED, LOOKALIKE, "01A1*", "01A<b>12"):
        assert plate not in text, plate

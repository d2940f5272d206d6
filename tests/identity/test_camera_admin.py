"""Administrators manage cameras in the app (pages and /api/v1 twins), audited;
and read the settings the server runs with."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import Account, Clock, add_user, new_client, sign_in
from investigation_helpers import Sightings
from sqlalchemy import select

from platekeeper.audit.models import AuditEntry
from platekeeper.audit.verify import verify_log
from platekeeper.auth.roles import Role
from platekeeper.ingest.signing import SignatureError, sign
from platekeeper.store.models import Camera, CameraKey
from platekeeper.web.services import Services

NEW = {
    "code": "TAS-NEW-01",
    "name": "Bunyodkor 4",
    "bank": "TAS-B9",
    "agency": "traffic police",
    "region": "north",
    "latitude": 41.29,
    "longitude": 69.22,
    "heading": 90,
}


@pytest.fixture
def admin(store_services: Services, sightings: Sightings) -> Account:
    return add_user(store_services, "root", Role.ADMINISTRATOR, all_regions=True)


@pytest.fixture
def client(store_app: FastAPI, admin: Account, clock: Clock) -> Iterator[TestClient]:
    with new_client(store_app) as c:
        yield sign_in(c, admin, clock)


def entries(services: Services, prefix: str = "camera.") -> list[tuple[str, str | None, Any]]:
    with services.db.read() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        return [
            (r.action, r.target, json.loads(r.details)) for r in rows if r.action.startswith(prefix)
        ]


def verify(services: Services, key_id: str, secret: str) -> str:
    """Check a request signed with the key as the camera door does; the camera's code."""
    raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    body = b"{}"
    headers = sign(key_id, raw, "POST", "/api/v1/ingest/reads", body)
    assert services.cameras_admin is not None
    found = services.cameras_admin.keys.verify(headers, "POST", "/api/v1/ingest/reads", body)
    return found.camera_code


def test_add_a_camera_its_key_works_and_is_shown_once(
    client: TestClient, store_services: Services
) -> None:
    made = client.post("/api/v1/cameras", json=NEW)
    assert made.status_code == 201, made.text
    issued = made.json()
    assert issued["camera"]["code"] == "TAS-NEW-01"
    assert issued["camera"]["active"] is True
    assert verify(store_services, issued["key_id"], issued["secret"]) == "TAS-NEW-01"

    detail = client.get("/api/v1/cameras/TAS-NEW-01").json()
    assert detail["camera"]["heading"] == 90
    assert [k["key_id"] for k in detail["keys"]] == [issued["key_id"]]
    assert issued["secret"] not in json.dumps(detail)  # never shown again
    assert "TAS-NEW-01" in [c["code"] for c in client.get("/api/v1/cameras").json()]

    ((action, target, details),) = entries(store_services)
    assert (action, target) == ("camera.add", "camera:TAS-NEW-01")
    assert details["key_id"] == issued["key_id"]
    assert issued["secret"] not in json.dumps(details)
    store = store_services.cameras_admin.store  # type: ignore[union-attr]
    with store.db.read() as s:
        sealed = s.scalars(select(CameraKey.sealed_secret)).all()
    raw = base64.urlsafe_b64decode(issued["secret"] + "=")
    assert all(raw not in blob for blob in sealed)


def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, store_services: Services
) -> None:
    before = client.get("/api/v1/cameras").json()
    assert client.post("/api/v1/cameras", json={**NEW, "latitude": 91}).status_code == 422
    assert client.post("/api/v1/cameras", json={**NEW, "code": "bad code"}).status_code == 422
    assert client.post("/api/v1/cameras", json={**NEW, "extra": 1}).status_code == 422
    duplicate = client.post("/api/v1/cameras", json={**NEW, "code": "TAS-001"})
    assert duplicate.status_code == 422
    assert "exists already" in duplicate.json()["detail"]
    page = client.post("/admin/cameras", data={**NEW, "latitude": "north-ish"})
    assert page.status_code == 422
    assert "latitude" in page.text
    assert client.patch("/api/v1/cameras/TAS-001", json={"longitude": 200}).status_code == 422
    assert client.patch("/api/v1/cameras/TAS-001", json={"name": ""}).status_code == 422
    assert client.patch("/api/v1/cameras/TAS-001", json={"name": "  "}).status_code == 422
    assert client.get("/api/v1/cameras").json() == before
    assert entries(store_services) == []


def test_pages_add_edit_disable_and_rekey(client: TestClient, store_services: Services) -> None:
    form = {k: str(v) for k, v in NEW.items()}
    added = client.post("/admin/cameras", data=form)
    assert added.status_code == 201
    assert 'data-testid="camera-secret"' in added.text
    assert "TAS-NEW-01" in client.get("/admin/cameras").text

    edit = {**form, "name": "Bunyodkor 4 (east)", "heading": "", "road_segment": "M39-12"}
    saved = client.post("/admin/cameras/TAS-NEW-01", data=edit)
    assert saved.status_code == 303
    camera = client.get("/api/v1/cameras/TAS-NEW-01").json()["camera"]
    assert (camera["name"], camera["heading"], camera["road_segment"]) == (
        "Bunyodkor 4 (east)",
        None,
        "M39-12",
    )
    page = client.get("/admin/cameras/TAS-NEW-01")
    assert page.status_code == 200
    assert "Bunyodkor 4 (east)" in page.text

    first_key = client.get("/api/v1/cameras/TAS-NEW-01").json()["keys"][0]["key_id"]
    assert client.post("/admin/cameras/TAS-NEW-01/disable").status_code == 303
    assert client.get("/api/v1/cameras/TAS-NEW-01").json()["camera"]["active"] is False
    again = client.post("/api/v1/cameras/TAS-NEW-01/keys")
    assert again.status_code == 201
    second = again.json()
    with pytest.raises(SignatureError, match="disabled"):
        verify(store_services, second["key_id"], second["secret"])
    assert client.post("/api/v1/cameras/TAS-NEW-01/enable").json()["active"] is True
    assert verify(store_services, second["key_id"], second["secret"]) == "TAS-NEW-01"

    revoked = client.post(f"/admin/cameras/TAS-NEW-01/keys/{first_key}/revoke")
    assert revoked.status_code == 303
    wrong_camera = client.post(f"/api/v1/cameras/TAS-001/keys/{second['key_id']}/revoke")
    assert wrong_camera.status_code == 404
    listed = client.get("/api/v1/cameras/TAS-NEW-01").json()["keys"]
    keys = {k["key_id"]: k["revoked_at"] for k in listed}
    assert keys[first_key] is not None
    assert keys[second["key_id"]] is None

    assert [(a, d.get("key_id")) for a, _, d in entries(store_services)] == [
        ("camera.add", first_key),
        ("camera.update", None),
        ("camera.disable", None),
        ("camera.key.issue", second["key_id"]),
        ("camera.enable", None),
        ("camera.key.revoke", first_key),
    ]
    update = entries(store_services)[1][2]
    assert update == {
        "code": "TAS-NEW-01",
        "name": "Bunyodkor 4 (east)",
        "heading": None,
        "road_segment": "M39-12",
    }
    report = verify_log(store_services.db, store_services.audit.public_keys)
    assert report.ok, report.problems


def test_a_regional_administrator_keeps_to_their_region(
    store_app: FastAPI, store_services: Services, sightings: Sightings, clock: Clock
) -> None:
    north = add_user(store_services, "nadia", Role.ADMINISTRATOR, region="north")
    with new_client(store_app) as c:
        sign_in(c, north, clock)
        codes = [c["code"] for c in c.get("/api/v1/cameras").json()]
        assert "SAM-001" not in codes
        assert c.get("/api/v1/cameras/SAM-001").status_code == 404
        assert c.post("/api/v1/cameras/SAM-001/disable").status_code == 404
        assert c.patch("/api/v1/cameras/SAM-001", json={"name": "x"}).status_code == 404
        assert c.post("/api/v1/cameras", json={**NEW, "region": "south"}).status_code == 403
        assert c.patch("/api/v1/cameras/TAS-001", json={"region": "south"}).status_code == 403
        assert c.patch("/api/v1/cameras/TAS-001", json={"name": "Amir Temur 1a"}).status_code == 200
    with store_services.cameras_admin.store.db.read() as s:  # type: ignore[union-attr]
        regions = dict(s.execute(select(Camera.code, Camera.region)).all())
    assert regions["TAS-001"] == "north"
    assert regions["SAM-001"] == "south"
    assert [a for a, _, _ in entries(store_services)] == ["camera.update"]


def test_settings_page_shows_what_the_server_runs_with(
    client: TestClient, store_services: Services
) -> None:
    sections = {s["key"]: s for s in client.get("/api/v1/settings").json()}
    assert set(sections) == {"web", "auth", "audit", "store.retention"}
    web = {s["key"]: s for s in sections["web"]["settings"]}
    assert web["web.approval_after_days"]["value"] == 30
    assert web["web.approval_after_days"]["title"] == "Approval threshold (days)"
    assert web["web.second_reviewer"]["value"] is True
    assert web["web.tile_url"]["value"] is None
    auth = {s["key"]: s["value"] for s in sections["auth"]["settings"]}
    assert auth["auth.idle_timeout_minutes"] == 30
    retention = {s["key"]: s["value"] for s in sections["store.retention"]["settings"]}
    assert retention["store.retention.reads.keep_days"] == 30
    page = client.get("/admin/settings")
    assert page.status_code == 200
    assert "Approval threshold (days)" in page.text

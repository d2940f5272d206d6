"""Plate search, journeys, approvals of wide searches, evidence links and the
audit of each, through the HTTP API of the real app over a real store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import AUDIT_INDEX_KEY, Account, Clock, add_user, new_client, sign_in
from investigation_helpers import LOOKALIKE, OTHER, TRACKED, Sightings
from sqlalchemy import select, text

from platekeeper.audit.models import AuditEntry
from platekeeper.auth.roles import Role
from platekeeper.crypto.blind_index import audit_index
from platekeeper.web.services import Services

WHY = {"reason_code": "stolen_vehicle", "case_number": "TSH-2026/0413"}


def window(now: datetime, days: float = 7) -> dict[str, str]:
    return {"start": (now - timedelta(days=days)).isoformat(), "end": now.isoformat()}


def body(plate: str, now: datetime, **extra: Any) -> dict[str, Any]:
    return {"plate": plate, **window(now), **WHY, **extra}


class People(dict[str, TestClient]):
    """Signed-in clients by name, and their accounts (to sign in again)."""

    accounts: dict[str, Account]


@pytest.fixture
def people(
    store_app: FastAPI, store_services: Services, clock: Clock, sightings: Sightings
) -> Iterator[People]:
    accounts = {
        "investigator": add_user(store_services, "ina", Role.INVESTIGATOR),
        "colleague": add_user(store_services, "ivan", Role.INVESTIGATOR),
        "supervisor": add_user(store_services, "sara", Role.SUPERVISOR),
        "far_supervisor": add_user(store_services, "sam", Role.SUPERVISOR, region="south"),
        "operator": add_user(store_services, "otto", Role.OPERATOR),
        "admin": add_user(store_services, "ada", Role.ADMINISTRATOR),
    }
    clients = People({n: sign_in(new_client(store_app), a, clock) for n, a in accounts.items()})
    clients.accounts = accounts
    yield clients
    for c in clients.values():
        c.close()


def entries(services: Services, action: str) -> list[AuditEntry]:
    with services.db.read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_exact_search_sees_own_regions_only_and_is_audited(
    people: dict[str, TestClient], store_services: Services, sightings: Sightings, clock: Clock
) -> None:
    answer = people["investigator"].post("/api/v1/search", json=body(TRACKED, clock()))
    assert answer.status_code == 200, answer.text
    reads = answer.json()["reads"]
    assert [r["plate"] for r in reads] == [TRACKED] * 3
    assert {r["region"] for r in reads} == {"north"}  # the Samarkand sighting is not theirs
    assert [r["id"] for r in reads] == sorted(
        i for i in sightings.ids[TRACKED] if i in {r["id"] for r in reads}
    )
    (entry,) = entries(store_services, "search.plates")
    assert entry.outcome == "ok"
    assert entry.reason_code == "stolen_vehicle"
    assert entry.case_number == "TSH-2026/0413"
    assert entry.result_count == 3
    assert entry.plate_index == audit_index(AUDIT_INDEX_KEY, TRACKED)
    row = json.dumps([entry.details, entry.target, entry.actor])
    assert TRACKED not in row
    assert "01A" not in row


def test_fuzzy_and_camera_filter(people: dict[str, TestClient], clock: Clock) -> None:
    c = people["investigator"]
    fuzzy = c.post("/api/v1/search", json=body(TRACKED, clock(), mode="fuzzy")).json()
    assert sorted(r["plate"] for r in fuzzy["reads"]) == sorted([TRACKED] * 3 + [LOOKALIKE])
    one = c.post("/api/v1/search", json=body(TRACKED, clock(), cameras=["TAS-002"])).json()
    assert [r["camera"] for r in one["reads"]] == ["TAS-002"]
    # A camera of another region does not exist for them.
    far = c.post("/api/v1/search", json=body(TRACKED, clock(), cameras=["SAM-001"]))
    assert far.status_code == 404


def test_bad_searches_are_refused_with_a_reason(
    people: dict[str, TestClient], store_services: Services, clock: Clock
) -> None:
    c = people["investigator"]
    now = clock()
    no_case = {k: v for k, v in body(TRACKED, now).items() if k != "case_number"}
    assert c.post("/api/v1/search", json=no_case).status_code == 422
    bad_reason = body(TRACKED, now, reason_code="curiosity")
    assert c.post("/api/v1/search", json=bad_reason).status_code == 422
    naive = body(TRACKED, now, start="2026-03-01T00:00:00")
    assert c.post("/api/v1/search", json=naive).status_code == 422
    backwards = body(TRACKED, now, start=now.isoformat(), end=(now - timedelta(1)).isoformat())
    assert c.post("/api/v1/search", json=backwards).status_code == 422
    bad_plate = c.post("/api/v1/search", json=body("01A<b>12", now))
    assert bad_plate.status_code == 422
    assert "letters and digits" in bad_plate.json()["detail"]
    # Refused by the store: recorded as refused, with the reason.
    refused = entries(store_services, "search.plates")
    assert [e.outcome for e in refused] == ["refused"]
    # Roles without plate search.
    assert people["operator"].post("/api/v1/search", json=body(TRACKED, now)).status_code == 403
    assert people["admin"].post("/api/v1/search", json=body(TRACKED, now)).status_code == 403


def test_a_wide_search_needs_a_supervisors_approval_used_once(
    people: dict[str, TestClient], store_services: Services, clock: Clock
) -> None:
    ina, sara = people["investigator"], people["supervisor"]
    now = clock()
    wide = body("01A*", now, mode="wildcard")
    first = ina.post("/api/v1/search", json=wide)
    assert first.status_code == 403
    assert "approval" in first.json()["detail"]
    assert [e.outcome for e in entries(store_services, "search.plates")] == ["refused"]

    asked = ina.post("/api/v1/search/approvals", json={**wide, "note": "ring of cloned plates"})
    assert asked.status_code == 201, asked.text
    approval = asked.json()["id"]
    assert asked.json()["status"] == "pending"
    # Not usable before the decision.
    early = ina.post("/api/v1/search", json={**wide, "approval": approval})
    assert early.status_code == 409

    # The south supervisor does not see it; nobody approves their own request.
    assert people["far_supervisor"].get("/api/v1/approvals").json() == []
    far = people["far_supervisor"].post(f"/api/v1/approvals/{approval}", json={"approve": True})
    assert far.status_code == 404
    pending = sara.get("/api/v1/approvals").json()
    assert [p["id"] for p in pending] == [approval]
    assert pending[0]["search"]["plate"] == "01A*"
    assert sara.post(f"/api/v1/approvals/{approval}", json={"approve": False}).status_code == 409
    decided = sara.post(f"/api/v1/approvals/{approval}", json={"approve": True, "note": "ok"})
    assert decided.status_code == 200
    assert decided.json()["status"] == "approved"
    again = sara.post(f"/api/v1/approvals/{approval}", json={"approve": True})
    assert again.status_code == 409

    # Another search, or another person, cannot ride on it.
    changed = ina.post(
        "/api/v1/search", json={**body("01B*", now, mode="wildcard"), "approval": approval}
    )
    assert changed.status_code == 403
    other = people["colleague"].post("/api/v1/search", json={**wide, "approval": approval})
    assert other.status_code == 404

    ran = ina.post("/api/v1/search", json={**wide, "approval": approval})
    assert ran.status_code == 200, ran.text
    plates = sorted(r["plate"] for r in ran.json()["reads"])
    assert plates == sorted([TRACKED] * 3 + [LOOKALIKE])
    assert ina.post("/api/v1/search", json={**wide, "approval": approval}).status_code == 409
    assert ina.get("/api/v1/search/approvals").json()[0]["status"] == "used"

    ok = [e for e in entries(store_services, "search.plates") if e.outcome == "ok"]
    assert len(ok) == 1
    assert json.loads(ok[0].details)["approval"] == approval
    actions = [e.action for e in entries(store_services, "search.approval.request")] + [
        e.action for e in entries(store_services, "search.approval.approve")
    ]
    assert actions == ["search.approval.request", "search.approval.approve"]


def test_a_supervisor_cannot_approve_their_own_and_a_refusal_needs_a_reason(
    people: dict[str, TestClient], clock: Clock
) -> None:
    sara = people["supervisor"]
    long_window = {**body(TRACKED, clock()), **window(clock(), days=90)}
    assert sara.post("/api/v1/search", json=long_window).status_code == 403
    approval = sara.post("/api/v1/search/approvals", json=long_window).json()["id"]
    assert sara.get("/api/v1/approvals").json() == []  # not offered to themselves
    own = sara.post(f"/api/v1/approvals/{approval}", json={"approve": True})
    assert own.status_code == 403


def test_an_approval_expires(people: People, clock: Clock, store_app: FastAPI) -> None:
    ina, sara = people["investigator"], people["supervisor"]
    long_window = {**body(TRACKED, clock()), **window(clock(), days=45)}
    approval = ina.post("/api/v1/search/approvals", json=long_window).json()["id"]
    sara.post(f"/api/v1/approvals/{approval}", json={"approve": True})
    clock.advance(hours=25)
    ina = sign_in(new_client(store_app), people.accounts["investigator"], clock)
    late = ina.post("/api/v1/search", json={**long_window, "approval": approval})
    assert late.status_code == 409
    assert "expired" in late.json()["detail"]


def test_journey_is_ordered_and_audited(
    people: dict[str, TestClient], store_services: Services, clock: Clock
) -> None:
    answer = people["investigator"].post("/api/v1/journey", json=body(TRACKED, clock()))
    assert answer.status_code == 200, answer.text
    journey = answer.json()
    times = [s["captured_at"] for s in journey["sightings"]]
    assert times == sorted(times)
    assert len(times) == 3
    assert journey["cameras"] == 2
    assert [s["camera"] for s in journey["sightings"]] == ["TAS-001", "TAS-002", "TAS-001"]
    (entry,) = entries(store_services, "search.journey")
    assert entry.result_count == 3
    assert entry.case_number == "TSH-2026/0413"
    wildcard = body("01A*", clock(), mode="wildcard")
    assert people["investigator"].post("/api/v1/journey", json=wildcard).status_code == 422
    assert (
        people["operator"].post("/api/v1/journey", json=body(TRACKED, clock())).status_code == 403
    )


def test_images_only_through_the_link_of_whoever_was_shown_them(
    people: dict[str, TestClient], store_services: Services, clock: Clock
) -> None:
    ina = people["investigator"]
    reads = ina.post("/api/v1/search", json=body(OTHER, clock())).json()["reads"]
    url = reads[0]["crop_url"]
    assert url.startswith("/api/v1/evidence/")
    assert OTHER not in url
    image = ina.get(url)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"
    (view,) = entries(store_services, "evidence.view")
    assert view.target == f"read:{reads[0]['id']}"
    assert view.actor == "ina"
    # The same link is worth nothing to someone else, tampered, or later.
    assert people["colleague"].get(url).status_code == 404
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert ina.get(tampered).status_code == 404
    for minutes in (29, 29, 3):  # the session stays alive; the link does not
        clock.advance(minutes=minutes)
        assert ina.get("/api/v1/me").status_code == 200
    assert ina.get(url).status_code == 404
    assert len(entries(store_services, "evidence.view")) == 1


def test_a_search_that_cannot_be_recorded_is_not_answered(
    people: dict[str, TestClient], store_services: Services, clock: Clock
) -> None:
    with store_services.db.write() as s:
        s.execute(
            text(
                "CREATE TRIGGER audit_full BEFORE INSERT ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    answer = people["investigator"].post("/api/v1/search", json=body(TRACKED, clock()))
    assert answer.status_code == 503
    assert TRACKED not in answer.text
    assert "reads" not in answer.json()


def test_cameras_of_own_region(people: dict[str, TestClient]) -> None:
    codes = [c["code"] for c in people["operator"].get("/api/v1/cameras").json()]
    assert codes == ["TAS-001", "TAS-002"]
    page = people["admin"].get("/cameras")
    assert page.status_code == 200
    assert "TAS-002" in page.text
    assert "SAM-001" not in page.text


def test_the_search_page_posts_and_keeps_plates_out_of_urls(
    people: dict[str, TestClient], clock: Clock
) -> None:
    ina = people["investigator"]
    form = ina.get("/search")
    assert form.status_code == 200
    assert 'method="post"' in form.text
    now = clock()
    fields = {
        "plate": TRACKED,
        "mode": "exact",
        "start": (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
        **WHY,
    }
    page = ina.post("/search", data=fields)
    assert page.status_code == 200, page.text
    assert page.text.count(f'<td class="plate">{TRACKED}</td>') == 2  # 50 h ago is outside
    assert 'action="/journey"' in page.text
    assert TRACKED not in str(page.url)
    wide = ina.post("/search", data={**fields, "plate": "01A*", "mode": "wildcard"})
    assert wide.status_code == 403
    assert 'data-testid="approval-needed"' in wide.text
    missing = ina.post("/search", data={**fields, "case_number": ""})
    assert missing.status_code == 422
    assert "case number" in missing.text
    journey = ina.post("/journey", data=fields)
    assert journey.status_code == 200
    assert 'data-testid="journey-timeline"' in journey.text
    assert "journey-map-points" in journey.text


def test_transparency_figures_count_without_naming(
    people: People, store_services: Services, clock: Clock, store_app: FastAPI
) -> None:
    ina = people["investigator"]
    now = clock()
    assert ina.post("/api/v1/search", json=body(TRACKED, now)).status_code == 200
    assert ina.post("/api/v1/journey", json=body(TRACKED, now)).status_code == 200
    assert ina.post("/api/v1/search", json=body("01A*", now, mode="wildcard")).status_code == 403
    ina.post("/api/v1/search/approvals", json=body("01A*", now, mode="wildcard"))
    auditor = add_user(store_services, "vera", Role.AUDITOR)
    with sign_in(new_client(store_app), auditor, clock) as vera:
        answer = vera.get("/api/v1/transparency")
        assert answer.status_code == 200
        report = answer.json()
        assert (report["searches"], report["journeys"], report["refused"]) == (1, 1, 1)
        assert report["by_reason"] == {"stolen_vehicle": 2}
        assert report["results_returned"] == 6
        assert report["people_searching"] == 1
        assert report["approvals_requested"] == 1
        for secret in (TRACKED, "01A", "TSH-2026"):
            assert secret not in answer.text
        assert vera.get("/transparency").status_code == 200
    assert people["investigator"].get("/api/v1/transparency").status_code == 403

"""From stored reads to reviewed violations: the rules pipeline (every read
the store commits), the violation store (one per offence per pass, plate
sealed), and the review queue over HTTP (claim, confirm, second review,
reject with a reason, region scope, audit)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import Clock, add_user, new_client, sign_in
from investigation_helpers import OTHER, TRACKED, seed
from sqlalchemy import select

from platekeeper.alerts.bus import AlertBus
from platekeeper.audit.models import AuditEntry
from platekeeper.auth.roles import Role
from platekeeper.review.models import Violation
from platekeeper.review.pipeline import RulesPipeline
from platekeeper.review.violations import ViolationStore
from platekeeper.rules.context import CameraDirectory, CameraSite, RuleContext
from platekeeper.rules.engine import RulesEngine
from platekeeper.rules.registry import MemoryRegistry, RegistryRecord, RegistryStatus
from platekeeper.rules.settings import RulesSettings
from platekeeper.store.facade import Store
from platekeeper.web.services import Services


@pytest.fixture
def pipeline(web_store: Store, clock: Clock) -> RulesPipeline:
    context = RuleContext(
        cameras=CameraDirectory(
            [
                CameraSite("TAS-001", "north"),
                CameraSite("TAS-002", "north"),
                CameraSite("SAM-001", "south"),
            ]
        ),
        registry=MemoryRegistry(
            [
                RegistryRecord(plate=TRACKED, status=RegistryStatus.STOLEN, country="UZ"),
                RegistryRecord(plate=OTHER, status=RegistryStatus.UNREGISTERED, country="UZ"),
            ]
        ),
    )
    settings = RulesSettings.model_validate({"checks": {"registry": {"type": "registry_status"}}})
    engine = RulesEngine.from_settings(settings, context)
    pipeline = RulesPipeline(web_store, engine, ViolationStore(web_store, clock), AlertBus())
    web_store.reads.add_listener(pipeline.submit)
    return pipeline


@pytest.fixture
def reviewed(
    pipeline: RulesPipeline, web_store: Store, clock: Clock, store_services: Services
) -> RulesPipeline:
    seed(web_store, clock())  # six reads: four of the stolen car, one unregistered
    pipeline.drain()
    return pipeline


def violations(store: Store) -> list[Violation]:
    with store.db.read() as s:
        return list(s.scalars(select(Violation).order_by(Violation.id)))


def test_stored_reads_become_violations_once_and_sealed(
    reviewed: RulesPipeline, web_store: Store
) -> None:
    rows = violations(web_store)
    assert sorted(r.offence for r in rows) == ["stolen"] * 4 + ["unregistered"]
    assert {r.region for r in rows} == {"north", "south"}
    assert all(TRACKED.encode() not in r.sealed and TRACKED not in r.details for r in rows)
    # Redelivery of the same reads adds nothing (the finding's key is unique).
    reviewed.process([r.read_id for r in rows if r.read_id is not None])
    assert len(violations(web_store)) == 5
    # The reads now count as hits (kept under the longer retention).
    read = web_store.reads.get(rows[0].read_id or 0)
    assert read is not None
    assert read.hit


@pytest.fixture
def staff(
    store_app: FastAPI, store_services: Services, clock: Clock, reviewed: RulesPipeline
) -> Iterator[dict[str, TestClient]]:
    accounts = {
        "otto": add_user(store_services, "otto", Role.OPERATOR),
        "olga": add_user(store_services, "olga", Role.OPERATOR),
        "sara": add_user(store_services, "sara", Role.SUPERVISOR),
        "ina": add_user(store_services, "ina", Role.INVESTIGATOR),
    }
    clients = {n: sign_in(new_client(store_app), a, clock) for n, a in accounts.items()}
    yield clients
    for c in clients.values():
        c.close()


def test_review_with_claim_and_second_reviewer(
    staff: dict[str, TestClient], store_services: Services, web_store: Store
) -> None:
    otto, olga, sara = staff["otto"], staff["olga"], staff["sara"]
    queue = otto.get("/api/v1/violations").json()
    assert queue["counts"]["pending"] == 4  # the Samarkand one is another region's
    assert {v["region"] for v in queue["violations"]} == {"north"}
    south = next(r.id for r in violations(web_store) if r.region == "south")
    assert otto.get(f"/api/v1/violations/{south}").status_code == 404

    first = next(v["id"] for v in queue["violations"] if v["offence"] == "unregistered")
    detail = otto.get(f"/api/v1/violations/{first}").json()
    assert detail["plate"] == OTHER
    assert detail["reads"][0]["crop_url"].startswith("/api/v1/evidence/")
    assert otto.get(detail["reads"][0]["crop_url"]).status_code == 200

    assert otto.post(f"/api/v1/violations/{first}/claim").status_code == 200
    held = olga.post(f"/api/v1/violations/{first}/decision", json={"confirm": True})
    assert held.status_code == 409  # claimed by otto
    no_reason = otto.post(f"/api/v1/violations/{first}/decision", json={"confirm": False})
    assert no_reason.status_code == 409
    confirmed = otto.post(f"/api/v1/violations/{first}/decision", json={"confirm": True})
    assert confirmed.json()["status"] == "awaiting_second"
    # Operators do not do second reviews; the first reviewer never does.
    assert (
        olga.post(f"/api/v1/violations/{first}/decision", json={"confirm": True}).status_code == 403
    )
    final = sara.post(f"/api/v1/violations/{first}/decision", json={"confirm": True})
    assert final.status_code == 200
    assert final.json()["status"] == "confirmed"
    again = sara.post(
        f"/api/v1/violations/{first}/decision", json={"confirm": False, "reason": "x"}
    )
    assert again.status_code == 409

    other = next(v["id"] for v in queue["violations"] if v["id"] != first)
    rejected = olga.post(
        f"/api/v1/violations/{other}/decision", json={"confirm": False, "reason": "plate misread"}
    )
    assert rejected.json()["status"] == "rejected"
    counts = sara.get("/api/v1/violations").json()["counts"]
    assert (counts["confirmed"], counts["rejected"], counts["pending"]) == (1, 1, 2)
    assert staff["ina"].get("/api/v1/violations").status_code == 403

    with store_services.db.read() as s:
        actions = [
            e.action
            for e in s.scalars(select(AuditEntry).where(AuditEntry.target == f"violation:{first}"))
        ]
    assert actions == [
        "violation.view",
        "violation.claim",
        "violation.confirm",
        "violation.second.confirm",
    ]


def test_review_pages_with_keyboard_hints(staff: dict[str, TestClient], web_store: Store) -> None:
    otto = staff["otto"]
    page = otto.get("/review")
    assert page.status_code == 200
    assert 'data-testid="review-queue"' in page.text
    first = next(r.id for r in violations(web_store) if r.region == "north")
    detail = otto.get(f"/review/{first}")
    assert detail.status_code == 200
    assert 'data-review-key="c"' in detail.text
    assert "/static/review.js" in detail.text
    done = otto.post(
        f"/review/{first}/decision", data={"decision": "reject", "reason": "not this car"}
    )
    assert done.status_code == 303
    assert otto.get(f"/api/v1/violations/{first}").json()["status"] == "rejected"


def _confirm(staff: dict[str, TestClient], violation_id: int) -> None:
    assert (
        staff["otto"]
        .post(f"/api/v1/violations/{violation_id}/decision", json={"confirm": True})
        .json()["status"]
        == "awaiting_second"
    )
    assert (
        staff["sara"]
        .post(f"/api/v1/violations/{violation_id}/decision", json={"confirm": True})
        .json()["status"]
        == "confirmed"
    )


def _xref_is_right(pdf: bytes) -> bool:
    """Every object the cross-reference table points at starts there."""
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    lines = pdf[start:].split(b"\n")
    count = int(lines[1].split()[1])
    offsets = [int(line.split()[0]) for line in lines[3 : 2 + count]]
    return all(pdf[o:].startswith(f"{n} 0 obj".encode()) for n, o in enumerate(offsets, 1))


def test_a_confirmed_violation_exports_a_package_that_verifies_offline(
    staff: dict[str, TestClient], store_services: Services, web_store: Store, tmp_path: Path
) -> None:
    import io
    import zipfile

    from typer.testing import CliRunner

    from platekeeper.cli import app

    first = next(r.id for r in violations(web_store) if r.region == "north")
    pending = staff["sara"].post(f"/api/v1/violations/{first}/package")
    assert pending.status_code == 409
    _confirm(staff, first)
    assert staff["otto"].post(f"/api/v1/violations/{first}/package").status_code == 403
    answer = staff["sara"].post(f"/api/v1/violations/{first}/package")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    package = tmp_path / "package.zip"
    package.write_bytes(answer.content)
    key = tmp_path / "authority.pem"
    key.write_bytes(web_store.keys.signer().public_key.pem())

    with zipfile.ZipFile(io.BytesIO(answer.content)) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        pdf = z.read("summary.pdf")
    assert {"manifest.json", "manifest.sig", "public-key.pem", "summary.pdf"} <= names
    assert any(n.endswith("-crop.jpg") for n in names)
    assert manifest["violation"]["plate"] == TRACKED or manifest["violation"]["plate"] == OTHER
    assert manifest["violation"]["review"]["second"] == "confirm"
    assert pdf.startswith(b"%PDF-1.4")
    assert _xref_is_right(pdf)

    runner = CliRunner()
    ok = runner.invoke(app, ["evidence", "verify", str(package), "--public-key", str(key)])
    assert ok.exit_code == 0, ok.output
    assert "verified" in ok.output
    embedded = runner.invoke(app, ["evidence", "verify", str(package)])
    assert embedded.exit_code == 0
    assert "--public-key" in embedded.output  # says what the embedded key proves

    def rewritten(change: str) -> Path:
        out = tmp_path / f"{change}.zip"
        with zipfile.ZipFile(package) as src, zipfile.ZipFile(out, "w") as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if change == "image" and item.filename.endswith("-crop.jpg"):
                    data = data[:-10] + bytes(10)
                if change == "manifest" and item.filename == "manifest.json":
                    data = data.replace(b'"offence": "', b'"offence": "x')
                if change == "extra" and item.filename == "summary.pdf":
                    dst.writestr("note.txt", b"added later")
                dst.writestr(item, data)
        return out

    for change, expected in (
        ("image", "changed"),
        ("manifest", "signature"),
        ("extra", "not in the manifest"),
    ):
        bad = runner.invoke(
            app, ["evidence", "verify", str(rewritten(change)), "--public-key", str(key)]
        )
        assert bad.exit_code == 1, change
        assert expected in bad.output, (change, bad.output)
    other_key = tmp_path / "other.pem"
    from platekeeper.crypto.signing import Signer

    other_key.write_bytes(Signer(Signer.new_seed()).public_key.pem())
    wrong = runner.invoke(app, ["evidence", "verify", str(package), "--public-key", str(other_key)])
    assert wrong.exit_code == 1
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"hello")
    junk = runner.invoke(app, ["evidence", "verify", str(not_zip)])
    assert junk.exit_code == 1
    assert "unreadable" in junk.output
    with store_services.db.read() as s:
        exports = s.scalars(select(AuditEntry).where(AuditEntry.action == "evidence.export")).all()
    assert len(exports) == 1


def test_a_driver_sees_their_violation_only_with_link_and_plate(
    staff: dict[str, TestClient],
    store_services: Services,
    store_app: FastAPI,
    web_store: Store,
    clock: Clock,
) -> None:
    row = next(
        r for r in violations(web_store) if r.region == "north" and r.offence == "unregistered"
    )
    sara = staff["sara"]
    assert sara.post(f"/api/v1/violations/{row.id}/driver-link").status_code == 409  # pending
    _confirm(staff, row.id)
    assert staff["otto"].post(f"/api/v1/violations/{row.id}/driver-link").status_code == 403
    link = sara.post(f"/api/v1/violations/{row.id}/driver-link").json()
    assert link["url"].startswith("/verify/")
    assert OTHER not in link["url"]

    with new_client(store_app) as driver:  # not signed in
        form = driver.get(link["url"])
        assert form.status_code == 200
        assert OTHER not in form.text
        assert 'name="plate"' in form.text
        wrong = driver.post(link["url"], data={"plate": "01A999ZZ"})
        assert wrong.status_code == 403
        assert OTHER not in wrong.text
        shown = driver.post(link["url"], data={"plate": "40 z 555 zz"})  # as typed by a person
        assert shown.status_code == 200
        assert f"V-{row.id:08d}" in shown.text
        assert 'data-testid="driver-crop"' in shown.text
        assert "data:image/jpeg;base64," in shown.text
        assert "/api/v1/" not in shown.text  # nothing else reachable from the page
        # Guessing is rate-limited per link, even with the right plate afterwards.
        for _ in range(5):
            driver.post(link["url"], data={"plate": "01A999ZZ"})
        assert driver.post(link["url"], data={"plate": OTHER}).status_code == 429
        token = link["url"].rsplit("/", 1)[1]
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert driver.get(f"/verify/{tampered}").status_code == 404
    clock.advance(days=31)
    with new_client(store_app) as late:
        assert late.get(link["url"]).status_code == 404
    with store_services.db.read() as s:
        actions = [
            e.action
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.action.startswith("driver_link"))
            )
        ]
    assert actions.count("driver_link.create") == 1
    assert actions.count("driver_link.open") == 1
    assert actions.count("driver_link.refused") == 5  # then the limit stops checking
    assert actions.count("driver_link.limited") == 2


def test_other_plates_in_the_frame_are_blurred() -> None:
    import numpy as np

    from platekeeper.recognition import Recognizer
    from platekeeper.review.redact import redact
    from platekeeper.sim.render.crop import render_plate_crop

    rng = np.random.default_rng(7)
    own = render_plate_crop(rng, text="01A123BC", fmt="uz_private").image
    other = render_plate_crop(rng, text="40Z555ZZ", fmt="uz_private").image
    frame = np.full((400, 900, 3), 90, np.uint8)
    frame[60 : 60 + own.shape[0], 40 : 40 + own.shape[1]] = own
    frame[260 : 260 + other.shape[0], 480 : 480 + other.shape[1]] = other
    reader = Recognizer()
    before = {p.text for p in reader.read(frame)}
    assert before == {"01A123BC", "40Z555ZZ"}
    clean, _faces, blurred = redact(frame, "01 A 123 BC", reader.read)
    assert blurred == 1
    after = {p.text for p in reader.read(clean)}
    assert after == {"01A123BC"}
    assert np.array_equal(clean[60:100, 40:200], frame[60:100, 40:200])  # their own stays sharp


def test_a_reviewer_flags_a_seatbelt_once_per_pass(
    staff: dict[str, TestClient], web_store: Store, store_services: Services
) -> None:
    otto = staff["otto"]
    first = next(r for r in violations(web_store) if r.region == "north")
    flagged = otto.post(f"/api/v1/violations/{first.id}/flag", json={"offence": "seatbelt"})
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["offence"] == "seatbelt"
    assert flagged.json()["status"] == "pending"
    again = otto.post(f"/api/v1/violations/{first.id}/flag", json={"offence": "seatbelt"})
    assert again.status_code == 409  # one per offence per pass
    assert (
        otto.post(f"/api/v1/violations/{first.id}/flag", json={"offence": "speeding"}).status_code
        == 422
    )
    phone = otto.post(f"/review/{first.id}/flag", data={"offence": "phone"})
    assert phone.status_code == 303
    new = [r for r in violations(web_store) if r.rule == "manual"]
    assert sorted(r.offence for r in new) == ["phone", "seatbelt"]
    assert all(r.read_id == first.read_id for r in new)
    south = next(r for r in violations(web_store) if r.region == "south")
    assert (
        otto.post(f"/api/v1/violations/{south.id}/flag", json={"offence": "phone"}).status_code
        == 404
    )
    with store_services.db.read() as s:
        flags = s.scalars(select(AuditEntry).where(AuditEntry.action == "violation.flag")).all()
    assert len(flags) == 2

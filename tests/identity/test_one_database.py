"""As ``serve`` runs by default: the identity and audit tables and the store
are one SQLite file, opened twice (the web services' handle and the store's).
A change to the store and its audit entry then commit in one transaction;
two writers on the one file would wait on each other until the busy timeout."""

from __future__ import annotations

import json
import time
from pathlib import Path

from identity_helpers import Clock, add_user, make_database, make_services, new_client, sign_in
from investigation_helpers import OTHER, TRACKED, seed
from sqlalchemy import select, text

from platekeeper.alerts.bus import AlertBus
from platekeeper.audit.models import AuditEntry
from platekeeper.audit.transaction import same_database
from platekeeper.auth.roles import Role
from platekeeper.config import Settings
from platekeeper.review.models import Violation
from platekeeper.review.pipeline import RulesPipeline
from platekeeper.review.violations import ViolationStore
from platekeeper.rules.context import CameraDirectory, CameraSite, RuleContext
from platekeeper.rules.engine import RulesEngine
from platekeeper.rules.registry import MemoryRegistry, RegistryRecord, RegistryStatus
from platekeeper.rules.settings import RulesSettings
from platekeeper.store.facade import Store
from platekeeper.web.app import create_app


def make_violations(store: Store, clock: Clock) -> list[int]:
    context = RuleContext(
        cameras=CameraDirectory([CameraSite("TAS-001", "north"), CameraSite("TAS-002", "north"),
                                 CameraSite("SAM-001", "south")]),
        registry=MemoryRegistry([
            RegistryRecord(plate=TRACKED, status=RegistryStatus.STOLEN, country="UZ"),
            RegistryRecord(plate=OTHER, status=RegistryStatus.UNREGISTERED, country="UZ"),
        ]),
    )  # fmt: skip
    settings = RulesSettings.model_validate({"checks": {"registry": {"type": "registry_status"}}})
    engine = RulesEngine.from_settings(settings, context)
    pipeline = RulesPipeline(store, engine, ViolationStore(store, clock), AlertBus())
    store.reads.add_listener(pipeline.submit)
    seed(store, clock())
    pipeline.drain()
    with store.db.read() as s:
        return list(
            s.scalars(
                select(Violation.id).where(Violation.region == "north").order_by(Violation.id)
            )
        )


def test_review_steps_commit_with_their_entries_in_one_file(
    tmp_path: Path, settings: Settings, clock: Clock, web_store: Store
) -> None:
    db = make_database(str(web_store.db.engine.url))  # the store's own file, as serve opens it
    assert db is not web_store.db
    assert same_database(db, web_store.db)
    services = make_services(settings, db, clock, store=web_store)
    north = make_violations(web_store, clock)
    otto = add_user(services, "otto", Role.OPERATOR)
    app = create_app(settings, services, background_checkpoints=False)
    with new_client(app) as c:
        sign_in(c, otto, clock)
        started = time.monotonic()
        assert c.post(f"/api/v1/violations/{north[0]}/claim").status_code == 200
        decided = c.post(f"/api/v1/violations/{north[0]}/decision", json={"confirm": True})
        assert decided.status_code == 200, decided.text
        assert time.monotonic() - started < 10  # no wait on a second writer
    with db.read() as s:
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-2:] == ["violation.claim", "violation.confirm"]
    db.dispose()


def test_a_flag_and_its_entry_commit_together(
    tmp_path: Path, settings: Settings, clock: Clock, web_store: Store
) -> None:
    db = make_database(str(web_store.db.engine.url))
    services = make_services(settings, db, clock, store=web_store)
    north = make_violations(web_store, clock)
    otto = add_user(services, "otto", Role.OPERATOR)
    app = create_app(settings, services, background_checkpoints=False)

    def manual() -> list[str]:
        with web_store.db.read() as s:
            return list(s.scalars(select(Violation.offence).where(Violation.rule == "manual")))

    with new_client(app) as c:
        sign_in(c, otto, clock)
        started = time.monotonic()
        flagged = c.post(f"/api/v1/violations/{north[0]}/flag", json={"offence": "seatbelt"})
        assert flagged.status_code == 201, flagged.text
        assert time.monotonic() - started < 10  # no wait on a second writer
        with db.write() as s:  # the database refuses audit entries, as on a full disk
            s.execute(
                text(
                    "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
                )
            )
        refused = c.post(f"/api/v1/violations/{north[0]}/flag", json={"offence": "phone"})
        assert refused.status_code == 503
    assert manual() == ["seatbelt"]  # the phone flag went with its entry
    with db.read() as s:
        flags = s.scalars(select(AuditEntry).where(AuditEntry.action == "violation.flag")).all()
    assert [json.loads(f.details)["offence"] for f in flags] == ["seatbelt"]
    db.dispose()

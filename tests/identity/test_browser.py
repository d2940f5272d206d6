"""The pages in Debian's headless Chromium, over HTTPS, with screenshots.

The server is the real app under uvicorn with a self-signed certificate, in a
thread of the test process so that the tests can move its clock (TOTP steps).
Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import pyotp
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from identity_helpers import PASSWORD, Clock, add_user, https_server
from investigation_helpers import TRACKED, Sightings, add_live_read

from platekeeper.auth.bootstrap import create_first_admin
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Role
from platekeeper.config import Settings
from platekeeper.web.access import signed_in
from platekeeper.web.app import create_app
from platekeeper.web.services import Services

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
IN_CI = os.environ.get("CI", "").lower() == "true"
NEW_PASSWORD = "Lantern-Orchard-Quiet-91"

pytestmark = pytest.mark.browser


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if IN_CI:
        pytest.fail("Debian's chromium is required under CI=true (apt-get install chromium)")
    pytest.skip("/usr/bin/chromium is not installed")


def add_map_demo(app: FastAPI) -> None:
    """A page that renders the shared map component (the journey and camera maps use it)."""
    template = """{% extends "base.html" %}
{% from "components.html" import map_panel, map_assets %}
{% block head %}{{ map_assets() }}{% endblock %}
{% block content %}<h1>Map component</h1>
{{ map_panel("demo-map", points, line=True) }}{% endblock %}"""

    @app.get("/test/map")
    def map_page(request: Request, user: Annotated[Principal, signed_in()]) -> HTMLResponse:
        env = app.state.templates.env
        points = [
            {"lat": 41.311, "lon": 69.279, "label": "Tashkent <b>ring road</b>"},
            {"lat": 40.103, "lon": 65.374, "label": "Navoiy"},
            {"lat": 39.654, "lon": 66.975, "label": "Samarkand"},
        ]
        html = env.from_string(template).render(
            principal=user, nav=[], path="/test/map", points=points, request=request
        )
        return HTMLResponse(html)


@pytest.fixture
def services(store_services: Services, sightings: Sightings) -> Services:
    """The browser sees the whole app: a store with cameras and reads behind it."""
    return store_services


@pytest.fixture
def server(settings: Settings, services: Services) -> Iterator[str]:
    require_chromium()
    app = create_app(settings, services, background_checkpoints=False)
    add_map_demo(app)
    with https_server(app, settings.data_dir) as (url, _certificate):
        yield url


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(
            ignore_https_errors=True, viewport={"width": 1280, "height": 860}
        )
        tab = context.new_page()
        tab.problems = []  # CSP violations and requests to other origins
        tab.on("console", lambda m: tab.problems.append(m.text) if m.type == "error" else None)
        tab.on(
            "request", lambda r: None if r.url.startswith(server) else tab.problems.append(r.url)
        )
        tab.set_default_timeout(10_000)
        yield tab
        context.close()
        browser.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_first_sign_in_with_password_change_and_totp(
    server: str, page: Any, services: Services, clock: Clock
) -> None:
    creds = create_first_admin(services.db, services.audit_log, settings=services.auth.settings)
    page.goto(server + "/")
    assert page.url == server + "/login"
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", creds.password)
    shot(page, "01-sign-in")
    page.click("button[type=submit]")
    page.wait_for_url(server + "/login/password")
    page.fill("input[name=current_password]", creds.password)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=repeat_password]", NEW_PASSWORD)
    shot(page, "02-choose-password")
    page.click("button[type=submit]")
    page.wait_for_url(server + "/login/enrol")
    assert page.locator(".qr svg").count() == 1
    secret = page.inner_text("[data-testid=totp-secret]").replace(" ", "")
    shot(page, "03-enrol-totp")
    page.fill("input[name=code]", pyotp.TOTP(secret).at(clock()))
    page.click("button[type=submit]")
    assert page.locator("[data-testid=recovery-codes] li").count() == 10
    shot(page, "04-recovery-codes")
    page.click("text=I have kept them")
    page.wait_for_url(server + "/")
    assert "Welcome, Administrator" in page.inner_text("h1")
    shot(page, "05-dashboard-admin")

    page.click("text=Sign out")
    page.wait_for_url(server + "/login")
    clock.advance(seconds=30)
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/login/mfa")
    page.fill("input[name=code]", pyotp.TOTP(secret).at(clock()))
    shot(page, "06-totp-step")
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")
    assert page.inner_text("[data-testid=whoami]") == "Administrator"
    assert page.problems == []


def sign_in_page(page: Any, server: str, username: str, secret: str, clock: Clock) -> None:
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/login/mfa")
    page.fill("input[name=code]", pyotp.TOTP(secret).at(clock()))
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")
    clock.advance(seconds=30)


def test_admin_creates_a_user(server: str, page: Any, services: Services, clock: Clock) -> None:
    admin = add_user(services, "root", Role.ADMINISTRATOR, all_regions=True)
    add_user(services, "oleg", Role.OPERATOR, region="south")
    sign_in_page(page, server, "root", admin.secret, clock)
    page.click("nav >> text=Users")
    page.wait_for_url(server + "/admin/users")
    page.click("text=New user")
    page.fill("input[name=username]", "nadia.r")
    page.fill("input[name=display_name]", "Nadia Rashidova")
    page.select_option("select[name=role]", "investigator")
    page.fill("input[name=region]", "tashkent")
    shot(page, "10-new-user-form")
    page.click("main button[type=submit]")
    otp = page.inner_text("[data-testid=one-time-password]")
    assert len(otp) == 20
    shot(page, "11-one-time-password")
    page.click("text=All users")
    table = page.inner_text("[data-testid=users-table]")
    assert "nadia.r" in table
    assert "setup" in table
    shot(page, "12-users-list")
    page.click("text=nadia.r")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Disable')")
    page.wait_for_selector("[data-testid=user-status]:has-text('disabled')")
    shot(page, "13-user-disabled")
    assert page.problems == []


def test_auditor_sees_a_verified_log(
    server: str, page: Any, services: Services, clock: Clock
) -> None:
    auditor = add_user(services, "vera", Role.AUDITOR)
    add_user(services, "olim", Role.OPERATOR)
    services.auth.start("olim", "a wrong password!", "198.51.100.7")
    assert services.audit_log.checkpoint(services.db) is not None
    sign_in_page(page, server, "vera", auditor.secret, clock)
    page.click("nav >> text=Audit log")
    status = page.inner_text("[data-testid=verification]")
    assert status.startswith("Verified.")
    assert "1 signed checkpoint matches" in status
    table = page.inner_text("[data-testid=audit-table]")
    assert "auth.login.failed" in table
    assert "bad_password" in table
    shot(page, "20-audit-verified")
    assert page.problems == []


def test_map_component_draws_without_a_tile_server(
    server: str, page: Any, services: Services, clock: Clock
) -> None:
    user = add_user(services, "ivan", Role.INVESTIGATOR)
    sign_in_page(page, server, "ivan", user.secret, clock)
    page.goto(server + "/test/map")
    page.wait_for_selector("#demo-map[data-map-ready=true]")
    assert page.get_attribute("#demo-map", "data-markers") == "3"
    assert page.locator("#demo-map path.leaflet-interactive").count() == 3
    assert page.locator("#demo-map path[fill=none]").count() == 1  # and the route between them
    page.hover("#demo-map path.leaflet-interactive >> nth=0")
    tooltip = page.locator(".leaflet-tooltip").first
    assert "<b>" in tooltip.inner_text()  # labels are text, never markup
    shot(page, "30-map-no-tiles")
    assert page.problems == []  # nothing requested from another origin, no CSP errors


def sign_out(page: Any, server: str) -> None:
    page.click("text=Sign out")
    page.wait_for_url(server + "/login")


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll from Python: the pages' CSP forbids the string evaluation that
    Playwright's wait_for_function would need."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def images_loaded(page: Any, selector: str) -> int:
    return int(
        page.eval_on_selector_all(
            selector, "els => els.filter(e => e.complete && e.naturalWidth > 0).length"
        )
    )


def test_investigator_searches_with_a_reason_and_follows_the_journey(
    server: str, page: Any, services: Services, clock: Clock
) -> None:
    ina = add_user(services, "ina", Role.INVESTIGATOR)
    sign_in_page(page, server, "ina", ina.secret, clock)
    page.click("nav >> text=Plate search")
    page.wait_for_url(server + "/search")
    page.fill("input[name=plate]", "01 a 123 bc")
    page.select_option("select[name=reason_code]", "stolen_vehicle")
    page.fill("input[name=case_number]", "TSH-2026/0413")
    shot(page, "40-search-form")
    page.click("[data-testid=search-form] button[type=submit]")
    rows = page.locator("[data-testid=search-results] tbody tr")
    assert rows.count() == 3
    assert page.locator("[data-testid=search-results] td.plate").all_inner_texts() == [TRACKED] * 3
    assert "SAM-001" not in page.inner_text("[data-testid=search-results]")
    wait_until(lambda: images_loaded(page, "[data-testid=search-results] img.thumb") == 3)
    assert TRACKED not in page.url
    assert "01" not in page.url.split("/", 3)[-1]
    shot(page, "41-search-results")

    page.click("[data-testid=search-results] button:has-text('Journey') >> nth=0")
    page.wait_for_selector("#journey-map[data-map-ready=true]")
    assert page.get_attribute("#journey-map", "data-markers") == "3"
    assert page.locator("#journey-map path.leaflet-interactive").count() == 3
    assert page.locator("[data-testid=journey-timeline] li").count() == 3
    assert images_loaded(page, "[data-testid=journey-timeline] img.thumb") == 3
    assert "3 sightings at 2 cameras" in page.inner_text("#journey-title")
    shot(page, "42-journey-map")
    assert page.problems == []


def test_a_wildcard_search_asked_approved_and_run(
    server: str, page: Any, services: Services, clock: Clock
) -> None:
    ina = add_user(services, "ina", Role.INVESTIGATOR)
    sara = add_user(services, "sara", Role.SUPERVISOR)
    sign_in_page(page, server, "ina", ina.secret, clock)
    page.goto(server + "/search")
    page.fill("input[name=plate]", "01A*")
    page.select_option("select[name=mode]", "wildcard")
    page.select_option("select[name=reason_code]", "investigation")
    page.fill("input[name=case_number]", "TSH-2026/0500")
    page.click("[data-testid=search-form] button[type=submit]")
    page.wait_for_selector("[data-testid=approval-needed]")
    page.fill("[data-testid=approval-needed] textarea[name=note]", "cloned plates on the ring road")
    shot(page, "43-approval-needed")
    page.click("text=Ask a supervisor")
    page.wait_for_selector("[data-testid=approval-asked]")
    assert "pending" in page.inner_text("[data-testid=my-approvals]")
    sign_out(page, server)

    sign_in_page(page, server, "sara", sara.secret, clock)
    page.click("nav >> text=Approvals")
    table = page.inner_text("[data-testid=pending-approvals]")
    assert "01A*" in table
    assert "cloned plates" in table
    shot(page, "44-approvals-pending")
    page.click("[data-testid=pending-approvals] button:has-text('Approve')")
    page.wait_for_selector("[data-testid=pending-approvals] .empty")
    sign_out(page, server)

    sign_in_page(page, server, "ina", ina.secret, clock)
    page.goto(server + "/search")
    assert "approved" in page.inner_text("[data-testid=my-approvals]")
    page.click("[data-testid=run-approved]")
    assert page.locator("[data-testid=search-results] tbody tr").count() == 4
    shot(page, "45-approved-wildcard-results")
    assert "used" in page.inner_text("[data-testid=my-approvals]")
    # The one error the console shows is the 403 of the unapproved search itself.
    assert [p for p in page.problems if "403 (Forbidden)" not in p] == []
    assert len(page.problems) == 1


def test_live_reads_arrive_without_reloading(
    server: str, page: Any, services: Services, web_store: Any, clock: Clock
) -> None:
    otto = add_user(services, "otto", Role.OPERATOR)
    sign_in_page(page, server, "otto", otto.secret, clock)
    page.click("nav >> text=Live reads")
    page.wait_for_selector("[data-testid=live-state]:has-text('live')")
    assert page.locator("[data-testid=live-reads] tbody tr").count() == 0
    read_id = add_live_read(web_store, clock(), "10B777QQ")
    add_live_read(web_store, clock(), "95H321LA", camera="SAM-001")  # not their region
    page.wait_for_selector(f"[data-testid=live-reads] tr[data-read='{read_id}']", timeout=15_000)
    wait_until(lambda: images_loaded(page, "[data-testid=live-reads] img.thumb") == 1)
    assert page.locator("[data-testid=live-reads] tbody tr").count() == 1
    assert "10B777QQ" in page.inner_text("[data-testid=live-reads]")
    shot(page, "46-live-reads")
    page.click("nav >> text=Cameras")
    page.wait_for_selector("#camera-map[data-map-ready=true]")
    assert page.get_attribute("#camera-map", "data-markers") == "2"
    shot(page, "47-cameras")
    assert page.problems == []


def test_an_operator_reviews_with_the_keyboard(
    server: str, page: Any, services: Services, web_store: Any, clock: Clock
) -> None:
    from sqlalchemy import select

    from platekeeper.review.models import Violation
    from platekeeper.review.pipeline import RulesPipeline
    from platekeeper.review.violations import ViolationStore
    from platekeeper.rules.context import CameraDirectory, CameraSite, RuleContext
    from platekeeper.rules.engine import RulesEngine
    from platekeeper.rules.registry import MemoryRegistry, RegistryRecord, RegistryStatus
    from platekeeper.rules.settings import RulesSettings

    context = RuleContext(
        cameras=CameraDirectory([CameraSite("TAS-001", "north"), CameraSite("TAS-002", "north")]),
        registry=MemoryRegistry(
            [RegistryRecord(plate=TRACKED, status=RegistryStatus.EXPIRED, country="UZ")]
        ),
    )
    checks = RulesSettings.model_validate({"checks": {"registry": {"type": "registry_status"}}})
    pipeline = RulesPipeline(
        web_store, RulesEngine.from_settings(checks, context), ViolationStore(web_store, clock)
    )
    from platekeeper.store.models import Read

    with web_store.db.read() as s:
        pipeline.process(list(s.scalars(select(Read.id))))
    otto = add_user(services, "otto", Role.OPERATOR)
    sign_in_page(page, server, "otto", otto.secret, clock)
    page.click("nav >> text=Review")
    rows = page.locator("[data-testid=review-queue] tbody tr")
    assert rows.count() == 3  # the north sightings of the expired car
    shot(page, "50-review-queue")
    page.click("[data-testid=review-queue] a:has-text('Open') >> nth=0")
    page.wait_for_selector("[data-testid=violation-plate]")
    assert page.inner_text("[data-testid=violation-plate]") == TRACKED
    wait_until(lambda: images_loaded(page, "[data-testid=violation-evidence] img.zoom") == 1)
    shot(page, "51-review-detail")
    first = page.url
    page.keyboard.press("c")  # confirm, and on to the next one
    page.wait_for_url(lambda url: url != first)
    page.keyboard.press("r")
    page.keyboard.type("plate hidden by a tow bar")
    page.keyboard.press("Escape")
    second = page.url
    page.keyboard.press("x")  # reject with the reason typed
    page.wait_for_url(lambda url: url != second)
    with web_store.db.read() as s:
        states = sorted(s.scalars(select(Violation.status).where(Violation.region == "north")))
    assert states == ["awaiting_second", "pending", "rejected"]
    assert page.problems == []


def test_admin_adds_a_camera_and_issues_a_key(
    server: str, page: Any, services: Services, clock: Clock
) -> None:
    admin = add_user(services, "root", Role.ADMINISTRATOR, all_regions=True)
    sign_in_page(page, server, "root", admin.secret, clock)
    page.click("nav >> text=Manage cameras")
    page.wait_for_url(server + "/admin/cameras")
    page.click("text=New camera")
    page.fill("input[name=code]", "TAS-CHOR-02")
    page.fill("input[name=name]", "Chorsu 2")
    page.fill("input[name=bank]", "TAS-B7")
    page.fill("input[name=agency]", "traffic police")
    page.fill("input[name=region]", "north")
    page.fill("input[name=latitude]", "41.326")
    page.fill("input[name=longitude]", "69.228")
    page.fill("input[name=heading]", "270")
    shot(page, "40-new-camera-form")
    page.click("main button[type=submit]")
    secret = page.inner_text("[data-testid=camera-secret]")
    key_id = page.inner_text("[data-testid=camera-key-id]")
    assert len(secret) == 43
    assert key_id.startswith("ck_")
    shot(page, "41-camera-key-shown-once")
    page.click("text=Open the camera")
    page.wait_for_url(server + "/admin/cameras/TAS-CHOR-02")
    assert secret not in page.content()
    page.fill("input[name=name]", "Chorsu 2 (west)")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("h1:has-text('Chorsu 2 (west)')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Disable')")
    page.wait_for_selector("[data-testid=camera-state]:has-text('disabled')")
    assert key_id in page.inner_text("[data-testid=camera-keys]")
    shot(page, "42-camera-disabled")
    page.click("nav >> text=Settings")
    page.wait_for_url(server + "/admin/settings")
    assert "Approval threshold (days)" in page.inner_text("main")
    shot(page, "43-settings")
    assert page.problems == []


def test_a_supervisor_keeps_a_hotlist(
    server: str, page: Any, services: Services, clock: Clock
) -> None:
    sara = add_user(services, "sara", Role.SUPERVISOR)
    sign_in_page(page, server, "sara", sara.secret, clock)
    page.click("nav >> text=Hotlists")
    page.wait_for_url(server + "/hotlists")
    page.fill("input[name=name]", "stolen")
    page.select_option("select[name=priority]", "8")
    page.fill("input[name=description]", "Reported stolen, Tashkent")
    page.click("button:has-text('Create hotlist')")
    page.wait_for_selector("h1:has-text('stolen')")
    page.fill("input[name=plate]", "01 a 123 bc")
    page.fill("input[name=days]", "30")
    page.fill("input[name=reason]", "case 7")
    page.click("button:has-text('Add to stolen')")
    page.wait_for_selector("[data-testid=hotlist-entries] .plate")
    assert page.url.removeprefix(server + "/hotlists/").isdigit()  # an id, never a plate
    entries = page.inner_text("[data-testid=hotlist-entries]")
    assert TRACKED in entries
    assert "case 7" in entries
    shot(page, "50-hotlist-entries")
    page.click("text=All hotlists")
    assert "1" in page.inner_text("[data-testid=hotlists-table] tbody td:nth-child(3)")
    shot(page, "51-hotlists")
    assert page.problems == []

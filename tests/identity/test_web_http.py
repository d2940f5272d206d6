"""HTTP tests of the pages and their API twins through the real app."""

from __future__ import annotations

import re

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import PASSWORD, Clock, add_user, code_now, new_client, sign_in
from sqlalchemy import text

from platekeeper.auth.bootstrap import create_first_admin
from platekeeper.auth.roles import Role
from platekeeper.config import Settings
from platekeeper.web.access import SESSION_COOKIE
from platekeeper.web.app import create_app
from platekeeper.web.services import Services
from platekeeper.web.settings import WebSettings

NEW_PASSWORD = "Lantern-Orchard-Quiet-91"


def test_first_sign_in_through_the_pages(
    client: TestClient, services: Services, clock: Clock
) -> None:
    creds = create_first_admin(services.db, services.audit_log, settings=services.auth.settings)
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="password"' in page.text

    bad = client.post("/login", data={"username": "admin", "password": "wrong"})
    assert bad.status_code == 401
    assert "Sign-in failed" in bad.text

    step = client.post("/login", data={"username": "admin", "password": creds.password})
    assert step.status_code == 303
    assert step.headers["location"] == "/login/password"
    cookie = step.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict", "Secure"):
        assert attribute.lower() in cookie.lower()
    assert "domain" not in cookie.lower()
    assert client.get("/").status_code == 303  # the dashboard stays shut

    mismatch = client.post(
        "/login/password",
        data={
            "current_password": creds.password,
            "new_password": NEW_PASSWORD,
            "repeat_password": "other",
        },
    )
    assert mismatch.status_code == 422
    common = client.post(
        "/login/password",
        data={
            "current_password": creds.password,
            "new_password": "Password12345",
            "repeat_password": "Password12345",
        },
    )
    assert common.status_code == 422
    assert "too common" in common.text
    changed = client.post(
        "/login/password",
        data={
            "current_password": creds.password,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert changed.headers["location"] == "/login/enrol"

    enrol = client.get("/login/enrol")
    assert "<svg" in enrol.text
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', enrol.text)
    assert secret is not None
    secret_value = secret.group(1).replace(" ", "")
    wrong = client.post("/login/enrol", data={"code": "123456"})
    assert wrong.status_code == 422
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret_value).at(clock())})
    assert done.status_code == 200
    codes = re.findall(r"<code>([A-Z0-9-]{19})</code>", done.text)
    assert len(codes) == 10
    home = client.get("/")
    assert home.status_code == 200
    assert "Welcome, Administrator" in home.text
    assert 'href="/admin/users"' in home.text
    assert 'href="/audit"' not in home.text  # role-aware navigation

    assert client.post("/logout").headers["location"] == "/login"
    assert client.get("/").status_code == 303
    clock.advance(seconds=30)
    assert (
        client.post("/login", data={"username": "admin", "password": NEW_PASSWORD}).headers[
            "location"
        ]
        == "/login/mfa"
    )
    assert client.post("/login/mfa", data={"code": "000000"}).status_code == 401
    ok = client.post("/login/mfa", data={"code": pyotp.TOTP(secret_value).at(clock())})
    assert ok.headers["location"] == "/"
    assert client.get("/").status_code == 200


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for path in ("/login", "/healthz", "/static/app.css", "/nowhere", "/api/v1/me"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["x-content-type-options"] == "nosniff"
        expected = "public, max-age=3600" if path.startswith("/static") else "no-store"
        assert response.headers["cache-control"] == expected, path
    assert client.get("/healthz").text == "ok"


def test_tile_server_is_the_only_other_origin_allowed(
    settings: Settings, services: Services
) -> None:
    tiles = settings.model_copy(
        update={"web": WebSettings(tile_url="https://tiles.example.org/{z}/{x}/{y}.png")}
    )
    with new_client(create_app(tiles, services, background_checkpoints=False)) as c:
        csp = c.get("/login").headers["content-security-policy"]
    assert "img-src 'self' data: https://tiles.example.org" in csp


def test_cross_site_writes_are_refused(
    client: TestClient, services: Services, clock: Clock
) -> None:
    add_user(services, "ada", Role.ADMINISTRATOR, all_regions=True)
    login = {"username": "ada", "password": PASSWORD}
    assert (
        client.post("/login", data=login, headers={"Sec-Fetch-Site": "cross-site"}).status_code
        == 403
    )
    assert (
        client.post("/login", data=login, headers={"Sec-Fetch-Site": "same-site"}).status_code
        == 403
    )
    assert (
        client.post("/login", data=login, headers={"Origin": "https://evil.example"}).status_code
        == 403
    )
    assert client.post(
        "/api/v1/login", json=login, headers={"Origin": "https://evil.example"}
    ).json()["detail"]
    ok = client.post(
        "/login",
        data=login,
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "https://testserver"},
    )
    assert ok.status_code == 303
    same = client.post("/login", data=login, headers={"Origin": "https://testserver"})
    assert same.status_code == 303
    # A cross-site GET is harmless and allowed (it changes nothing).
    assert client.get("/login", headers={"Sec-Fetch-Site": "cross-site"}).status_code in (200, 303)


def test_admin_manages_users_and_disabling_ends_sessions(
    app: FastAPI, services: Services, clock: Clock
) -> None:
    admin = sign_in(new_client(app), add_user(services, "root", Role.ADMINISTRATOR), clock)
    created = admin.post(
        "/api/v1/users",
        json={
            "username": "Olga.K",
            "display_name": "Olga K",
            "role": "investigator",
            "agency": "traffic police",
            "region": "north",
        },
    )
    assert created.status_code == 201, created.text
    issued = created.json()
    assert issued["user"]["username"] == "olga.k"
    assert issued["user"]["status"] == "setup"

    # The new user signs in with the one-time password and must change it first.
    olga = new_client(app)
    step = olga.post(
        "/api/v1/login", json={"username": "olga.k", "password": issued["one_time_password"]}
    )
    assert step.json()["stage"] == "change_password"
    assert (
        olga.post(
            "/api/v1/login/password",
            json={"current_password": issued["one_time_password"], "new_password": NEW_PASSWORD},
        ).json()["stage"]
        == "enrol_totp"
    )
    secret = olga.get("/api/v1/login/enrol").json()["secret"]
    done = olga.post("/api/v1/login/enrol", json={"code": pyotp.TOTP(secret).at(clock())})
    assert done.json()["stage"] == "active"
    assert len(done.json()["recovery_codes"]) == 10
    assert olga.get("/api/v1/me").json()["role"] == "investigator"
    assert olga.get("/api/v1/users").status_code == 403

    uid = issued["user"]["id"]
    assert admin.get(f"/api/v1/users/{uid}").json()["active_sessions"] == 1
    changed = admin.patch(f"/api/v1/users/{uid}", json={"role": "supervisor"})
    assert changed.json()["role"] == "supervisor"
    assert olga.get("/api/v1/me").json()["role"] == "supervisor"  # at the next request
    disabled = admin.post(f"/api/v1/users/{uid}/disable")
    assert disabled.json()["status"] == "disabled"
    assert disabled.json()["active_sessions"] == 0
    assert olga.get("/api/v1/me").status_code == 401
    clock.advance(seconds=30)
    again = new_client(app).post(
        "/api/v1/login", json={"username": "olga.k", "password": NEW_PASSWORD}
    )
    assert again.status_code == 401
    assert admin.post(f"/api/v1/users/{uid}/enable").json()["status"] == "active"

    reset = admin.post(f"/api/v1/users/{uid}/reset").json()
    assert reset["user"]["enrolled"] is False
    assert reset["one_time_password"] != issued["one_time_password"]

    dup = admin.post(
        "/api/v1/users",
        json={
            "username": "olga.k",
            "display_name": "x",
            "role": "operator",
            "agency": "a",
            "region": "north",
        },
    )
    assert dup.status_code == 409
    bad = admin.post(
        "/api/v1/users",
        json={
            "username": "no",
            "display_name": "x",
            "role": "emperor",
            "agency": "a",
            "region": "north",
        },
    )
    assert bad.status_code == 422
    me = admin.get("/api/v1/me").json()["user_id"]
    assert admin.post(f"/api/v1/users/{me}/disable").status_code == 403  # not one's own account


def test_other_regions_answer_404(app: FastAPI, services: Services, clock: Clock) -> None:
    admin = sign_in(new_client(app), add_user(services, "north-admin", Role.ADMINISTRATOR), clock)
    south = add_user(services, "south-op", Role.OPERATOR, region="south")
    north = add_user(services, "north-op", Role.OPERATOR, region="north")
    listed = {u["username"] for u in admin.get("/api/v1/users").json()}
    assert "north-op" in listed
    assert "south-op" not in listed
    assert admin.get(f"/api/v1/users/{north.id}").status_code == 200
    assert admin.get(f"/api/v1/users/{south.id}").status_code == 404
    assert admin.get(f"/admin/users/{south.id}").status_code == 404
    assert admin.post(f"/api/v1/users/{south.id}/disable").status_code == 404
    grant = admin.post(
        "/api/v1/users",
        json={
            "username": "wide",
            "display_name": "W",
            "role": "operator",
            "agency": "a",
            "region": "north",
            "all_regions": True,
        },
    )
    assert grant.status_code == 403
    elsewhere = admin.post(
        "/api/v1/users",
        json={
            "username": "far",
            "display_name": "F",
            "role": "operator",
            "agency": "a",
            "region": "south",
        },
    )
    assert elsewhere.status_code == 403


def test_create_user_page_shows_the_password_once(
    app: FastAPI, services: Services, clock: Clock
) -> None:
    admin = sign_in(new_client(app), add_user(services, "root", Role.ADMINISTRATOR), clock)
    form = admin.get("/admin/users/new")
    assert 'name="role"' in form.text
    made = admin.post(
        "/admin/users",
        data={
            "username": "piet",
            "display_name": "Piet",
            "role": "operator",
            "agency": "traffic police",
            "region": "north",
        },
    )
    assert made.status_code == 201
    assert 'data-testid="one-time-password"' in made.text
    assert made.headers["cache-control"] == "no-store"
    refused = admin.post(
        "/admin/users",
        data={
            "username": "piet",
            "display_name": "Piet",
            "role": "operator",
            "agency": "traffic police",
            "region": "north",
        },
    )
    assert refused.status_code == 409
    assert "taken" in refused.text
    listing = admin.get("/admin/users")
    assert "piet" in listing.text


def test_audit_viewer_and_verification(app: FastAPI, services: Services, clock: Clock) -> None:
    auditor = sign_in(new_client(app), add_user(services, "aud", Role.AUDITOR), clock)
    page = auditor.get("/audit")
    assert page.status_code == 200
    assert "Verified." in page.text
    assert "auth.login" in page.text
    data = auditor.get("/api/v1/audit", params={"action": "auth.", "limit": 1}).json()
    assert data["verification"]["ok"] is True
    assert len(data["entries"]) == 1
    assert all(e["action"].startswith("auth.") for e in data["entries"])
    assert data["next_before"] is not None
    older = auditor.get("/api/v1/audit", params={"before": data["next_before"]}).json()
    assert all(e["seq"] < data["next_before"] for e in older["entries"])
    assert auditor.get("/api/v1/audit", params={"action": "x' or 1=1"}).status_code == 422

    with services.db.engine.begin() as conn:  # tamper with an entry behind the app's back
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1"))
    tampered = auditor.get("/audit")
    assert "Tampering detected" in tampered.text
    report = auditor.get("/api/v1/audit/verification").json()
    assert report["ok"] is False
    assert report["first_bad_seq"] == 1


def test_failed_audit_write_answers_503(app: FastAPI, services: Services, clock: Clock) -> None:
    admin = sign_in(new_client(app), add_user(services, "root", Role.ADMINISTRATOR), clock)
    with services.db.write() as s:
        s.execute(
            text(
                "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
            )
        )
    made = admin.post(
        "/api/v1/users",
        json={
            "username": "ghost",
            "display_name": "G",
            "role": "operator",
            "agency": "a",
            "region": "north",
        },
    )
    assert made.status_code == 503
    assert "not done" in made.json()["detail"]
    page = admin.post(
        "/admin/users",
        data={
            "username": "ghost",
            "display_name": "G",
            "role": "operator",
            "agency": "a",
            "region": "north",
        },
    )
    assert page.status_code == 503
    login = new_client(app).post("/api/v1/login", json={"username": "root", "password": PASSWORD})
    assert login.status_code == 503
    with services.db.write() as s:
        s.execute(text("DROP TRIGGER audit_down"))
    assert all(u["username"] != "ghost" for u in admin.get("/api/v1/users").json())


def test_openapi_documents_every_api_route(
    client: TestClient, app: FastAPI, services: Services, clock: Clock
) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 401
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code in (303, 404)
    sign_in(client, add_user(services, "opal", Role.OPERATOR), clock)
    schema = client.get("/api/v1/openapi.json").json()
    documented = set(schema["paths"])
    api_paths = {key.split(" ", 1)[1] for key in app.state.access if " /api/v1/" in key}
    assert api_paths - {"/api/v1/openapi.json"} <= documented
    assert not any(not p.startswith("/api/v1/") for p in documented)
    assert "UserSummary" in schema["components"]["schemas"]
    assert "AuditPage" in schema["components"]["schemas"]


def test_wrong_codes_through_the_api_lock_the_account(
    client: TestClient, services: Services, clock: Clock
) -> None:
    acc = add_user(services, "kim", Role.OPERATOR)
    client.post("/api/v1/login", json={"username": "kim", "password": PASSWORD})
    answers = [
        client.post("/api/v1/login/mfa", json={"code": "111111"}).status_code for _ in range(5)
    ]
    assert answers == [401] * 5
    client.post("/api/v1/login", json={"username": "kim", "password": PASSWORD})
    assert (
        client.post("/api/v1/login/mfa", json={"code": code_now(acc.secret, clock)}).status_code
        == 401
    )

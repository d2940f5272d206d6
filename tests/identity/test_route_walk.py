"""Every registered route, walked unauthenticated and with each role.

The matrix below is written by hand, independently of the declarations in the
code: a new route fails this test until it is added here, and a route whose
declaration differs from the matrix — or that answers differently from it —
fails too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from identity_helpers import FAST_AUTH, Clock, add_user, new_client, sign_in

from platekeeper.alerts.settings import AlertsSettings
from platekeeper.auth.roles import ROLE_PERMISSIONS, Role
from platekeeper.config import Settings
from platekeeper.web.access import AccessKind, UndeclaredRouteError, check_declarations
from platekeeper.web.services import Services

PUBLIC, LOGIN, ANYONE = "public", "login", "anyone signed in"
LINK = "signed link"  # public, but only with a valid, unexpired token
ADMIN, AUDITOR = frozenset({Role.ADMINISTRATOR}), frozenset({Role.AUDITOR})
SUPERVISOR = frozenset({Role.SUPERVISOR})
WATCHERS = frozenset({Role.OPERATOR, Role.INVESTIGATOR, Role.SUPERVISOR})
SEARCHERS = frozenset({Role.INVESTIGATOR, Role.SUPERVISOR})
CAMERA_VIEWERS = WATCHERS | ADMIN
REVIEWERS = frozenset({Role.OPERATOR, Role.SUPERVISOR})

MATRIX: dict[str, object] = {
    "GET /static": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /login": LOGIN,
    "POST /login": LOGIN,
    "POST /api/v1/login": LOGIN,
    "GET /login/password": LOGIN,
    "POST /login/password": LOGIN,
    "POST /api/v1/login/password": LOGIN,
    "GET /login/enrol": LOGIN,
    "POST /login/enrol": LOGIN,
    "GET /api/v1/login/enrol": LOGIN,
    "POST /api/v1/login/enrol": LOGIN,
    "GET /login/mfa": LOGIN,
    "POST /login/mfa": LOGIN,
    "POST /api/v1/login/mfa": LOGIN,
    "POST /logout": ANYONE,
    "POST /api/v1/logout": ANYONE,
    "GET /": ANYONE,
    "GET /api/v1/me": ANYONE,
    "GET /api/v1/openapi.json": ANYONE,
    "GET /admin/users": ADMIN,
    "GET /api/v1/users": ADMIN,
    "GET /admin/roles": ADMIN,
    "GET /api/v1/roles": ADMIN,
    "GET /admin/users/new": ADMIN,
    "POST /admin/users": ADMIN,
    "POST /api/v1/users": ADMIN,
    "GET /admin/users/{user_id}": ADMIN,
    "GET /api/v1/users/{user_id}": ADMIN,
    "POST /admin/users/{user_id}": ADMIN,
    "PATCH /api/v1/users/{user_id}": ADMIN,
    "POST /admin/users/{user_id}/disable": ADMIN,
    "POST /api/v1/users/{user_id}/disable": ADMIN,
    "POST /admin/users/{user_id}/enable": ADMIN,
    "POST /api/v1/users/{user_id}/enable": ADMIN,
    "POST /admin/users/{user_id}/unlock": ADMIN,
    "POST /api/v1/users/{user_id}/unlock": ADMIN,
    "POST /admin/users/{user_id}/reset": ADMIN,
    "POST /api/v1/users/{user_id}/reset": ADMIN,
    "GET /audit": AUDITOR,
    "GET /api/v1/audit": AUDITOR,
    "GET /api/v1/audit/verification": AUDITOR,
    "GET /transparency": AUDITOR | SUPERVISOR,
    "GET /api/v1/transparency": AUDITOR | SUPERVISOR,
    "GET /reads/live": WATCHERS,
    "GET /api/v1/reads/live": WATCHERS,
    "GET /api/v1/reads/stream": WATCHERS,
    "GET /api/v1/evidence/{token}": ANYONE,
    "GET /search": SEARCHERS,
    "POST /search": SEARCHERS,
    "POST /api/v1/search": SEARCHERS,
    "POST /search/approvals": SEARCHERS,
    "POST /api/v1/search/approvals": SEARCHERS,
    "GET /api/v1/search/approvals": SEARCHERS,
    "GET /journey": SEARCHERS,
    "POST /journey": SEARCHERS,
    "POST /api/v1/journey": SEARCHERS,
    "GET /approvals": SUPERVISOR,
    "POST /approvals/{approval_id}": SUPERVISOR,
    "GET /api/v1/approvals": SUPERVISOR,
    "POST /api/v1/approvals/{approval_id}": SUPERVISOR,
    "GET /review": REVIEWERS,
    "GET /api/v1/violations": REVIEWERS,
    "GET /review/{violation_id}": REVIEWERS,
    "GET /api/v1/violations/{violation_id}": REVIEWERS,
    "POST /review/{violation_id}/claim": REVIEWERS,
    "POST /api/v1/violations/{violation_id}/claim": REVIEWERS,
    "POST /review/{violation_id}/decision": REVIEWERS,
    "POST /api/v1/violations/{violation_id}/decision": REVIEWERS,
    "POST /review/{violation_id}/flag": REVIEWERS,
    "POST /api/v1/violations/{violation_id}/flag": REVIEWERS,
    "POST /api/v1/violations/{violation_id}/package": SEARCHERS,
    "POST /api/v1/violations/{violation_id}/driver-link": SEARCHERS,
    "GET /verify/{token}": LINK,
    "POST /verify/{token}": LINK,
    "GET /cameras": CAMERA_VIEWERS,
    "GET /api/v1/cameras": CAMERA_VIEWERS,
    "GET /hotlists": SUPERVISOR,
    "POST /hotlists": SUPERVISOR,
    "GET /hotlists/{hotlist_id}": SUPERVISOR,
    "POST /hotlists/{hotlist_id}/entries": SUPERVISOR,
    "POST /hotlists/entries/{entry_id}/remove": SUPERVISOR,
    "GET /api/v1/hotlists": SUPERVISOR,
    "POST /api/v1/hotlists": SUPERVISOR,
    "GET /api/v1/hotlists/{hotlist_id}/entries": SUPERVISOR,
    "POST /api/v1/hotlists/entries": SUPERVISOR,
    "DELETE /api/v1/hotlists/entries/{entry_id}": SUPERVISOR,
    "POST /api/v1/registry/import": ADMIN,
    "GET /admin/cameras": ADMIN,
    "GET /admin/cameras/new": ADMIN,
    "POST /admin/cameras": ADMIN,
    "POST /api/v1/cameras": ADMIN,
    "GET /admin/cameras/{code}": ADMIN,
    "GET /api/v1/cameras/{code}": ADMIN,
    "POST /admin/cameras/{code}": ADMIN,
    "PATCH /api/v1/cameras/{code}": ADMIN,
    "POST /admin/cameras/{code}/disable": ADMIN,
    "POST /api/v1/cameras/{code}/disable": ADMIN,
    "POST /admin/cameras/{code}/enable": ADMIN,
    "POST /api/v1/cameras/{code}/enable": ADMIN,
    "POST /admin/cameras/{code}/keys": ADMIN,
    "POST /api/v1/cameras/{code}/keys": ADMIN,
    "POST /admin/cameras/{code}/keys/{key_id}/revoke": ADMIN,
    "POST /api/v1/cameras/{code}/keys/{key_id}/revoke": ADMIN,
    "GET /admin/settings": ADMIN,
    "GET /api/v1/settings": ADMIN,
}
# Walked last (or not at all) for signed-in clients, since they end the session.
SESSION_ENDING = {"POST /logout", "POST /api/v1/logout"}
NO_SUCH_USER = "999999"
NO_SUCH_TOKEN = "A" * 54


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Live streams end after a second, so that walking them does not wait.
    return Settings(data_dir=tmp_path, auth=FAST_AUTH, alerts=AlertsSettings(stream_max_seconds=1))


@pytest.fixture
def services(store_services: Services) -> Services:
    """Every feature is walked: the app here has the store behind it."""
    return store_services


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    declared = check_declarations(app)
    assert set(declared) == set(MATRIX), "update MATRIX for new or removed routes"


def test_declarations_match_the_matrix(app: FastAPI) -> None:
    for key, access in check_declarations(app).items():
        expected = MATRIX[key]
        if expected == PUBLIC:
            assert access.kind is AccessKind.PUBLIC, key
        elif expected == LOGIN:
            assert access.kind is AccessKind.LOGIN_STEP, key
        elif expected == ANYONE:
            assert access.kind is AccessKind.SIGNED_IN, key
        elif expected == LINK:
            assert access.kind is AccessKind.VERIFY_LINK, key
        else:
            assert access.kind is AccessKind.PERMISSION, key
            holders = {
                role for role, perms in ROLE_PERMISSIONS.items() if access.permission in perms
            }
            assert holders == expected, key


def test_an_undeclared_route_stops_the_app(app: FastAPI) -> None:
    @app.get("/forgotten")
    def forgotten() -> str:
        return "open to all?"

    with pytest.raises(UndeclaredRouteError, match="/forgotten"):
        check_declarations(app)


def request(client: TestClient, key: str) -> int:
    method, path = key.split(" ", 1)
    if path == "/static":
        path = "/static/app.css"
    path = re.sub(r"\{user_id\}", NO_SUCH_USER, path)
    path = re.sub(r"\{approval_id\}", NO_SUCH_USER, path)
    path = re.sub(r"\{violation_id\}", NO_SUCH_USER, path)
    path = re.sub(r"\{(hotlist_id|entry_id)\}", NO_SUCH_USER, path)
    path = re.sub(r"\{token\}", NO_SUCH_TOKEN, path)
    path = re.sub(r"\{code\}", "NO-SUCH-CAMERA", path)
    path = re.sub(r"\{key_id\}", "ck_0000", path)
    return client.request(method, path).status_code


@pytest.fixture
def role_clients(
    app: FastAPI, services: Services, clock: Clock
) -> Iterator[dict[Role, TestClient]]:
    clients = {}
    for role in Role:
        account = add_user(services, f"walk-{role.value}", role)
        clients[role] = sign_in(new_client(app), account, clock)
    yield clients
    for c in clients.values():
        c.close()


def test_walk_unauthenticated(client: TestClient) -> None:
    for key, expected in MATRIX.items():
        status = request(client, key)
        assert status < 500, key
        if expected == PUBLIC:
            assert status == 200, key
        elif expected == LOGIN:
            assert status not in (401, 403), key
        elif expected == LINK:
            assert status in (404, 400, 422), key  # no valid token, nothing shown
        elif key.split(" ", 1)[1].startswith("/api/"):
            assert status == 401, key
        else:
            assert status == 303, key


def test_walk_with_each_role(role_clients: dict[Role, TestClient]) -> None:
    for role, c in role_clients.items():
        for key, expected in MATRIX.items():
            if key in SESSION_ENDING:
                continue
            status = request(c, key)
            assert status < 500, (role, key)
            if expected == LINK:
                assert status in (404, 400, 422), (role, key, status)
            elif expected in (PUBLIC, LOGIN, ANYONE) or role in expected:  # type: ignore[operator]
                assert status not in (401, 403), (role, key, status)
            else:
                assert status == 403, (role, key, status)
        # Still signed in after the whole walk; then sign out through each door.
        assert c.get("/api/v1/me").status_code == 200
    for key in sorted(SESSION_ENDING):
        c = role_clients[Role.OPERATOR]
        if c.get("/api/v1/me").status_code == 200:
            assert request(c, key) in (204, 303)
            assert c.get("/api/v1/me").status_code == 401

"""The hotlist pages: supervisors keep their agency's hotlists in the app
through the same audited calls as /api/v1; plates only in bodies, bad input
refused on the form with nothing changed, other agencies' lists answer 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from identity_helpers import AUDIT_INDEX_KEY, Account, Clock, add_user, new_client, sign_in
from sqlalchemy import select

from platekeeper.audit.models import AuditEntry
from platekeeper.auth.models import User
from platekeeper.auth.roles import Role
from platekeeper.crypto.blind_index import audit_index
from platekeeper.web.services import Services

PLATE = "01A123BC"


@pytest.fixture
def accounts(store_services: Services) -> dict[str, Account]:
    made = {
        "sara": add_user(store_services, "sara", Role.SUPERVISOR),
        "far": add_user(store_services, "far", Role.SUPERVISOR),
        "olim": add_user(store_services, "olim", Role.OPERATOR),
    }
    with store_services.db.write() as s:
        far = s.get(User, made["far"].id)
        assert far is not None
        far.agency = "border guard"
    return made


@pytest.fixture
def staff(
    store_app: FastAPI, accounts: dict[str, Account], clock: Clock
) -> Iterator[dict[str, TestClient]]:
    clients = {n: sign_in(new_client(store_app), a, clock) for n, a in accounts.items()}
    yield clients
    for c in clients.values():
        c.close()


def audit_rows(services: Services) -> list[AuditEntry]:
    with services.db.read() as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.startswith("hotlist."))
                .order_by(AuditEntry.seq)
            )
        )


def new_list(client: TestClient, name: str = "stolen", priority: str = "8") -> int:
    made = client.post("/hotlists", data={"name": name, "priority": priority})
    assert made.status_code == 303, made.text
    found = re.fullmatch(r"/hotlists/(\d+)", made.headers["location"])
    assert found is not None
    return int(found.group(1))


def remove_ids(page: Response) -> list[int]:
    return [int(n) for n in re.findall(r'action="/hotlists/entries/(\d+)/remove"', page.text)]


def test_a_supervisor_creates_a_list_adds_and_removes_entries(
    staff: dict[str, TestClient], store_services: Services, clock: Clock
) -> None:
    sara = staff["sara"]
    empty = sara.get("/hotlists")
    assert empty.status_code == 200
    assert "Your agency has no hotlists yet." in empty.text
    assert 'href="/hotlists"' in sara.get("/").text  # in the navigation

    list_id = new_list(sara)
    added = sara.post(
        f"/hotlists/{list_id}/entries",
        data={"plate": "01 a 123 bc", "days": "30", "reason": "case 7"},
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"/hotlists/{list_id}"  # an id, never a plate
    soon = sara.post(f"/hotlists/{list_id}/entries", data={"plate": "40Z*", "days": "5"})
    assert soon.status_code == 303

    listing = sara.get("/hotlists")
    assert "stolen" in listing.text
    assert (clock() + timedelta(days=5)).strftime("%Y-%m-%d %H:%M") in listing.text
    assert PLATE not in listing.text  # the list of lists shows no plates

    page = sara.get(f"/hotlists/{list_id}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert PLATE in page.text
    assert "40Z*" in page.text
    assert "case 7" in page.text
    assert "2 live entries" in page.text

    # The page and its twin hold the same data.
    (view,) = sara.get("/api/v1/hotlists").json()
    assert (view["id"], view["name"], view["priority"], view["entries"]) == (
        list_id,
        "stolen",
        8,
        2,
    )
    twin = {e["id"]: e["plate"] for e in sara.get(f"/api/v1/hotlists/{list_id}/entries").json()}
    assert sorted(remove_ids(page)) == sorted(twin)
    exact = next(i for i, plate in twin.items() if plate == PLATE)

    removed = sara.post(f"/hotlists/entries/{exact}/remove")
    assert removed.status_code == 303
    assert removed.headers["location"] == f"/hotlists/{list_id}"
    after = sara.get(f"/hotlists/{list_id}")
    assert PLATE not in after.text
    assert remove_ids(after) == [i for i in twin if i != exact]
    assert sara.post(f"/hotlists/entries/{exact}/remove").status_code == 404

    rows = audit_rows(store_services)
    assert [r.action for r in rows] == [
        "hotlist.create",
        "hotlist.add",
        "hotlist.add",
        "hotlist.view",  # the page
        "hotlist.view",  # its twin
        "hotlist.remove",
        "hotlist.view",
    ]
    assert rows[1].plate_index == audit_index(AUDIT_INDEX_KEY, PLATE)
    assert rows[3].result_count == 2
    assert all(PLATE not in (r.details + (r.target or "")) for r in rows)


def test_expired_entries_are_shown_as_such_and_not_counted(
    store_app: FastAPI, accounts: dict[str, Account], clock: Clock
) -> None:
    with new_client(store_app) as sara:
        sign_in(sara, accounts["sara"], clock)
        list_id = new_list(sara)
        for plate, days in ((PLATE, "1"), ("40Z555ZZ", "")):
            made = sara.post(f"/hotlists/{list_id}/entries", data={"plate": plate, "days": days})
            assert made.status_code == 303
    clock.advance(days=2)
    with new_client(store_app) as sara:
        sign_in(sara, accounts["sara"], clock)
        assert "none expires" in sara.get("/hotlists").text
        page = sara.get(f"/hotlists/{list_id}")
        assert "1 live entry" in page.text
        assert page.text.count("expired ") == 1
        assert len(remove_ids(page)) == 2  # an expired entry can still be taken off


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"plate": ""}, "Enter a plate"),
        ({"plate": "   "}, "Enter a plate"),
        ({"plate": "*"}, "known characters"),
        ({"plate": "01A1<script>"}, "only plate characters"),
        ({"plate": PLATE, "days": "0"}, "whole number of days"),
        ({"plate": PLATE, "days": "-3"}, "whole number of days"),
        ({"plate": PLATE, "days": "a week"}, "whole number of days"),
        ({"plate": PLATE, "days": "99999"}, "whole number of days"),
        ({"plate": PLATE, "days": "²"}, "whole number of days"),
        ({"plate": PLATE, "reason": "x" * 501}, "at most 500 characters"),
    ],
)
def test_a_bad_entry_is_refused_on_the_form_and_changes_nothing(
    staff: dict[str, TestClient], store_services: Services, form: dict[str, str], reason: str
) -> None:
    sara = staff["sara"]
    list_id = new_list(sara)
    before = audit_rows(store_services)
    refused = sara.post(f"/hotlists/{list_id}/entries", data=form)
    assert refused.status_code == 422
    assert reason in refused.text
    assert 'data-testid="add-entry"' in refused.text  # the form again, with the reason
    assert "<script>" not in refused.text.split("<body", 1)[1].split("</main>")[0]
    assert sara.get(f"/api/v1/hotlists/{list_id}/entries").json() == []
    changes = [r.action for r in audit_rows(store_services)[len(before) :]]
    assert "hotlist.add" not in changes


def test_a_bad_list_is_refused_on_the_form_and_changes_nothing(
    staff: dict[str, TestClient], store_services: Services
) -> None:
    sara = staff["sara"]
    new_list(sara)
    before = sara.get("/api/v1/hotlists").json()
    for form, reason in (
        ({"name": ""}, "1-100 characters"),
        ({"name": "stolen"}, "exists already"),
        ({"name": "watch", "priority": "12"}, "priority is 0-9"),
        ({"name": "watch", "priority": "high"}, "whole number from 0 to 9"),
        ({"name": "watch", "priority": "²"}, "whole number from 0 to 9"),
        ({"name": "watch", "description": "x" * 501}, "at most 500 characters"),
    ):
        refused = sara.post("/hotlists", data=form)
        assert refused.status_code == 422, form
        assert reason in refused.text, form
        assert 'data-testid="new-hotlist"' in refused.text
    assert sara.get("/api/v1/hotlists").json() == before
    assert [r.action for r in audit_rows(store_services)] == ["hotlist.create"]


def test_unknown_and_other_agencies_lists_answer_404(
    staff: dict[str, TestClient], store_services: Services
) -> None:
    sara, far = staff["sara"], staff["far"]
    list_id = new_list(sara)
    assert sara.post(f"/hotlists/{list_id}/entries", data={"plate": PLATE}).status_code == 303
    (entry_id,) = remove_ids(sara.get(f"/hotlists/{list_id}"))
    before = audit_rows(store_services)

    for c in (sara, far):
        assert c.get("/hotlists/999999").status_code == 404
        assert c.post("/hotlists/999999/entries", data={"plate": PLATE}).status_code == 404
        assert c.post("/hotlists/entries/999999/remove").status_code == 404
    assert "stolen" not in far.get("/hotlists").text
    hidden = far.get(f"/hotlists/{list_id}")
    assert hidden.status_code == 404
    assert "No such hotlist." in hidden.text
    assert PLATE not in hidden.text
    added = far.post(f"/hotlists/{list_id}/entries", data={"plate": "40Z555ZZ"})
    assert added.status_code == 404
    assert far.post(f"/hotlists/entries/{entry_id}/remove").status_code == 404

    seqs = [r.seq for r in audit_rows(store_services)]
    assert seqs == [r.seq for r in before]  # nothing seen, nothing changed
    twin = sara.get(f"/api/v1/hotlists/{list_id}/entries").json()
    assert [e["plate"] for e in twin] == [PLATE]


def test_an_operator_is_refused_and_a_cross_site_post_too(
    staff: dict[str, TestClient], store_services: Services
) -> None:
    sara, olim = staff["sara"], staff["olim"]
    list_id = new_list(sara)
    assert olim.get("/hotlists").status_code == 403
    assert olim.post("/hotlists", data={"name": "mine"}).status_code == 403
    assert olim.get(f"/hotlists/{list_id}").status_code == 403
    assert olim.post(f"/hotlists/{list_id}/entries", data={"plate": PLATE}).status_code == 403
    assert 'href="/hotlists"' not in olim.get("/").text

    forged = sara.post(
        f"/hotlists/{list_id}/entries",
        data={"plate": PLATE},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert forged.status_code == 403
    assert sara.get(f"/api/v1/hotlists/{list_id}/entries").json() == []
    assert [r.action for r in audit_rows(store_services)] == ["hotlist.create", "hotlist.view"]

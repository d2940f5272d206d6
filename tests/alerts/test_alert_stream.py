"""The alert bus and the dashboard's live stream: permission, region scope,
replay after a reconnect, and no plate anywhere in what goes out."""

from __future__ import annotations

import asyncio
import json

import pytest
from alert_helpers import PLATE, finding
from fastapi import FastAPI
from identity_helpers import Clock, add_user, new_client, sign_in

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.sse import alert_events
from platekeeper.auth.roles import Role
from platekeeper.web.access import AccessKind, check_declarations
from platekeeper.web.services import Services


def events(body: str) -> list[dict[str, object]]:
    out = []
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if lines.get("event") == "alert":
            out.append({**json.loads(lines["data"]), "seq": int(lines["id"])})
    return out


def test_the_bus_numbers_remembers_and_isolates_subscribers() -> None:
    bus = AlertBus(keep=3)
    got: list[int] = []

    def broken(alert: object) -> None:
        raise RuntimeError("a deliverer fails")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(lambda a: got.append(a.seq))
    alerts = [bus.raise_alert(finding(n=n)) for n in range(5)]
    assert got == [1, 2, 3, 4, 5]
    assert [a.seq for a in bus.since(0)] == [3, 4, 5]
    assert bus.get(alerts[0].id) is None
    assert bus.get(alerts[4].id) is alerts[4]
    assert alerts[0].id != alerts[1].id
    assert alerts[0].id.startswith("alr_")
    assert len(alerts[0].id) > 20
    unsubscribe()
    bus.raise_alert(finding(n=9))
    assert got == [1, 2, 3, 4, 5]


def test_the_payload_names_no_plate_and_no_read() -> None:
    alert = AlertBus().raise_alert(finding())
    text = json.dumps(alert.payload())
    assert PLATE not in text
    assert "r1" not in text
    assert alert.payload()["lists"] == ["stolen"]
    assert PLATE not in repr(alert)


def test_the_stream_delivers_live_alerts_across_threads() -> None:
    bus = AlertBus()

    async def main() -> list[bytes]:
        chunks: list[bytes] = []
        stream = alert_events(bus, accept=lambda a: True, max_seconds=2.0, heartbeat_s=0.3)

        async def read() -> None:
            async for chunk in stream:
                chunks.append(chunk)
                if chunk.startswith(b"id: 2"):
                    return

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        # Raised from another thread, as a rules worker does.
        await loop.run_in_executor(None, bus.raise_alert, finding(n=1))
        await loop.run_in_executor(None, bus.raise_alert, finding(n=2))
        await asyncio.wait_for(reader, 3)
        await stream.aclose()
        return chunks

    chunks = asyncio.run(main())
    assert chunks[0].startswith(b"retry:")
    assert [events(c.decode())[0]["seq"] for c in chunks if c.startswith(b"id:")] == [1, 2]


def test_the_stream_route_declares_reads_live(app: FastAPI) -> None:
    table = check_declarations(app)
    for key in ("GET /api/v1/alerts/stream", "GET /api/v1/alerts"):
        assert table[key].kind is AccessKind.PERMISSION
        assert table[key].permission is not None
        assert table[key].permission.value == "reads.live"


def test_who_may_watch(app: FastAPI, services: Services, clock: Clock) -> None:
    with new_client(app) as anonymous:
        assert anonymous.get("/api/v1/alerts/stream").status_code == 401
        assert anonymous.get("/api/v1/alerts").status_code == 401
    auditor = add_user(services, "audrey", Role.AUDITOR)
    with new_client(app) as c:
        sign_in(c, auditor, clock)
        assert c.get("/api/v1/alerts/stream").status_code == 403


def test_an_operator_sees_alerts_of_their_region_only(
    app: FastAPI, services: Services, bus: AlertBus, clock: Clock
) -> None:
    operator = add_user(services, "olga", Role.OPERATOR, region="north")
    with new_client(app) as c:
        sign_in(c, operator, clock)
        for n, region in enumerate(["north", "south", "north"], start=1):
            bus.raise_alert(finding(region=region, n=n))
        listed = c.get("/api/v1/alerts").json()
        assert [a["seq"] for a in listed["alerts"]] == [1, 3]
        assert listed["last_seq"] == 3
        # A reconnect with Last-Event-ID replays what followed it, in scope.
        response = c.get("/api/v1/alerts/stream", headers={"Last-Event-ID": "1"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        got = events(response.text)
        assert [e["seq"] for e in got] == [3]
        assert got[0]["region"] == "north"
        assert PLATE not in response.text
        assert ": keep-alive" in response.text  # the stream idled, then ended
        bad = c.get("/api/v1/alerts/stream", headers={"Last-Event-ID": "1; drop"})
        assert bad.status_code == 422


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.INVESTIGATOR])
def test_other_live_roles_may_watch(
    app: FastAPI, services: Services, clock: Clock, role: Role
) -> None:
    account = add_user(services, f"user-{role.value}", role, all_regions=True)
    with new_client(app) as c:
        sign_in(c, account, clock)
        assert c.get("/api/v1/alerts").status_code == 200

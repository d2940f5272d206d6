"""The simulated network as ``serve --simulate`` runs it: the feed threads of
``running_feed`` sending the last hour, then live captures (some rendered
and read by the engine) beside the named commuters' history and then the
rest of it, through a real HTTPS server's camera and signal doors into the
store and the rules pipeline; an investigator follows a commuter as soon as
the terminal names them.

The server's store and the feed share one clock that runs 120 times faster
than real time, from a Tuesday morning in Tashkent: the only stand-in, so
that the live loop covers most of an hour of traffic in half a minute."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from identity_helpers import FAST_AUTH, Clock, add_user, https_server, make_services, sign_in
from identity_helpers import new_client as web_client
from investigation_helpers import open_web_store
from sqlalchemy import func, select

from platekeeper.auth.roles import Role
from platekeeper.commands.rules_stack import running_rules, signals_of
from platekeeper.config import Settings
from platekeeper.ingest.wiring import gateway
from platekeeper.review.models import Violation
from platekeeper.sim.feed_run import SimWorld, history_lateness, running_feed
from platekeeper.sim.feed_setup import FeedState
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population
from platekeeper.sim.rules_setup import engine_for
from platekeeper.sim.settings import SimSettings
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.store.models import EvidenceBlob, Read
from platekeeper.web.app import create_app

START = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # Tuesday 08:00 in Tashkent
RATE = 120.0
LIVE_S = 25.0  # real seconds of the live loop: 50 simulated minutes


class FastClock:
    """Simulated time: ``RATE`` simulated seconds per real second from ``START``."""

    def __init__(self) -> None:
        self.began = time.monotonic()

    def __call__(self) -> datetime:
        return START + timedelta(seconds=(time.monotonic() - self.began) * RATE)

    def ts(self) -> float:
        return self().timestamp()


@pytest.fixture
def fast() -> FastClock:
    return FastClock()


@pytest.fixture
def store(tmp_path: Path, fast: FastClock) -> Iterator[Store]:
    opened = open_web_store(tmp_path, fast)
    yield opened
    opened.close()


def count(store: Store, what: object) -> int:
    with store.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_live_feed_loop_feeds_reads_violations_and_journeys(
    tmp_path: Path, db: Database, store: Store, fast: FastClock
) -> None:
    sim = SimSettings(vehicles=300, seed=5, backfill_hours=12, renders_per_second=0.5)
    settings = Settings(data_dir=tmp_path, auth=FAST_AUTH, sim=sim)
    network = Network.load()
    population = Population.generate(network, sim.vehicles, sim.seed, reference=START.date())
    world = SimWorld(network, population, FeedState(None, sim.seed, sim.vehicles, date(2026, 3, 3)))
    door = gateway(settings, store, None)
    auth_clock = Clock(START)
    services = make_services(settings, db, auth_clock, store=store, ingest=door)
    app = create_app(settings, services, background_checkpoints=False)
    heard: list[str] = []
    engine = engine_for(
        network, population, signals_of(settings, store), late_allowance_s=history_lateness(sim)
    )
    ina = add_user(services, "ina", Role.INVESTIGATOR, all_regions=True)
    with (
        running_rules(store, engine, None) as pipeline,
        https_server(app, tmp_path / "tls") as (url, certificate),
        running_feed(
            settings,
            world,
            cameras=store.cameras,
            keys=door.keys,
            base_url=url,
            certificate=certificate,
            announce=heard.append,
            clock=fast.ts,
        ) as feed,
    ):
        deadline = time.monotonic() + 120
        while not heard and time.monotonic() < deadline:  # the last hour, the commuters
            time.sleep(0.2)
        assert heard, "no commuters named"
        # The commuter the terminal named has a journey an investigator
        # finds at once: their history went ahead of the rest.
        assert heard[0].startswith("simulated network: commuters to search for")
        named = re.match(r"\s+([0-9A-Z ]+): commutes (.+) - (.+), seen (\d+) times in", heard[1])
        assert named, heard
        plate, times = named.group(1).replace(" ", ""), int(named.group(4))
        vehicle = population.find(plate)
        assert vehicle is not None
        assert vehicle.behaviour.value == "commuter"
        assert times >= 2
        with sign_in(web_client(app), ina, auth_clock) as c:
            journey = c.post(
                "/api/v1/journey",
                json={
                    "plate": plate,
                    "start": (START - timedelta(days=1)).isoformat(),
                    "end": fast().isoformat(),
                    "reason_code": "investigation",
                    "case_number": "SIM-0002",
                },
            )
            assert journey.status_code == 200, journey.text
            assert len(journey.json()["sightings"]) >= times
            assert journey.json()["cameras"] >= 2
        assert feed.live_from is not None  # the live loop runs beside the history
        time.sleep(LIVE_S)
        pipeline.drain()
        counts = feed.counts
    assert counts.refused == 0, counts.errors
    assert counts.backfilled > 300
    assert counts.live_captures > 20  # a Tuesday morning's traffic, fed live
    assert counts.live_rendered >= 3  # frames rendered and read by the engine
    assert count(store, Read) == counts.stored == counts.backfilled + counts.live_captures
    live_from = datetime.fromtimestamp(feed.live_from, UTC)
    with store.db.read() as s:
        live = s.scalar(select(func.count()).select_from(Read).where(Read.captured_at >= live_from))
        offences = set(s.scalars(select(Violation.offence).distinct()))
        frames = s.scalar(
            select(func.count()).select_from(EvidenceBlob).where(EvidenceBlob.kind == "frame")
        )
    assert live == counts.live_captures
    assert frames == counts.live_rendered + 3 * counts.stills  # and red passes' track stills
    assert len(offences) >= 3, offences
    assert count(store, Violation) >= 10

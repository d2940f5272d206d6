"""The simulated network through the real camera door: keyed cameras, signed
batches, the store, and what an investigator then finds (a commuter's
journey) and an operator watches (live reads with crops read by the engine)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from identity_helpers import Clock, add_user, make_services, new_client, sign_in
from sqlalchemy import func, select

from platekeeper.auth.roles import Role
from platekeeper.config import Settings
from platekeeper.ingest.camera_keys import IssuedKey
from platekeeper.ingest.wiring import gateway
from platekeeper.recognition import Recognizer
from platekeeper.review.models import Violation
from platekeeper.review.pipeline import RulesPipeline
from platekeeper.review.violations import ViolationStore
from platekeeper.rules.signal_store import DatabaseSignalTimeline
from platekeeper.sim import feed as sim_feed
from platekeeper.sim.camera_view import CameraView, RenderBudget
from platekeeper.sim.captures import Violation as Violation_
from platekeeper.sim.feed import SimFeed
from platekeeper.sim.feed_setup import FeedState, issue_keys, register_network
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population
from platekeeper.sim.rules_setup import DEFAULT_LATE_ALLOWANCE_S, engine_for
from platekeeper.sim.signals import Phase
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.store.models import EvidenceBlob, Read
from platekeeper.web.app import create_app

SEED, FLEET = 3, 300


@pytest.fixture(scope="module")
def network() -> Network:
    return Network.load()


def served(
    settings: Settings,
    db: Database,
    clock: Clock,
    web_store: Store,
    network: Network,
    *,
    rules: bool = True,
) -> tuple[FastAPI, dict[str, IssuedKey], Population, list[list[int]], RulesPipeline | None]:
    """The camera door over the network's keyed cameras and, with ``rules``,
    the serving rules pipeline on every stored read; the list collects the
    read ids of each stored batch."""
    door = gateway(settings, web_store, None)
    services = make_services(settings, db, clock, store=web_store, ingest=door)
    app = create_app(settings, services, background_checkpoints=False)
    register_network(web_store.cameras, network)
    keys = issue_keys(door.keys, network)
    population = Population.generate(network, FLEET, SEED, reference=date(2026, 3, 2))
    batches: list[list[int]] = []
    web_store.reads.add_listener(batches.append)
    pipeline = None
    if rules:
        signals = DatabaseSignalTimeline(web_store.db)
        pipeline = RulesPipeline(
            web_store,
            engine_for(network, population, signals),
            ViolationStore(web_store, clock),
            None,
        )
        web_store.reads.add_listener(pipeline.submit)
    return app, keys, population, batches, pipeline


@pytest.mark.slow
def test_the_simulated_network_feeds_reads_journeys_and_live_views(
    settings: Settings,
    *,
    db: Database,
    clock: Clock,
    web_store: Store,
    network: Network,
    tmp_path: Path,
) -> None:
    door = gateway(settings, web_store, None)
    services = make_services(settings, db, clock, store=web_store, ingest=door)
    app = create_app(settings, services, background_checkpoints=False)
    assert register_network(web_store.cameras, network) == len(network.bank_list)
    assert register_network(web_store.cameras, network) == 0  # a restart adds nothing
    keys = issue_keys(door.keys, network)
    again = issue_keys(door.keys, network)  # a restart revokes the previous keys
    bank = network.bank_list[0].camera_id
    assert [k.revoked_at is not None for k in door.keys.list(bank)].count(False) == 1
    assert keys[bank].key_id != again[bank].key_id

    population = Population.generate(network, FLEET, SEED, reference=date(2026, 3, 2))
    # The serving process's rules pipeline: every stored read is checked.
    signals = DatabaseSignalTimeline(web_store.db)  # what the signal door writes
    pipeline = RulesPipeline(
        web_store, engine_for(network, population, signals), ViolationStore(web_store, clock), None
    )
    web_store.reads.add_listener(pipeline.submit)
    state = FeedState(tmp_path / "sim" / "state.json", SEED, FLEET, date(2026, 3, 2))
    now = clock().timestamp()
    with new_client(app) as camera_link:
        feed = SimFeed(
            network,
            population,
            state,
            again,
            camera_link,
            view=CameraView(network, population, Recognizer(settings.recognition), seed=SEED),
            clock=lambda: clock().timestamp(),
        )
        sent = feed.backfill(now - 2 * 86400, now - 600)
        assert sent > 500
        assert feed.counts.refused == 0, feed.counts.errors
        with web_store.db.read() as s:
            assert s.scalar(select(func.count()).select_from(Read)) == sent
        assert FeedState.load(state.path, SEED, FLEET, date(2030, 1, 1)).fed_until == now - 600
        pipeline.drain()
        with web_store.db.read() as s:
            offences = dict(
                s.execute(select(Violation.offence, func.count()).group_by(Violation.offence)).all()
            )
        # Red light from the controllers' phases (signal door) and the reads'
        # stop-line tracks; passes with no readable plate come with a null plate.
        assert {"unregistered", "expired", "hotlist", "red_light", "no_plate"} <= set(offences), (
            offences
        )
        assert feed.counts.phases > 1000
        resent = feed.backfill(now - 2 * 86400, now - 600)  # the same captures again
        with web_store.db.read() as s:
            assert s.scalar(select(func.count()).select_from(Read)) == sent == resent

        # The live phase: camera frames rendered and read by the engine, sent
        # with the engine's crop.
        recent = [
            c
            for c in feed.sim.captures(
                datetime.fromtimestamp(now - 300, UTC), datetime.fromtimestamp(now, UTC)
            )
            if c.plate is not None
        ][:6]
        assert len(recent) >= 3
        live = [(c, feed.live_read(c)) for c in recent]
        assert feed.counts.live_rendered == len(recent)
        assert all(r["frame_jpeg"] for _c, r in live)
        # Where the plate is in the frame goes with it, as the edge sends it.
        boxes = [r["plate_box"] for _c, r in live if r["plate"]]
        assert len(boxes) == feed.counts.live_read
        width = feed.view.frame_width if feed.view else 0
        assert all(0 <= b["x"] < width and b["w"] >= 1 and b["h"] >= 1 for b in boxes)
        right = sum(1 for c, r in live if r["plate"] == c.plate)
        assert right == feed.counts.live_right >= 2
        for capture, read in live:
            feed._post_reads(capture.camera_id, [read])
        assert feed.counts.refused == 0, feed.counts.errors
        with web_store.db.read() as s:
            kinds = Counter(s.scalars(select(EvidenceBlob.kind)))
        assert kinds["frame"] == len(recent)
        assert kinds["crop"] == feed.counts.live_read

    # Commuters: the vehicle seen most often has a believable journey.
    seen = Counter(
        c.plate
        for c in feed.sim.captures(
            datetime.fromtimestamp(now - 2 * 86400, UTC), datetime.fromtimestamp(now - 600, UTC)
        )
        if c.plate is not None
    )
    plate, times = seen.most_common(1)[0]
    assert times >= 4
    ina = add_user(services, "ina", Role.INVESTIGATOR, all_regions=True)
    otto = add_user(services, "otto", Role.OPERATOR, all_regions=True)
    with sign_in(new_client(app), ina, clock) as c:
        end = clock() + timedelta(minutes=1)
        journey = c.post(
            "/api/v1/journey",
            json={
                "plate": plate,
                "start": (end - timedelta(days=3)).isoformat(),
                "end": end.isoformat(),
                "reason_code": "investigation",
                "case_number": "SIM-0001",
            },
        ).json()
        assert len(journey["sightings"]) >= times
        assert journey["cameras"] >= 2
    with sign_in(new_client(app), otto, clock) as c:
        page = c.get("/api/v1/reads/live").json()
        shown = {r["plate"] for r in page["reads"]}
        read_live = {r["plate"] for _c, r in live if r["plate"]}
        assert read_live <= shown
        assert all(r["crop_url"] for r in page["reads"] if r["plate"] in read_live)


@pytest.mark.slow
def test_reads_sent_fast_reach_the_rules_in_time_and_after_their_phases(
    settings: Settings,
    *,
    db: Database,
    clock: Clock,
    web_store: Store,
    network: Network,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three night hours sent as fast as the door takes them, ending just
    after a red-light crossing: no read reaches the rules more than the
    feed's hold (two minutes of capture time) behind a later one, within
    the five minutes the section rule waits; and the crossing at the very
    end is judged, because the phases sent go past the window's end to the
    change after it."""
    # However long a post takes here, only the hold may bound the lateness:
    # the once-a-second flush is put out of reach.
    monkeypatch.setattr(sim_feed, "FLUSH_S", 3600.0)
    app, keys, population, batches, pipeline = served(settings, db, clock, web_store, network)
    assert pipeline is not None
    now = clock().timestamp()
    state = FeedState(None, SEED, FLEET, date(2026, 3, 2))
    with new_client(app) as camera_link:
        feed = SimFeed(
            network, population, state, keys, camera_link, clock=lambda: clock().timestamp()
        )
        day = list(feed.sim.captures(*(datetime.fromtimestamp(t, UTC) for t in (now - 86400, now))))
        runner = max((c for c in day if Violation_.RED_LIGHT in c.violations), key=lambda c: c.ts)
        end = runner.ts + 1e-3  # the crossing's next phase change comes after the window
        captures = [c for c in day if end - 3 * 3600 <= c.ts < end]
        assert feed.feed_captures(captures, end - 3 * 3600, end, threading.Event(), lambda *_: 0.0)
        assert feed.counts.refused == 0, feed.counts.errors
    pipeline.drain()
    newest, late = float("-inf"), 0.0
    for ids in batches:
        for read in sorted(web_store.reads.get_many(ids), key=lambda r: r.captured_at):
            ts = read.captured_at.timestamp()
            newest = max(newest, ts)
            late = max(late, newest - ts)
    assert sum(map(len, batches)) == len(captures) > 50
    assert late < DEFAULT_LATE_ALLOWANCE_S  # the hold, and the gap to the capture that ended it
    with web_store.db.read() as s:
        red = s.scalars(
            select(Read.captured_at)
            .join(Violation, Violation.read_id == Read.id)
            .where(Violation.offence == "red_light")
        ).all()
    truth = [c for c in captures if Violation_.RED_LIGHT in c.violations]
    assert len(red) == len(truth)
    assert runner.captured_at in red


@pytest.mark.slow
def test_a_rendered_junction_pass_comes_with_its_clip_and_on_red_its_track_stills(
    settings: Settings,
    *,
    db: Database,
    clock: Clock,
    web_store: Store,
    network: Network,
) -> None:
    """A rendered capture at a junction is sent with a clip of its pass; one
    that crossed on red also with a still of each stop-line track point, so
    that its red-light violation shows the frames before, at and past the
    line and the clip."""
    app, keys, population, batches, pipeline = served(settings, db, clock, web_store, network)
    assert pipeline is not None
    now = clock().timestamp()
    state = FeedState(None, SEED, FLEET, date(2026, 3, 2))
    view = CameraView(network, population, Recognizer(settings.recognition), seed=SEED)
    with new_client(app) as camera_link:
        feed = SimFeed(
            network,
            population,
            state,
            keys,
            camera_link,
            view=view,
            clips=RenderBudget(1000.0, burst=1000.0),  # every rendered junction pass
            clock=lambda: clock().timestamp(),
        )
        day = list(feed.sim.captures(*(datetime.fromtimestamp(t, UTC) for t in (now - 86400, now))))
        runner = max(
            (c for c in day if Violation_.RED_LIGHT in c.violations and c.plate), key=lambda c: c.ts
        )
        green = max(
            (c for c in day if c.stop_line and c.phase is Phase.GREEN and c.plate),
            key=lambda c: (c.ts < runner.ts, c.ts),
        )
        assert runner.ts - green.ts < 3600
        start, end = green.ts - 1, runner.ts + 1
        assert feed.feed_captures([green, runner], start, end, threading.Event(), lambda *_: 0.0)
        assert feed.counts.refused == 0, feed.counts.errors
        # Sent as history, a crossing on red keeps its clip and stills; no other.
        past = feed.past_read(runner)
        assert past["clip_mp4"]
        assert [bool(p.get("frame_jpeg")) for p in past["track"]] == [True] * 3
        assert feed.past_read(green) == feed.perfect_read(green)
    counts = feed.counts
    assert (counts.live_rendered, counts.filmed, counts.stills) == (2, 3, 2)
    pipeline.drain()
    stored = [r for ids in batches for r in web_store.reads.get_many(ids)]
    reads = {round(r.captured_at.timestamp(), 3): r for r in stored}  # times to the millisecond
    ran, waited = reads[round(runner.ts, 3)], reads[round(green.ts, 3)]
    for read, capture in ((ran, runner), (waited, green)):  # rendered, yet from the truth
        assert (read.lane, read.vehicle_class) == (capture.lane, capture.vehicle_class.value)
    for read in (ran, waited):
        (clip,) = [e for e in read.evidence if e.kind == "clip"]
        assert clip.media_type == "video/mp4"
        _ref, data = web_store.reads.evidence_bytes(clip.blob_id)
        assert 1_000 < len(data) < 200_000  # small: 2 s at 640x360
    assert waited.track_frame_ids == frozenset()
    assert len(ran.track_frames) == 3
    assert None not in ran.track_frames
    with web_store.db.read() as s:
        (row,) = s.scalars(select(Violation).where(Violation.offence == "red_light")).all()
    assert row.read_id == ran.id
    details = json.loads(row.details)
    assert details["evidence_complete"] is True
    evidence = json.loads(row.evidence)
    frames = [e for e in evidence if e["role"] in ("before", "at", "past")]
    assert [(e["kind"], e["role"]) for e in frames] == [
        ("frame", "before"),
        ("frame", "at"),
        ("frame", "past"),
    ]
    assert [int(e["ref"]) for e in frames] == list(ran.track_frames)
    assert [e["role"] for e in evidence if e["kind"] == "clip"] == ["clip"]


def test_the_history_sent_an_hour_at_a_time_fills_its_batches_across_the_hours(
    settings: Settings,
    *,
    db: Database,
    clock: Clock,
    web_store: Store,
    network: Network,
) -> None:
    """An hour of a small fleet is a few reads a camera: the history's
    batches fill across its hours, so that the server stores it in few
    transactions; after each hour the feed says from when a restart must
    send again (the oldest read still waiting)."""
    app, keys, population, batches, _ = served(settings, db, clock, web_store, network, rules=False)
    now = clock().timestamp()
    start = now - 7 * 3600
    hours = [(start + h * 3600, start + (h + 1) * 3600) for h in range(6)]
    resumes: list[float] = []
    state = FeedState(None, SEED, FLEET, date(2026, 3, 2))
    with new_client(app) as camera_link:
        feed = SimFeed(
            network, population, state, keys, camera_link, clock=lambda: clock().timestamp()
        )
        sent = feed.backfill_windows(hours, stop=threading.Event(), progress=resumes.append)
        assert feed.counts.refused == 0, feed.counts.errors
        window = [datetime.fromtimestamp(t, UTC) for t in (hours[0][0], hours[-1][1])]
        cameras = {c.camera_id for c in feed.sim.captures(*window)}
    assert sent == feed.counts.stored == feed.counts.backfilled == sum(map(len, batches)) > 300
    # One part-full batch a camera at the end, the rest full: not one a camera an hour.
    assert len(batches) <= len(cameras) + sent // sim_feed.BATCH
    assert len(batches) < len(cameras) * len(hours) / 3
    assert len(resumes) == len(hours)
    assert resumes == sorted(resumes)
    # Never past the hour sent, and behind it while some reads still wait.
    assert all(start <= r <= b for r, (_a, b) in zip(resumes, hours, strict=True))
    assert resumes[0] < hours[0][1]
    assert feed.counts.phases > 0  # before the reads: the red-light rule's

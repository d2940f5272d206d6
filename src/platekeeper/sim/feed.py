"""The simulated network feeding a running server through the camera door.

Each bank of the network becomes a camera of the store with a key of its
own; the feed signs its batches with that key and posts them over HTTPS to
``/api/v1/ingest/reads`` — the door real edge agents use. Two phases:

- **backfill**: the captures of the last hours, sent at once so that
  journeys have a history from the first minute. These carry the text a
  perfect reader returns and no image (rendering and reading every one of
  tens of thousands of captures would take longer than the demo should).
- **live**: captures in real time; each plate crop is rendered (lighting,
  blur, perspective) and read by the recognition engine, and the read — the
  engine's text, its confidence, the crop — is what is sent. A capture the
  engine cannot read, or of a vehicle with no readable plate, is sent as a
  pass with no plate (the no-plate rule's input), as a real camera would.
  With recognition off, each capture is sent as a perfect reader reads it.

Progress is kept in ``sim/state.json`` in the data directory, so a restart
backfills only what it missed; idempotency keys make a repeat harmless.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import httpx
import numpy as np

from platekeeper.ingest.signing import sign
from platekeeper.recognition.text import normalise_plate
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population
from platekeeper.sim.simulator import TripSimulator

if TYPE_CHECKING:
    from platekeeper.config import Settings
    from platekeeper.ingest.camera_keys import CameraKeys, IssuedKey
    from platekeeper.recognition import Recognizer
    from platekeeper.sim.captures import Capture
    from platekeeper.store.cameras import CameraRepository

logger = logging.getLogger(__name__)

PATH = "/api/v1/ingest/reads"
SIGNALS_PATH = "/api/v1/signals/phases"
BATCH = 100  # the door's largest batch
PHASE_BATCH = 500
LIVE_FLUSH_S = 1.0
LIVE_WINDOW_S = 60.0


def register_network(cameras: CameraRepository, network: Network) -> int:
    """Add the network's banks as cameras of the store; returns how many were new."""
    from platekeeper.store.records import CameraSpec

    added = 0
    for bank in network.bank_list:
        if cameras.by_code(bank.camera_id) is None:
            cameras.add(CameraSpec(**bank.camera_fields()))
            added += 1
    return added


def issue_keys(keys: CameraKeys, network: Network) -> dict[str, IssuedKey]:
    """A fresh key per bank, the simulator's previous keys revoked: the
    secrets live only in this process."""
    issued = {}
    for bank in network.bank_list:
        for old in keys.list(bank.camera_id):
            if old.revoked_at is None:
                keys.revoke(old.key_id)
        issued[bank.camera_id] = keys.issue(bank.camera_id)
    return issued


@dataclass
class FeedState:
    """What survives a restart (``sim/state.json``)."""

    path: Path | None  # None: progress is not kept (a one-off run)
    seed: int
    vehicles: int
    reference: date
    fed_until: float = 0.0

    @classmethod
    def load(cls, path: Path, seed: int, vehicles: int, today: date) -> FeedState:
        try:
            raw = json.loads(path.read_text())
            if raw.get("seed") == seed and raw.get("vehicles") == vehicles:
                return cls(
                    path,
                    seed,
                    vehicles,
                    date.fromisoformat(raw["reference"]),
                    float(raw.get("fed_until", 0.0)),
                )
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return cls(path, seed, vehicles, today)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "seed": self.seed,
                    "vehicles": self.vehicles,
                    "reference": self.reference.isoformat(),
                    "fed_until": self.fed_until,
                }
            )
        )
        tmp.replace(self.path)


@dataclass
class FeedCounts:
    backfilled: int = 0
    phases: int = 0
    live_captures: int = 0
    live_read: int = 0
    live_right: int = 0
    live_unread: int = 0
    live_no_plate: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)


def _key(capture: Capture) -> str:
    return f"sim:{capture.vehicle_id}:{capture.ts:.3f}"


def _track(capture: Capture) -> list[dict[str, Any]]:
    """The stop-line positions a junction camera measures (empty elsewhere)."""
    return [
        {"at": datetime.fromtimestamp(p.ts, UTC).isoformat(), "offset_m": round(p.offset_m, 2)}
        for p in capture.stop_line
    ]


def _confidence(capture: Capture) -> float:
    return 0.9 + (capture.id * 7919 % 97) / 1000


class SimFeed:
    def __init__(
        self,
        network: Network,
        population: Population,
        state: FeedState,
        keys: dict[str, IssuedKey],
        client: httpx.Client,
        *,
        recognizer: Recognizer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.network = network
        self.population = population
        self.state = state
        self.keys = keys
        self.client = client
        self.recognizer = recognizer
        self.clock = clock
        self.sim = TripSimulator(network, population, state.seed)
        self.counts = FeedCounts()
        self._rng = np.random.default_rng(state.seed)

    # -- sending -------------------------------------------------------------

    def _post(
        self, camera: str, reads: list[dict[str, Any]], *, path: str = PATH, field: str = "reads"
    ) -> None:
        key = self.keys[camera]
        body = json.dumps({field: reads}).encode()
        for attempt in range(5):
            headers = sign(key.key_id, key.secret, "POST", path, body)
            headers["Content-Type"] = "application/json"
            try:
                answer = self.client.post(path, content=body, headers=headers)
            except httpx.HTTPError as exc:
                logger.warning("simulated camera: no answer (%s), retrying", type(exc).__name__)
                time.sleep(0.5 * 2**attempt)
                continue
            if answer.is_success:
                return
            self.counts.refused += len(reads)
            if len(self.counts.errors) < 20:
                self.counts.errors.append(f"{answer.status_code}: {answer.text[:200]}")
            logger.warning("simulated camera: batch refused (%d)", answer.status_code)
            return

    def _send_grouped(self, reads: Iterable[tuple[str, dict[str, Any]]]) -> int:
        pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        sent = 0
        for camera, read in reads:
            pending[camera].append(read)
            if len(pending[camera]) >= BATCH:
                self._post(camera, pending.pop(camera))
            sent += 1
        for camera, batch in pending.items():
            self._post(camera, batch)
        return sent

    def send_phases(self, start: float, end: float) -> int:
        """What the junction controllers report for ``[start, end)``, each
        through a camera key of its own bank."""
        from platekeeper.sim.rules_setup import phase_events, signal_id

        camera_of = {signal_id(b): b.camera_id for b in self.network.bank_list if b.junction}
        pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        sent = 0
        for event in phase_events(self.network, start, end):
            camera = camera_of[event.signal]
            pending[camera].append(event.model_dump(mode="json"))
            if len(pending[camera]) >= PHASE_BATCH:
                self._post(camera, pending.pop(camera), path=SIGNALS_PATH, field="events")
            sent += 1
        for camera, events in pending.items():
            self._post(camera, events, path=SIGNALS_PATH, field="events")
        self.counts.phases += sent
        return sent

    def perfect_read(self, capture: Capture) -> dict[str, Any]:
        """The read a perfect reader makes of ``capture`` (no image)."""
        return {
            "idempotency_key": _key(capture),
            "captured_at": capture.captured_at.isoformat(),
            "plate": capture.plate,  # None: the vehicle has no readable plate
            "confidence": round(_confidence(capture), 3) if capture.plate else 0.0,
            "country": "UZ" if capture.plate else None,
            "track": _track(capture),
        }

    # -- backfill --------------------------------------------------------------

    def backfill(self, start: float, end: float) -> int:
        """Send the captures of ``[start, end)`` at once (perfect reads, no image),
        after the signal phases of that time."""
        self.send_phases(start, end)

        def reads() -> Iterable[tuple[str, dict[str, Any]]]:
            for capture in self.sim.captures(
                datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
            ):
                yield capture.camera_id, self.perfect_read(capture)

        sent = self._send_grouped(reads())
        self.counts.backfilled += sent
        self.state.fed_until = max(self.state.fed_until, end)
        self.state.save()
        return sent

    # -- live ----------------------------------------------------------------

    def live_read(self, capture: Capture) -> dict[str, Any]:
        """Render the capture's plate crop and read it. A vehicle whose plate
        is missing or could not be read is sent as a pass with no plate, with
        the crop when there is one, as a camera that saw the vehicle would.
        Without a recognizer, the read of a perfect reader."""
        from platekeeper.sim.render.crop import render_plate_crop

        self.counts.live_captures += 1
        if self.recognizer is None:
            if capture.plate is None:
                self.counts.live_no_plate += 1
            else:
                self.counts.live_read += 1
                self.counts.live_right += 1
            return self.perfect_read(capture)
        no_plate: dict[str, Any] = {
            "idempotency_key": _key(capture),
            "captured_at": capture.captured_at.isoformat(),
            "plate": None,
            "confidence": 0.0,
            "track": _track(capture),
        }
        if capture.plate is None:
            self.counts.live_no_plate += 1
            return no_plate
        vehicle = self.population[capture.vehicle_id]
        fmt = vehicle.plate_format.value.replace("-", "_")
        crop = render_plate_crop(self._rng, text=capture.plate, fmt=fmt)
        image = np.ascontiguousarray(crop.image)
        plates = self.recognizer.read(image, countries=["UZ"])
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        crop_b64 = base64.b64encode(jpeg.tobytes()).decode() if ok else None
        if not plates:
            self.counts.live_unread += 1
            return {**no_plate, "crop_jpeg": crop_b64}
        best = max(plates, key=lambda p: p.confidence)
        self.counts.live_read += 1
        if normalise_plate(best.text) == normalise_plate(capture.plate):
            self.counts.live_right += 1
        return {
            "idempotency_key": _key(capture),
            "captured_at": capture.captured_at.isoformat(),
            "plate": best.text,
            "confidence": round(float(best.confidence), 3),
            "country": best.country,
            "crop_jpeg": crop_b64,
            "track": _track(capture),
        }

    def run_live(self, stop: threading.Event) -> None:
        """Feed captures as their time comes, until ``stop`` is set."""
        cursor = max(self.state.fed_until, self.clock() - LIVE_WINDOW_S)
        while not stop.is_set():
            end = cursor + LIVE_WINDOW_S
            self.send_phases(cursor, end)  # the controllers' programme for the minute
            pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
            last_flush = time.monotonic()
            for capture in self.sim.captures(
                datetime.fromtimestamp(cursor, UTC), datetime.fromtimestamp(end, UTC)
            ):
                while capture.ts > self.clock():
                    if stop.wait(min(0.25, capture.ts - self.clock())):
                        return
                pending[capture.camera_id].append(self.live_read(capture))
                if time.monotonic() - last_flush >= LIVE_FLUSH_S:
                    for camera, batch in pending.items():
                        self._post(camera, batch)
                    pending.clear()
                    last_flush = time.monotonic()
            for camera, batch in pending.items():
                self._post(camera, batch)
            while end > self.clock():
                if stop.wait(min(0.5, end - self.clock())):
                    return
            cursor = end
            self.state.fed_until = end
            self.state.save()


def https_client(base_url: str, certificate: Path | None) -> httpx.Client:
    """A client of the local server, trusting its (self-signed) certificate."""
    context = ssl.create_default_context(cafile=str(certificate) if certificate else None)
    return httpx.Client(base_url=base_url, verify=context, timeout=30.0)


def _wait_for_server(client: httpx.Client, stop: threading.Event, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        stop.wait(0.5)
    return False


def _run(feed: SimFeed, stop: threading.Event, backfill_hours: float) -> None:
    if not _wait_for_server(feed.client, stop):
        logger.error("simulated network: the server did not come up; nothing fed")
        return
    now = feed.clock()
    start = max(feed.state.fed_until, now - backfill_hours * 3600)
    if now - start > LIVE_WINDOW_S:
        began = time.monotonic()
        sent = feed.backfill(start, now - LIVE_WINDOW_S)
        logger.info(
            "simulated network: %d past reads sent in %.0f s (%.0f hours of history)",
            sent,
            time.monotonic() - began,
            (now - start) / 3600,
        )
    feed.run_live(stop)


@dataclass
class SimWorld:
    """The simulated network, its fleet and the feed's saved progress."""

    network: Network
    population: Population
    state: FeedState

    @classmethod
    def load(cls, settings: Settings) -> SimWorld:
        sim = settings.sim
        network = Network.load(sim.network_file)
        state = FeedState.load(
            settings.data_dir / "sim" / "state.json", sim.seed, sim.vehicles, date.today()
        )
        population = Population.generate(network, sim.vehicles, sim.seed, reference=state.reference)
        return cls(network, population, state)


@contextlib.contextmanager
def running_feed(
    settings: Settings,
    world: SimWorld,
    *,
    cameras: CameraRepository,
    keys: CameraKeys,
    base_url: str,
    certificate: Path | None,
) -> Iterator[SimFeed]:
    """Register the network's cameras, key them, and feed the server at
    ``base_url`` from a background thread for as long as the context lasts."""
    from platekeeper.recognition import Recognizer

    register_network(cameras, world.network)
    issued = issue_keys(keys, world.network)
    recognizer = Recognizer(settings.recognition) if settings.sim.recognise else None
    client = https_client(base_url, certificate)
    feed = SimFeed(
        world.network, world.population, world.state, issued, client, recognizer=recognizer
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=_run, args=(feed, stop, settings.sim.backfill_hours), daemon=True, name="sim-feed"
    )
    thread.start()
    try:
        yield feed
    finally:
        stop.set()
        thread.join(timeout=15)
        client.close()

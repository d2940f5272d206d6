"""The simulated network feeding a running server through the camera door.

Each bank of the network is a camera of the store with a key of its own;
the feed signs its batches with that key and posts them over HTTPS to
``/api/v1/ingest/reads`` — the door real edge agents use — and the junction
controllers' signal phases to ``/api/v1/signals/phases``. Two ways to send:

- **backfill**: the captures of a past window, sent at once so that
  journeys have a history from the first minute. These carry the text a
  perfect reader returns and no image (rendering and reading every one of
  tens of thousands of captures would take longer than the demo should).
- **paced** (:meth:`SimFeed.feed_window`): each capture once its due time
  comes — its own capture time when live, earlier in accelerated time or a
  load test. Up to a budget of renders a second, a capture is drawn as its
  camera's frame and read by the recognition engine
  (:mod:`platekeeper.sim.camera_view`), and the engine's read, the frame and
  the crop are sent; a capture the engine cannot read, or of a vehicle with
  no readable plate, is sent as a pass with no plate (the no-plate rule's
  input), as a real camera would. Past the budget, or with recognition off,
  a capture is sent as a perfect reader reads it.

Capture times are never in the server's future: the server refuses those.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from platekeeper.ingest.signing import sign
from platekeeper.sim.camera_view import b64
from platekeeper.sim.feed_setup import FeedState
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population
from platekeeper.sim.simulator import TripSimulator

if TYPE_CHECKING:
    from platekeeper.ingest.camera_keys import IssuedKey
    from platekeeper.sim.camera_view import CameraView, RenderBudget
    from platekeeper.sim.captures import Capture

logger = logging.getLogger(__name__)

PATH = "/api/v1/ingest/reads"
SIGNALS_PATH = "/api/v1/signals/phases"
BATCH = 100  # the door's largest batch
BATCH_BYTES = 6 << 20  # under the door's 8 MiB body limit, with room for JSON
PHASE_BATCH = 500
FLUSH_S = 1.0
LIVE_WINDOW_S = 60.0
# Phases go to the signal door a step ahead of the captures that need them;
# the door refuses phases more than its clock skew (300 s) in the future.
PHASE_STEP_S = 120.0
PAST_PHASE_STEP_S = 3600.0

Due = Callable[[int, "Capture"], float]


@dataclass
class FeedCounts:
    """What the feed sent. ``live_*`` count paced captures: those rendered
    and read by the engine (``live_rendered``: ``live_read`` of them with a
    plate found, ``live_right`` of those exactly right, ``live_unread``
    with none), those sent as perfect reads (``live_perfect``) and passes
    of vehicles with no readable plate (``live_no_plate``)."""

    backfilled: int = 0
    phases: int = 0
    live_captures: int = 0
    live_rendered: int = 0
    live_read: int = 0
    live_right: int = 0
    live_unread: int = 0
    live_perfect: int = 0
    live_no_plate: int = 0
    stored: int = 0
    duplicates: int = 0
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


def _window(start: float, end: float) -> tuple[datetime, datetime]:
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)


class SimFeed:
    """The network's cameras and junction controllers, speaking to one server."""

    def __init__(
        self,
        network: Network,
        population: Population,
        state: FeedState,
        keys: dict[str, IssuedKey],
        client: httpx.Client,
        *,
        view: CameraView | None = None,
        budget: RenderBudget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.network = network
        self.population = population
        self.state = state
        self.keys = keys
        self.client = client
        self.view = view
        self.budget = budget
        self.clock = clock
        self.sim = TripSimulator(network, population, state.seed)
        self.counts = FeedCounts()
        self.sightings: Counter[int] = Counter()  # backfilled captures per vehicle
        self.backfilled_window: tuple[float, float] | None = None
        self._phases_until = 0.0

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
                if path == PATH:
                    got = answer.json()
                    self.counts.stored += int(got.get("stored", 0))
                    self.counts.duplicates += int(got.get("duplicates", 0))
                return
            self._refused(len(reads), f"{answer.status_code}: {answer.text[:200]}")
            return
        self._refused(len(reads), "no answer after 5 tries")

    def _refused(self, n: int, error: str) -> None:
        self.counts.refused += n
        if len(self.counts.errors) < 20:
            self.counts.errors.append(error)
        logger.warning("simulated camera: batch not stored (%s)", error.split(":", 1)[0])

    def _post_reads(self, camera: str, reads: list[dict[str, Any]]) -> None:
        """Post in batches the door takes: at most 100 reads, and frames
        split so that no body nears its size limit."""
        batch: list[dict[str, Any]] = []
        size = 0
        for read in reads:
            weight = len(read.get("frame_jpeg") or "") + len(read.get("crop_jpeg") or "") + 400
            if batch and (len(batch) >= BATCH or size + weight > BATCH_BYTES):
                self._post(camera, batch)
                batch, size = [], 0
            batch.append(read)
            size += weight
        if batch:
            self._post(camera, batch)

    def _flush(self, pending: dict[str, list[dict[str, Any]]]) -> None:
        for camera, batch in pending.items():
            self._post_reads(camera, batch)
        pending.clear()

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
        self._phases_until = max(self._phases_until, end)
        return sent

    def _phases_for(self, ts: float, end: float) -> None:
        """Make sure the phases up to ``ts`` have been sent."""
        while self._phases_until <= ts and self._phases_until < end:
            step = PAST_PHASE_STEP_S if self._phases_until + 3600 <= self.clock() else PHASE_STEP_S
            self.send_phases(self._phases_until, min(self._phases_until + step, end))

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
            self.sightings.clear()
            for capture in self.sim.captures(*_window(start, end)):
                if capture.plate is not None:
                    self.sightings[capture.vehicle_id] += 1
                yield capture.camera_id, self.perfect_read(capture)

        pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        sent = 0
        for camera, read in reads():
            pending[camera].append(read)
            if len(pending[camera]) >= BATCH:
                self._post(camera, pending.pop(camera))
            sent += 1
        self._flush(pending)
        self.counts.backfilled += sent
        self.backfilled_window = (start, end)
        self.state.fed_until = max(self.state.fed_until, end)
        self.state.save()
        return sent

    # -- paced ---------------------------------------------------------------

    def live_read(self, capture: Capture) -> dict[str, Any]:
        """What the capture's camera sends: the engine's read of the rendered
        frame while the render budget lasts, else a perfect reader's read.
        A vehicle with no readable plate, or one the engine found no plate
        on, is a pass with no plate."""
        counts = self.counts
        counts.live_captures += 1
        if capture.plate is None:
            counts.live_no_plate += 1
            return self.perfect_read(capture)
        if self.view is None or (self.budget is not None and not self.budget.take()):
            counts.live_perfect += 1
            return self.perfect_read(capture)
        seen = self.view.read(capture)
        counts.live_rendered += 1
        read: dict[str, Any] = {
            "idempotency_key": _key(capture),
            "captured_at": capture.captured_at.isoformat(),
            "plate": None,
            "confidence": 0.0,
            "frame_jpeg": b64(seen.frame_jpeg),
            "track": _track(capture),
        }
        if seen.plate is None:
            counts.live_unread += 1
            return read
        counts.live_read += 1
        counts.live_right += seen.right
        return {
            **read,
            "plate": seen.plate.text,
            "confidence": round(float(seen.plate.confidence), 3),
            "country": seen.plate.country,
            "crop_jpeg": b64(seen.crop_jpeg),
        }

    def feed_window(
        self,
        start: float,
        end: float,
        stop: threading.Event,
        due: Due | None = None,
        only: Callable[[Capture], bool] | None = None,
    ) -> bool:
        """Send the captures of ``[start, end)`` (those ``only`` keeps) with
        :meth:`feed_captures`."""
        captures = self.sim.captures(*_window(start, end))
        chosen = captures if only is None else filter(only, captures)
        return self.feed_captures(chosen, start, end, stop, due)

    def feed_captures(
        self,
        captures: Iterable[Capture],
        start: float,
        end: float,
        stop: threading.Event,
        due: Due | None = None,
    ) -> bool:
        """Send ``captures`` (of ``[start, end)``, in time order) one by one
        as the feed's clock reaches each one's due time (``due(n, capture)``;
        by default its capture time), in batches of at most 100 reads and a
        second, each after the signal phases it needs. A capture whose due
        time has passed (the feed fell behind) goes at once. False if
        ``stop`` came first."""
        pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        last_flush = time.monotonic()
        self._phases_until = max(self._phases_until, start)
        for n, capture in enumerate(captures):
            at = capture.ts if due is None else due(n, capture)
            while at > self.clock():
                if pending and time.monotonic() - last_flush >= FLUSH_S:
                    self._flush(pending)
                    last_flush = time.monotonic()
                if stop.wait(min(0.25, max(at - self.clock(), 0.0))):
                    break
            if stop.is_set():
                self._flush(pending)
                return False
            self._phases_for(capture.ts, end)
            batch = pending[capture.camera_id]
            batch.append(self.live_read(capture))
            if len(batch) >= BATCH:  # a camera that has a full batch sends it
                self._post_reads(capture.camera_id, pending.pop(capture.camera_id))
            if time.monotonic() - last_flush >= FLUSH_S:
                self._flush(pending)
                last_flush = time.monotonic()
        self._flush(pending)
        return True

    def run_live(self, stop: threading.Event) -> None:
        """Feed captures as their time comes, a minute at a time, until
        ``stop`` is set; the minutes done are saved."""
        cursor = max(self.state.fed_until, self.clock() - LIVE_WINDOW_S)
        while not stop.is_set():
            end = cursor + LIVE_WINDOW_S
            if not self.feed_window(cursor, end, stop):
                return
            while end > self.clock():
                if stop.wait(min(0.5, end - self.clock())):
                    return
            self._phases_for(end - 1e-3, end)  # a quiet minute still has its signals
            cursor = end
            self.state.fed_until = end
            self.state.save()

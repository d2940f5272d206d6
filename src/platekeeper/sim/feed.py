"""The simulated network feeding a running server through the camera door.

Each bank of the network is a camera of the store with a key of its own;
the feed signs its batches with that key and posts them over HTTPS to
``/api/v1/ingest/reads`` — the door real edge agents use — and the junction
controllers' signal phases to ``/api/v1/signals/phases``. Two ways to send:

- **backfill**: the captures of a past window, sent at once so that
  journeys have a history from the first minute. These carry the text a
  perfect reader returns and no image (rendering and reading every one of
  tens of thousands of captures would take longer than the demo should),
  but for a crossing on red, which comes with the clip and stills a
  red-light camera keeps (when the feed films junctions: few, and cheap).
- **paced** (:meth:`SimFeed.feed_window`): each capture once its due time
  comes — its own capture time when live, earlier in accelerated time or a
  load test. Up to a budget of renders a second, a capture is drawn as its
  camera's frame and read by the recognition engine
  (:mod:`platekeeper.sim.camera_view`), and the engine's read, the frame and
  the crop are sent; a capture the engine cannot read, or of a vehicle with
  no readable plate, is sent as a pass with no plate (the no-plate rule's
  input), as a real camera would. Past the budget, or with recognition off,
  a capture is sent as a perfect reader reads it. A rendered capture at a
  junction that crossed on red comes with a short clip of the pass and a
  still of each point of its stop-line track; other rendered junction
  captures with a clip, up to a budget of their own
  (:mod:`platekeeper.sim.junction_clip`).

Either way a camera posts its batch when it holds 100 reads. Paced
captures also go, every camera's that wait, once a second and once the
oldest read waiting is two minutes older (in capture time) than the newest:
sent faster than real time, a quiet camera's reads would otherwise reach
the rules hours behind a busy one's, later than the section rule waits for
them (five minutes by default). The backfill is a backlog, sent in full
batches (each post costs the server a transaction): its reads reach the
rules as late as its history reaches back, and the demo's section rule
waits that long (:func:`platekeeper.sim.feed_run.history_lateness`).

With ``senders`` above one, batches go from that many threads, each
posting for a fixed group of cameras (:mod:`platekeeper.sim.senders`); a
flush hands the batches over, so reads may reach the server a few batches
later than the hold says.

The phases a read needs — those up to its stop-line crossing and the change
after it — are sent before the read. Capture and phase times are never more
than a step into the server's future: the server refuses those.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from platekeeper.edge.folder import plate_box
from platekeeper.ingest.signing import sign
from platekeeper.sim.camera_view import b64
from platekeeper.sim.feed_setup import FeedState
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population
from platekeeper.sim.senders import Senders
from platekeeper.sim.signals import Phase
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
HOLD_S = 120.0  # capture time a paced read may wait in its camera's batch
LIVE_WINDOW_S = 60.0
# Phases go to the signal door a step ahead of the captures that need them;
# the door refuses phases more than its clock skew (300 s) in the future.
PHASE_STEP_S = 120.0
PHASE_AHEAD_S = 120.0
PAST_PHASE_STEP_S = 3600.0
PHASE_BLOCK_S = 6 * 3600.0  # the history's phases, sent ahead of its reads

Due = Callable[[int, "Capture"], float]


@dataclass
class FeedCounts:
    """What the feed sent. ``live_*`` count paced captures: those rendered
    and read by the engine (``live_rendered``: ``live_read`` of them with a
    plate found, ``live_right`` of those exactly right, ``live_unread``
    with none), those sent as perfect reads (``live_perfect``) and passes
    of vehicles with no readable plate (``live_no_plate``); junction passes
    sent with a clip, live or past (``filmed``), with the stills of their
    track as well (``stills``)."""

    backfilled: int = 0
    phases: int = 0
    live_captures: int = 0
    live_rendered: int = 0
    live_read: int = 0
    live_right: int = 0
    live_unread: int = 0
    live_perfect: int = 0
    live_no_plate: int = 0
    filmed: int = 0
    stills: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)


def _key(capture: Capture) -> str:
    return f"sim:{capture.vehicle_id}:{capture.ts:.3f}"


def _track(capture: Capture, stills: Sequence[bytes | None] = ()) -> list[dict[str, Any]]:
    """The stop-line positions a junction camera measures (empty elsewhere),
    each with its still when ``stills`` has one for it."""
    points: list[dict[str, Any]] = [
        {"at": datetime.fromtimestamp(p.ts, UTC).isoformat(), "offset_m": round(p.offset_m, 2)}
        for p in capture.stop_line
    ]
    for point, still in zip(points, stills, strict=False):
        if still is not None:
            point["frame_jpeg"] = b64(still)
    return points


def _seen(capture: Capture) -> dict[str, Any]:
    """The lane and vehicle class a camera reports with every read (the
    simulated vehicle is drawn in its lane's region of the frame)."""
    return {"lane": capture.lane, "vehicle_class": capture.vehicle_class.value}


def _weight(read: dict[str, Any]) -> int:
    """About how many bytes ``read`` adds to a batch's body."""
    images = [read.get(k) or "" for k in ("frame_jpeg", "crop_jpeg", "clip_mp4")]
    images += [p.get("frame_jpeg") or "" for p in read.get("track", ())]
    return sum(map(len, images)) + 400


def _confidence(capture: Capture) -> float:
    return 0.9 + (capture.id * 7919 % 97) / 1000


def _window(start: float, end: float) -> tuple[datetime, datetime]:
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)


def _track_end(capture: Capture) -> float:
    """The last instant the capture's read speaks of (its stop-line track may
    run past the capture itself)."""
    return max(capture.ts, capture.stop_line[-1].ts) if capture.stop_line else capture.ts


class _Outbox:
    """Reads waiting in their cameras' batches. A camera posts its batch when
    it is full; all post once ``flush_s`` of wall time has passed, or once
    the oldest waiting read is ``hold_s`` of capture time behind the newest
    (None: no such bound; the backfill's batches fill up, since every post
    costs the server a transaction)."""

    def __init__(self, feed: SimFeed, hold_s: float | None, flush_s: float | None) -> None:
        self.feed = feed
        self.hold_s = hold_s
        self.flush_s = flush_s
        self.pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.since: dict[str, float] = {}  # capture time of each batch's first read
        self.oldest: float | None = None
        self.posted_at = time.monotonic()
        self.sent = 0

    def add(self, camera: str, read: dict[str, Any], ts: float) -> None:
        batch = self.pending[camera]
        batch.append(read)
        self.since.setdefault(camera, ts)
        self.sent += 1
        if self.oldest is None:
            self.oldest = ts
        if len(batch) >= BATCH:  # a camera that has a full batch sends it
            del self.since[camera]
            self.feed.senders.send(camera, self.pending.pop(camera))
        if (self.hold_s is not None and ts - self.oldest >= self.hold_s) or self.due():
            self.flush()

    def due(self) -> bool:
        return (
            self.flush_s is not None
            and bool(self.pending)
            and time.monotonic() - self.posted_at >= self.flush_s
        )

    def flush(self) -> None:
        for camera, batch in self.pending.items():
            self.feed.senders.send(camera, batch)
        self.pending.clear()
        self.since.clear()
        self.oldest = None
        self.posted_at = time.monotonic()

    def finish(self) -> None:
        """Flush, and return once every batch sent has been answered."""
        self.flush()
        self.feed.senders.wait()


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
        clips: RenderBudget | None = None,
        senders: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.network = network
        self.population = population
        self.state = state
        self.keys = keys
        self.client = client
        self.view = view
        self.budget = budget
        self.clips = clips  # None: no clips
        self.clock = clock
        self.sim = TripSimulator(network, population, state.seed)
        self.counts = FeedCounts()
        self.live_from: float | None = None  # where the live loop began
        self._phases_until = 0.0  # the paced feed's phases are sent up to here
        # The phases after a crossing: a change comes within one cycle.
        self._cycle = max((b.signal.cycle_s for b in network.bank_list if b.signal), default=0.0)
        # The live loop and the history may post from two threads at once.
        self._counting = threading.Lock()
        self.senders = Senders(self._post_reads, senders)

    def close(self) -> None:
        """Send what waits in the sender threads, then end them."""
        self.senders.close()

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
                    with self._counting:
                        self.counts.stored += int(got.get("stored", 0))
                        self.counts.duplicates += int(got.get("duplicates", 0))
                return
            self._refused(len(reads), f"{answer.status_code}: {answer.text[:200]}")
            return
        self._refused(len(reads), "no answer after 5 tries")

    def _refused(self, n: int, error: str) -> None:
        with self._counting:
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
            weight = _weight(read)
            if batch and (len(batch) >= BATCH or size + weight > BATCH_BYTES):
                self._post(camera, batch)
                batch, size = [], 0
            batch.append(read)
            size += weight
        if batch:
            self._post(camera, batch)

    def send_phases(self, start: float, end: float, banks: Collection[str] | None = None) -> int:
        """What the junction controllers (of ``banks``, by bank id; all when
        None) report for ``[start, end)``, each through a camera key of its
        own bank; never more than ``PHASE_AHEAD_S`` past the clock."""
        from platekeeper.sim.rules_setup import phase_events, signal_id

        end = min(end, self.clock() + PHASE_AHEAD_S)
        camera_of = {signal_id(b): b.camera_id for b in self.network.bank_list if b.junction}
        pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        sent = 0
        for event in phase_events(self.network, start, end, banks):
            camera = camera_of[event.signal]
            pending[camera].append(event.model_dump(mode="json"))
            if len(pending[camera]) >= PHASE_BATCH:
                self._post(camera, pending.pop(camera), path=SIGNALS_PATH, field="events")
            sent += 1
        for camera, events in pending.items():
            self._post(camera, events, path=SIGNALS_PATH, field="events")
        with self._counting:
            self.counts.phases += sent
        return sent

    def _phases_for(self, until: float) -> None:
        """Make sure the paced feed's phases up to ``until`` have been sent."""
        until = min(until, self.clock() + PHASE_AHEAD_S)
        while self._phases_until < until:
            begin = self._phases_until
            step = PAST_PHASE_STEP_S if begin + 3600 <= self.clock() else PHASE_STEP_S
            end = min(begin + step, self.clock() + PHASE_AHEAD_S)
            self.send_phases(begin, end)
            self._phases_until = end

    def perfect_read(self, capture: Capture) -> dict[str, Any]:
        """The read a perfect reader makes of ``capture`` (no image)."""
        return {
            "idempotency_key": _key(capture),
            "captured_at": capture.captured_at.isoformat(),
            "plate": capture.plate,  # None: the vehicle has no readable plate
            "confidence": round(_confidence(capture), 3) if capture.plate else 0.0,
            "country": "UZ" if capture.plate else None,
            **_seen(capture),
            "track": _track(capture),
        }

    # -- backfill --------------------------------------------------------------

    def past_read(self, capture: Capture) -> dict[str, Any]:
        """A past capture as the backfill sends it: a perfect read with no
        image, but a crossing on red with the clip and stills a red-light
        camera keeps, when the feed films junctions."""
        read = self.perfect_read(capture)
        if (
            capture.phase is Phase.RED
            and capture.plate is not None
            and self.view is not None
            and self.clips is not None
        ):
            read.update(self._film(capture))
        return read

    def backfill(
        self,
        start: float,
        end: float,
        *,
        stop: threading.Event | None = None,
        vehicles: Collection[int] | None = None,
        skip: Collection[int] = (),
    ) -> int:
        """Send the captures of ``[start, end)`` at once (perfect reads, no
        image), after the signal phases they need: those of the whole window,
        or with ``vehicles`` (only their captures) those around each of their
        crossings. ``skip`` leaves vehicles out; ``stop`` ends it early.
        Returns the reads sent."""
        captures = self.sim.captures(*_window(start, end))
        if vehicles is None:
            self.send_phases(start, end + self._cycle)
        else:
            chosen = frozenset(vehicles)
            captures = (c for c in captures if c.vehicle_id in chosen)
        if skip:
            left_out = frozenset(skip)
            captures = (c for c in captures if c.vehicle_id not in left_out)
        outbox = _Outbox(self, None, None)
        for capture in captures:
            if stop is not None and stop.is_set():
                break
            if vehicles is not None and capture.stop_line:
                # The controller's changes from a cycle before the track to
                # the one after it: the phase at the crossing and since when.
                self.send_phases(
                    capture.stop_line[0].ts, _track_end(capture) + self._cycle, [capture.bank_id]
                )
            outbox.add(capture.camera_id, self.past_read(capture), capture.ts)
        outbox.finish()
        with self._counting:
            self.counts.backfilled += outbox.sent
        if vehicles is None and not (stop is not None and stop.is_set()):
            self.state.advance(end)
        return outbox.sent

    def backfill_windows(
        self,
        windows: Iterable[tuple[float, float]],
        *,
        stop: threading.Event,
        skip: Collection[int] = (),
        progress: Callable[[float], None] | None = None,
    ) -> int:
        """Send the captures of ``windows`` (in time order, apart) as
        :meth:`backfill` does, but with batches that fill across windows and
        the signal phases a block of ``PHASE_BLOCK_S`` at a time: an hour of
        the demo's traffic is a dozen reads a camera, and each post costs
        the server a transaction (an hour at a time, the 72-hour history
        took 8,000 posts instead of 1,300). After each window,
        ``progress(t)`` says that every capture before ``t`` has been
        answered (a restart sends the rest again; the door drops repeats).
        Returns the reads sent."""
        outbox = _Outbox(self, None, None)
        left_out = frozenset(skip)
        phased = float("-inf")  # phases sent up to here
        for start, end in windows:
            if end + self._cycle > phased:
                until = max(end, start + PHASE_BLOCK_S) + self._cycle
                self.send_phases(max(start, phased), until)
                phased = until
            for capture in self.sim.captures(*_window(start, end)):
                if stop.is_set():
                    break
                if capture.vehicle_id not in left_out:
                    outbox.add(capture.camera_id, self.past_read(capture), capture.ts)
            if stop.is_set():
                break
            self.state.advance(end)
            if progress is not None:
                self.senders.wait()  # answered, not only handed to a sender
                progress(min(outbox.since.values(), default=end))
        outbox.finish()
        with self._counting:
            self.counts.backfilled += outbox.sent
        return outbox.sent

    # -- paced ---------------------------------------------------------------

    def live_read(self, capture: Capture) -> dict[str, Any]:
        """What the capture's camera sends: the engine's read of the rendered
        frame while the render budget lasts, else a perfect reader's read.
        A vehicle with no readable plate, or one the engine found no plate
        on, is a pass with no plate. A rendered junction capture is filmed
        when it crossed on red, else while the clip budget lasts (none
        without a clip budget)."""
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
            **_seen(capture),
            "track": _track(capture),
        }
        # A crossing on red is what a red-light camera is triggered by: it
        # is always filmed (red passes are few, and rendered ones fewer).
        red = capture.phase is Phase.RED
        if capture.stop_line and self.clips is not None and (red or self.clips.take()):
            read.update(self._film(capture))
        if seen.plate is None:
            counts.live_unread += 1
            return read
        counts.live_read += 1
        counts.live_right += seen.right
        read = {
            **read,
            "plate": seen.plate.text,
            "confidence": round(float(seen.plate.confidence), 3),
            "country": seen.plate.country,
            "crop_jpeg": b64(seen.crop_jpeg),
        }
        box = plate_box(seen.plate)
        if box is not None and seen.frame_jpeg is not None:
            read["plate_box"] = box  # as the edge sends it: where the windscreen is looked for
        return read

    def _film(self, capture: Capture) -> dict[str, Any]:
        """The clip of a junction pass, and the stills of its track when the
        signal showed red at the crossing (a red-light camera's trigger)."""
        from platekeeper.sim.junction_clip import film_pass

        assert self.view is not None
        red = capture.phase is Phase.RED
        clip = film_pass(
            capture,
            self.view.plate_format(capture),
            self.view.light(capture),
            seed=self.view.seed,
            stills=red,
        )
        with self._counting:
            self.counts.filmed += 1
            self.counts.stills += red
        return {"clip_mp4": b64(clip.mp4), "track": _track(capture, clip.stills)}

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
        by default its capture time), batched as the module says, each after
        the signal phases it needs. A capture whose due time has passed (the
        feed fell behind) goes at once. False if ``stop`` came first."""
        outbox = _Outbox(self, HOLD_S, FLUSH_S)
        self._phases_until = max(self._phases_until, start)
        for n, capture in enumerate(captures):
            at = capture.ts if due is None else due(n, capture)
            while at > self.clock():
                if outbox.due():
                    outbox.flush()
                if stop.wait(min(0.25, max(at - self.clock(), 0.0))):
                    break
            if stop.is_set():
                outbox.finish()
                return False
            self._phases_for(_track_end(capture) + self._cycle)
            outbox.add(capture.camera_id, self.live_read(capture), capture.ts)
        outbox.finish()
        return True

    def run_live(self, stop: threading.Event) -> None:
        """Feed captures as their time comes, a minute at a time, until
        ``stop`` is set; the minutes done are saved."""
        cursor = max(self.state.fed_until, self.clock() - LIVE_WINDOW_S)
        self.live_from = cursor
        while not stop.is_set():
            end = cursor + LIVE_WINDOW_S
            if not self.feed_window(cursor, end, stop):
                return
            while end > self.clock():
                if stop.wait(min(0.5, end - self.clock())):
                    return
            self._phases_for(end)  # a quiet minute still has its signals
            cursor = end
            self.state.advance(end)

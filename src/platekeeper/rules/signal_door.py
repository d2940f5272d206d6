"""Signal phases from junction controllers, through the camera door.

A controller reports through the signing key of a camera of its junction's
bank (``POST /api/v1/signals/phases``), and may report only the signal heads
named for that bank (``<bank>-…``): a stolen key of one junction cannot
paint another junction green. Events too far in the future are refused; a
repeated event is ignored. They land in the database timeline that the red
light rule consults, so the controller feed and the rules may run in
different processes. Over MQTT the same batch comes to
``<prefix>/<camera code>/signals``, signed like a read (:func:`phases_topic`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from platekeeper.ingest.mqtt import TopicHandler, TopicRefused
from platekeeper.ingest.payloads import describe
from platekeeper.rules.signal_store import DatabaseSignalTimeline
from platekeeper.rules.signals import PhaseEvent
from platekeeper.store.cameras import CameraRepository

if TYPE_CHECKING:
    from platekeeper.config import Settings
    from platekeeper.store.facade import Store

MAX_EVENTS = 500


class PhaseBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    events: list[PhaseEvent] = Field(min_length=1, max_length=MAX_EVENTS)


class PhasesResult(BaseModel):
    recorded: int = Field(description="Events accepted (repeats included: they change nothing)")


class SignalRefused(ValueError):
    """A batch the door refuses, with the reason (nothing of it was recorded)."""

    def __init__(self, reason: str, status: int = 422) -> None:
        super().__init__(reason)
        self.status = status


class SignalDoor:
    def __init__(
        self,
        timeline: DatabaseSignalTimeline,
        cameras: CameraRepository,
        clock: Callable[[], datetime],
        *,
        max_skew_s: float = 300.0,
    ) -> None:
        self.timeline = timeline
        self.cameras = cameras
        self.clock = clock
        self.max_skew = timedelta(seconds=max_skew_s)

    def record(self, camera_code: str, batch: PhaseBatch) -> PhasesResult:
        camera = self.cameras.by_code(camera_code)
        if camera is None:
            raise SignalRefused("unknown camera", 403)
        prefix = f"{camera.bank}-"
        latest = self.clock() + self.max_skew
        for n, event in enumerate(batch.events):
            if not event.signal.startswith(prefix):
                raise SignalRefused(
                    f"event {n}: signal {event.signal!r} is not of bank {camera.bank}", 403
                )
            if event.at > latest:
                raise SignalRefused(f"event {n}: the instant is in the future")
        self.timeline.record_many([(e.signal, e.ts, e.phase) for e in batch.events])
        return PhasesResult(recorded=len(batch.events))


def store_signal_door(settings: Settings, store: Store) -> SignalDoor:
    """The door of a serving process, HTTP and MQTT alike: the store's
    timeline and cameras, judged by the store's clock (as the reads are)."""
    return SignalDoor(
        DatabaseSignalTimeline(store.db, max_gap_s=settings.rules.signal_max_gap_s),
        store.cameras,
        store.clock,
        max_skew_s=settings.store.max_clock_skew_seconds,
    )


def phases_topic(door: SignalDoor) -> TopicHandler:
    """The MQTT door's handler of ``signals`` messages: the verified camera's
    phase batch, judged as the HTTP door judges it."""

    def handle(camera_code: str, body: bytes) -> PhasesResult:
        try:
            batch = PhaseBatch.model_validate_json(body)
        except ValidationError as exc:
            raise TopicRefused(422, describe(exc)) from None
        try:
            return door.record(camera_code, batch)
        except SignalRefused as exc:
            raise TopicRefused(exc.status, str(exc)) from None

    return handle

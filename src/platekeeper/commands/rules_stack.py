"""The rules pipeline of a serving process: every stored read is checked,
findings become violations for review, alerts go to the alert bus."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platekeeper.alerts.bus import AlertBus
    from platekeeper.config import Settings
    from platekeeper.review.pipeline import RulesPipeline
    from platekeeper.rules.engine import RulesEngine
    from platekeeper.rules.signals import SignalTimeline
    from platekeeper.store.facade import Store


def store_engine(settings: Settings, store: Store) -> RulesEngine:
    """The configured checks (``rules.checks``) over the store's cameras."""
    from platekeeper.rules.context import CameraDirectory, CameraSite, RuleContext
    from platekeeper.rules.engine import RulesEngine
    from platekeeper.rules.recent import RecentReadsBuffer

    sites = CameraDirectory(
        CameraSite(code=c.code, region=c.region, direction=c.direction, lanes=len(c.lanes))
        for c in store.cameras.all()
    )
    context = RuleContext(
        cameras=sites, recent=RecentReadsBuffer(), signals=signals_of(settings, store)
    )
    return RulesEngine.from_settings(settings.rules, context)


def signals_of(settings: Settings, store: Store) -> SignalTimeline:
    """The database timeline the signal door writes (``POST /api/v1/signals/phases``)."""
    from platekeeper.rules.signal_store import DatabaseSignalTimeline

    return DatabaseSignalTimeline(store.db, max_gap_s=settings.rules.signal_max_gap_s)


@contextlib.contextmanager
def running_rules(
    store: Store, engine: RulesEngine, bus: AlertBus | None
) -> Iterator[RulesPipeline]:
    from platekeeper.review.pipeline import RulesPipeline
    from platekeeper.review.violations import ViolationStore

    pipeline = RulesPipeline(store, engine, ViolationStore(store, store.clock), bus)
    store.reads.add_listener(pipeline.submit)
    stop = threading.Event()
    thread = threading.Thread(target=pipeline.run, args=(stop,), daemon=True, name="rules")
    thread.start()
    try:
        yield pipeline
    finally:
        stop.set()
        thread.join(timeout=15)

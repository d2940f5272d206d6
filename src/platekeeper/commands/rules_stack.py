"""The rules pipeline of a serving process: every stored read is checked,
findings become violations for review, alerts go to the alert bus. The
engine consults the store's registry, hotlists and cameras
(``rules.store_context``)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platekeeper.alerts.bus import AlertBus
    from platekeeper.config import Settings
    from platekeeper.ingest.mqtt import TopicHandler
    from platekeeper.review.pipeline import RulesPipeline
    from platekeeper.rules.engine import RulesEngine
    from platekeeper.rules.settings import RulesSettings
    from platekeeper.rules.signals import SignalTimeline
    from platekeeper.store.facade import Store


def store_engine(settings: Settings, store: Store) -> RulesEngine:
    """The configured checks (``rules.checks``) over the store's cameras,
    registry, hotlists (they arrive with the pipeline's first sync) and
    evidence images (the windscreen classifier's frames)."""
    from platekeeper.rules.context import RuleContext
    from platekeeper.rules.engine import RulesEngine
    from platekeeper.rules.recent import RecentReadsBuffer
    from platekeeper.rules.store_context import StoreRegistry, camera_sites
    from platekeeper.rules.store_images import StoreImages

    rules = settings.rules
    context = RuleContext(
        cameras=camera_sites(store.cameras, rules),
        registry=StoreRegistry(store.registry, ttl_s=rules.registry_cache_s),
        recent=RecentReadsBuffer(rules.recent_window_s, rules.recent_max_reads),
        signals=signals_of(settings, store),
        images=StoreImages(store.reads, max_pixels=settings.store.max_image_pixels),
    )
    return RulesEngine.from_settings(rules, context)


def signals_of(settings: Settings, store: Store) -> SignalTimeline:
    """The database timeline the signal door writes (``POST /api/v1/signals/phases``)."""
    from platekeeper.rules.signal_store import DatabaseSignalTimeline

    return DatabaseSignalTimeline(store.db, max_gap_s=settings.rules.signal_max_gap_s)


def mqtt_topics(settings: Settings, store: Store) -> dict[str, TopicHandler]:
    """What the MQTT door takes beside reads and frames: signal phases on
    ``<prefix>/<camera code>/signals``, into the same timeline as the HTTP door's."""
    from platekeeper.rules.signal_door import phases_topic, store_signal_door

    return {"signals": phases_topic(store_signal_door(settings, store))}


@contextlib.contextmanager
def running_rules(
    store: Store,
    engine: RulesEngine,
    bus: AlertBus | None,
    rules: RulesSettings | None = None,
    *,
    sync_cameras: bool = True,
) -> Iterator[RulesPipeline]:
    """The pipeline in a thread of its own; with ``rules``, it keeps the
    engine's hotlists (and, with ``sync_cameras``, its camera sites) in step
    with the store."""
    from platekeeper.review.pipeline import RulesPipeline
    from platekeeper.review.violations import ViolationStore
    from platekeeper.rules.store_context import StoreContextSync

    sync = None if rules is None else StoreContextSync(store, rules, cameras=sync_cameras)
    pipeline = RulesPipeline(
        store,
        engine,
        ViolationStore(store, store.clock),
        bus,
        context_sync=sync,
        sync_s=rules.hotlist_sync_s if rules is not None else 5.0,
    )
    store.reads.add_listener(pipeline.submit)
    stop = threading.Event()
    thread = threading.Thread(target=pipeline.run, args=(stop,), daemon=True, name="rules")
    thread.start()
    try:
        yield pipeline
    finally:
        stop.set()
        thread.join(timeout=15)

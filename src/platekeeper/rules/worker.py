"""The loop a rules worker runs: reads, signal phases and hotlist changes
in; findings out to the violation sink, alerts to the alert bus.

:class:`RulesWorker` is what ``review.pipeline.RulesPipeline`` calls for
each stored read. Delivery may repeat (at-least-once queues): the
engine's dedup memory and the violation store's unique key on the finding's
``key`` make a repeat harmless.
"""

from __future__ import annotations

import logging
from typing import Protocol

from platekeeper.rules.engine import RulesEngine
from platekeeper.rules.hotlists import HotlistEntry
from platekeeper.rules.model import Finding, FindingKind, ReadEvent
from platekeeper.rules.signals import PhaseEvent

logger = logging.getLogger(__name__)


class FindingSink(Protocol):
    """Where every finding goes to be kept (``review.violations.ViolationStore``)."""

    def put(self, finding: Finding) -> object: ...


class AlertSink(Protocol):
    """Where alerts go out (the alert bus)."""

    def raise_alert(self, finding: Finding) -> object: ...


class MemoryFindingSink:
    """Findings in a list (tests, the benchmark, a dry run)."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def put(self, finding: Finding) -> None:
        self.findings.append(finding)


class RulesWorker:
    """Feeds one engine and routes what it finds."""

    def __init__(
        self, engine: RulesEngine, findings: FindingSink, alerts: AlertSink | None
    ) -> None:
        self.engine = engine
        self.findings = findings
        self.alerts = alerts

    def handle_read(self, read: ReadEvent) -> list[Finding]:
        return self._route(self.engine.process(read))

    def handle_phase(self, event: PhaseEvent) -> list[Finding]:
        return self._route(self.engine.record_phase(event))

    def handle_hotlist_entry(self, entry: HotlistEntry) -> list[Finding]:
        return self._route(self.engine.add_hotlist_entry(entry))

    def tick(self, now: float | None = None) -> list[Finding]:
        return self._route(self.engine.tick(now))

    def _route(self, found: list[Finding]) -> list[Finding]:
        for finding in found:
            # Alerts first: they are the time-critical half.
            if finding.kind is FindingKind.ALERT and self.alerts is not None:
                try:
                    self.alerts.raise_alert(finding)
                except Exception as exc:  # delivery trouble must not stop the stream
                    logger.error("alert not raised: %s", type(exc).__name__)
            self.findings.put(finding)
        return found

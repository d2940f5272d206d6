"""The rules engine: a stream of reads in, deduplicated findings out.

Each read goes to the rules that watch its camera (a routing table built
once: camera → rules), each rule's findings pass the dedup memory, and what
is new comes back in order. A rule that raises is isolated — logged without
the read's plate, counted, skipped — so that one bad read or one broken
plugin never stops the stream.

The engine is single-threaded by design: a worker owns one engine and feeds
it from the ingest queue (reads), the signal feed (phases) and the hotlist
changes, in that process's order. Scaling out is by partitioning cameras
over workers such that both cameras of a section land on the same worker.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Sequence
from typing import Any

from platekeeper.rules.context import RuleContext
from platekeeper.rules.dedup import DedupMemory
from platekeeper.rules.hotlist import HotlistRule
from platekeeper.rules.hotlists import HotlistEntry
from platekeeper.rules.manual import manual_finding
from platekeeper.rules.model import Finding, ReadEvent
from platekeeper.rules.plugin import Rule, RulePlugins, discover_plugins
from platekeeper.rules.recent import RecentReadsBuffer
from platekeeper.rules.settings import RulesSettings
from platekeeper.rules.signals import PhaseEvent

logger = logging.getLogger(__name__)


class RulesEngine:
    """Runs configured rules over reads. Not thread-safe: one per worker."""

    def __init__(
        self,
        rules: Sequence[Rule[Any]],
        context: RuleContext,
        *,
        dedup: DedupMemory | None = None,
    ) -> None:
        names = [r.name for r in rules]
        if len(names) != len(set(names)):
            raise ValueError("rule names must be unique")
        self.rules = list(rules)
        self.context = context
        self.dedup = dedup or DedupMemory()
        self._everywhere = tuple(r for r in self.rules if r.cameras() is None)
        self._routes: dict[str, tuple[Rule[Any], ...]] = {}
        self._watermark = float("-inf")
        self.reads = 0
        self.duplicates = 0
        self.faults: dict[str, int] = {}

    @classmethod
    def from_settings(
        cls, settings: RulesSettings, context: RuleContext, plugins: RulePlugins | None = None
    ) -> RulesEngine:
        """The engine for the enabled checks of ``settings``."""
        plugins = plugins or discover_plugins()
        rules = [
            plugins.build(name, config, context)
            for name, config in settings.checks.items()
            if config.enabled
        ]
        return cls(
            rules, context, dedup=DedupMemory(settings.dedup_horizon_s, settings.dedup_max_keys)
        )

    # ------------------------------------------------------------------ reads
    def process(self, read: ReadEvent) -> list[Finding]:
        """The new findings for one read."""
        self.reads += 1
        self._watermark = max(self._watermark, read.ts)
        recent = self.context.recent
        if isinstance(recent, RecentReadsBuffer):
            recent.add(read)
        out: list[Finding] = []
        for rule in self._route(read.camera):
            try:
                found = rule.evaluate(read)
            except Exception as exc:
                self._fault(rule, "evaluate", exc)
                continue
            if found:
                self._admit(found, out)
        return out

    def process_many(self, reads: Iterable[ReadEvent]) -> list[Finding]:
        out: list[Finding] = []
        for read in reads:
            out.extend(self.process(read))
        return out

    def tick(self, now: float | None = None) -> list[Finding]:
        """Deferred findings now decidable; ``now`` defaults to the stream's
        watermark (the newest capture time seen)."""
        at = self._watermark if now is None else now
        out: list[Finding] = []
        for rule in self.rules:
            self._tick(rule, at, out)
        return out

    def _tick(self, rule: Rule[Any], at: float, out: list[Finding]) -> None:
        try:
            found = rule.tick(at)
        except Exception as exc:
            self._fault(rule, "tick", exc)
            return
        if found:
            self._admit(found, out)

    # ------------------------------------------------------------ other input
    def record_phase(self, event: PhaseEvent) -> list[Finding]:
        """A signal controller event; returns red-light findings it settles."""
        signals = self.context.signals
        signals.record(event.signal, event.ts, event.phase)
        out: list[Finding] = []
        for rule in self.rules:
            if rule.pending():
                self._tick(rule, self._watermark, out)
        return out

    def add_hotlist_entry(self, entry: HotlistEntry, now: float | None = None) -> list[Finding]:
        """Add an entry and return alerts for recent reads it matches."""
        self.context.hotlists.add(entry)
        out: list[Finding] = []
        for rule in self.rules:
            if isinstance(rule, HotlistRule):
                try:
                    found = rule.check_entry(entry, now)
                except Exception as exc:
                    self._fault(rule, "check_entry", exc)
                    continue
                self._admit(found, out)
        return out

    def remove_hotlist_entry(self, entry_id: str) -> bool:
        return self.context.hotlists.remove(entry_id)

    def flag(
        self, read: ReadEvent, offence: str, *, flagged_by: str, note: str = ""
    ) -> Finding | None:
        """A reviewer's manual flag; None when that offence was already raised for the pass."""
        finding = manual_finding(
            read,
            offence,
            flagged_by=flagged_by,
            note=note,
            region=self.context.region_of(read.camera),
        )
        return finding if self.dedup.first(finding.key, finding.ts) else None

    # -------------------------------------------------------------- internals
    def _route(self, camera: str) -> tuple[Rule[Any], ...]:
        found = self._routes.get(camera)
        if found is None:
            found = tuple(r for r in self.rules if r.applies_to(camera))
            if len(self._routes) < 100_000:  # cameras are few; a flood of bogus codes is not
                self._routes[camera] = found
        return found

    def _admit(self, found: Iterable[Finding], out: list[Finding]) -> None:
        first = self.dedup.first
        for finding in found:
            if first(finding.key, finding.ts):
                out.append(finding)
            else:
                self.duplicates += 1

    def _fault(self, rule: Rule[Any], where: str, exc: Exception) -> None:
        self.faults[rule.name] = self.faults.get(rule.name, 0) + 1
        # The exception's message may quote data (a plate as a dict key), so
        # only its type and the code location are logged.
        frames = traceback.extract_tb(exc.__traceback__)
        at = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        logger.error(
            "rule %s (%s) failed in %s: %s at %s",
            rule.name,
            rule.type,
            where,
            type(exc).__name__,
            at,
        )

    def stats(self) -> dict[str, Any]:
        return {
            "reads": self.reads,
            "duplicates": self.duplicates,
            "faults": dict(self.faults),
            "dedup_keys": len(self.dedup),
            "rules": {r.name: r.stats() for r in self.rules},
        }

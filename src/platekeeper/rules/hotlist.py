"""Hotlist rule: a read whose plate is on a hotlist raises an alert.

Exact entries and wildcard patterns are matched through the context's
:class:`~platekeeper.rules.hotlists.HotlistIndex`; an entry counts only
before it expires. Optionally the reader's other candidates are matched too
(a wanted ``01A123BC`` read as ``01A128BC``), reported as a candidate hit so
the operator knows to look.

A new entry is also checked against recent reads (:meth:`HotlistRule.check_entry`):
a vehicle seen minutes before it was listed is news for whoever listed it.
One alert per pass, whatever the number of lists that want the plate.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from platekeeper.rules.hotlists import HotlistEntry, HotlistIndex
from platekeeper.rules.model import Finding, FindingKind, Offence, ReadEvent
from platekeeper.rules.plugin import Rule, RuleConfig


class HotlistConfig(RuleConfig):
    type: Literal["hotlist"] = "hotlist"
    priority: int = Field(default=7, ge=0, le=9, title="Priority", description="Of the alert.")
    lists: list[str] | None = Field(
        default=None, title="Lists", description="Hotlists this rule alerts for; all when absent."
    )
    min_confidence: float = Field(
        default=0.0, ge=0, le=1, title="Minimum confidence", description="Ignore weaker reads."
    )
    match_candidates: bool = Field(
        default=False,
        title="Match candidates",
        description="Also match the reader's alternative readings of the plate.",
    )
    min_candidate_confidence: float = Field(
        default=0.3,
        ge=0,
        le=1,
        title="Minimum candidate confidence",
        description="Alternatives weaker than this are not matched.",
    )
    recheck_window_s: float = Field(
        default=3600.0,
        gt=0,
        le=7 * 86400,
        title="Re-check window",
        description="How far back a new entry is checked against recent reads (seconds).",
    )


class HotlistRule(Rule[HotlistConfig]):
    type = "hotlist"
    config_model = HotlistConfig
    offences = (Offence.HOTLIST.value,)

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        plate = read.plate
        if plate is None or read.confidence < self.config.min_confidence:
            return ()
        hotlists = self.context.hotlists
        entries = self._wanted(hotlists.match(plate, read.ts))
        how = "plate"
        if not entries and self.config.match_candidates:
            floor = self.config.min_candidate_confidence
            for text, confidence in read.candidates:
                if text != plate and confidence >= floor:
                    entries = self._wanted(hotlists.match(text, read.ts))
                    if entries:
                        how = "candidate"
                        break
        if not entries:
            return ()
        return (self._alert(read, entries, how, late=False),)

    def check_entry(self, entry: HotlistEntry, now: float | None = None) -> list[Finding]:
        """Alerts for recent reads that a newly added ``entry`` matches."""
        if self.config.lists is not None and entry.list_name not in self.config.lists:
            return []
        at = now if now is not None else (entry.created or time.time())
        single = HotlistIndex([entry])
        out = []
        for read in self.context.recent.since(at - self.config.recheck_window_s):
            if not self.applies_to(read.camera) or read.plate is None:
                continue
            if read.confidence < self.config.min_confidence:
                continue
            if single.match(read.plate, read.ts):
                out.append(self._alert(read, [entry], "plate", late=True))
        return out

    def _wanted(self, entries: list[HotlistEntry]) -> list[HotlistEntry]:
        lists = self.config.lists
        if lists is None or not entries:
            return entries
        return [e for e in entries if e.list_name in lists]

    def _alert(
        self, read: ReadEvent, entries: Sequence[HotlistEntry], how: str, *, late: bool
    ) -> Finding:
        lists = sorted({e.list_name for e in entries})
        return self.finding(
            read,
            Offence.HOTLIST,
            kind=FindingKind.ALERT,
            priority=min(9, max(self.config.priority, *(e.priority for e in entries))),
            details={
                "lists": lists,
                "entries": [e.entry_id for e in entries],
                "wildcard": any(e.wildcard for e in entries),
                "matched": how,
                "late": late,
            },
        )

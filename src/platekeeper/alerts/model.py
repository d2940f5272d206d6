"""An alert: a finding given an opaque id, and the plate-free form it takes
outside the application."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from platekeeper.rules.model import Finding


def new_alert_id() -> str:
    """An opaque, unguessable id (128 random bits)."""
    return "alr_" + secrets.token_urlsafe(16)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert on the bus. ``seq`` orders alerts (the SSE event id);
    ``finding`` — with the plate — never leaves the application."""

    id: str
    seq: int
    offence: str
    priority: int
    camera: str
    region: str
    captured_at: float
    raised_at: float
    lists: tuple[str, ...] = ()
    finding: Finding | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_finding(cls, finding: Finding, seq: int, raised_at: float) -> Alert:
        lists = finding.details.get("lists", ())
        return cls(
            id=new_alert_id(),
            seq=seq,
            offence=finding.offence,
            priority=finding.priority,
            camera=finding.camera,
            region=finding.region,
            captured_at=finding.ts,
            raised_at=raised_at,
            lists=tuple(str(x) for x in lists) if isinstance(lists, list | tuple) else (),
            finding=finding,
        )

    def payload(self) -> dict[str, Any]:
        """What goes out (SSE, webhooks, MQTT): no plate, no read id."""
        return {
            "id": self.id,
            "type": "alert",
            "offence": self.offence,
            "priority": self.priority,
            "camera": self.camera,
            "region": self.region,
            "lists": list(self.lists),
            "captured_at": _iso(self.captured_at),
            "raised_at": _iso(self.raised_at),
        }

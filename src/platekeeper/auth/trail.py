"""What identity code needs from its surroundings: a clock and an audit trail.

The audit log lives in ``platekeeper.audit``; identity code only knows this
protocol, so that every sign-in and every change to an account is recorded in
the same database transaction as the change itself — if the record cannot be
written, the transaction and so the action fail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.orm import Session

Clock = Callable[[], datetime]
JsonScalar = str | int | float | bool | None


def utc_now() -> datetime:
    return datetime.now(UTC)


class AuditTrail(Protocol):
    def record(
        self,
        session: Session,
        action: str,
        *,
        outcome: str = "ok",
        actor_id: int | None = None,
        actor: str | None = None,
        target: str | None = None,
        client_address: str | None = None,
        reason_code: str | None = None,
        case_number: str | None = None,
        plate_index: bytes | None = None,
        result_count: int | None = None,
        details: Mapping[str, JsonScalar] | None = None,
    ) -> int:
        """Append one entry in ``session``'s transaction; return its sequence number."""
        ...

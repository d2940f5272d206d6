"""Transparency figures: how the system was used, counted from the audit log.

What an oversight body or the public should be able to see without seeing
anyone's data: how many plate searches and journeys were made, for which
reasons, how many were refused, how many wide searches supervisors were
asked to approve and how they decided, how many images were opened. Only
counts leave here — no plate, no case number, no person.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from platekeeper.audit.models import AuditEntry
from platekeeper.auth.errors import PermissionDeniedError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.auth.trail import Clock
from platekeeper.store.engine import Database

SEARCH_ACTIONS = ("search.plates", "search.journey")


class MonthFigures(BaseModel):
    month: str = Field(description="YYYY-MM (UTC)")
    searches: int
    journeys: int
    refused: int


class TransparencyReport(BaseModel):
    since: datetime
    until: datetime
    searches: int = Field(description="Plate searches run")
    journeys: int = Field(description="Vehicle journeys run")
    refused: int = Field(description="Searches and journeys refused (policy, bounds, input)")
    by_reason: dict[str, int] = Field(description="Searches and journeys run, per reason")
    results_returned: int = Field(description="Reads returned by all searches and journeys")
    people_searching: int = Field(description="Distinct accounts that ran a search")
    approvals_requested: int
    approvals_granted: int
    approvals_refused: int
    evidence_views: int = Field(description="Images of reads opened")
    months: list[MonthFigures]


class Transparency:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def report(self, actor: Principal, *, days: int = 365) -> TransparencyReport:
        if not actor.can(Permission.TRANSPARENCY_VIEW):
            raise PermissionDeniedError("Your role does not see the transparency figures.")
        until = self.clock()
        since = until - timedelta(days=days)
        window = (AuditEntry.at >= since, AuditEntry.at < until + timedelta(seconds=1))
        with self.db.read() as s:
            counts = {
                f"{action}:{outcome}": n
                for action, outcome, n in s.execute(
                    select(AuditEntry.action, AuditEntry.outcome, func.count(AuditEntry.seq))
                    .where(*window)
                    .group_by(AuditEntry.action, AuditEntry.outcome)
                ).all()
            }
            ran = (AuditEntry.action.in_(SEARCH_ACTIONS), AuditEntry.outcome == "ok", *window)
            reasons = {
                str(reason): n
                for reason, n in s.execute(
                    select(AuditEntry.reason_code, func.count(AuditEntry.seq))
                    .where(*ran)
                    .group_by(AuditEntry.reason_code)
                ).all()
            }
            results = s.scalar(select(func.sum(AuditEntry.result_count)).where(*ran)) or 0
            people = s.scalar(select(func.count(func.distinct(AuditEntry.actor_id))).where(*ran))
            rows = s.execute(
                select(AuditEntry.at, AuditEntry.action, AuditEntry.outcome).where(
                    AuditEntry.action.in_(SEARCH_ACTIONS), *window
                )
            ).all()
        months: dict[str, MonthFigures] = {}
        for at, action, outcome in rows:
            key = at.strftime("%Y-%m")
            m = months.setdefault(key, MonthFigures(month=key, searches=0, journeys=0, refused=0))
            if outcome != "ok":
                m.refused += 1
            elif action == "search.plates":
                m.searches += 1
            else:
                m.journeys += 1

        def count(action: str, outcome: str | None = None) -> int:
            if outcome is not None:
                return int(counts.get(f"{action}:{outcome}", 0))
            return sum(int(v) for k, v in counts.items() if k.startswith(f"{action}:"))

        return TransparencyReport(
            since=since,
            until=until,
            searches=count("search.plates", "ok"),
            journeys=count("search.journey", "ok"),
            refused=sum(count(a) - count(a, "ok") for a in SEARCH_ACTIONS),
            by_reason=dict(sorted(reasons.items())),
            results_returned=int(results),
            people_searching=int(people or 0),
            approvals_requested=count("search.approval.request"),
            approvals_granted=count("search.approval.approve"),
            approvals_refused=count("search.approval.refuse"),
            evidence_views=count("evidence.view"),
            months=[months[k] for k in sorted(months)],
        )

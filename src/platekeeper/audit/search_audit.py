"""The guard around every plate search and journey made by a person.

It refuses what the person's role and regions do not allow, and it writes
the audit entry — reason, case, a keyed index of the plate (never the
plate), the window, the number of results — for every search, refused or
run. The store calls ``record`` before it hands the results back, and if
the entry cannot be written the results are withheld: a search that is not
in the log did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from platekeeper.audit.log import AuditLog, AuditUnavailableError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.store.engine import Database
from platekeeper.store.search import SearchRefused, SearchRequest, SearchResult

if TYPE_CHECKING:
    from collections.abc import Collection

logger = logging.getLogger(__name__)

ACTIONS = {"search": "search.plates", "journey": "search.journey"}
PERMISSIONS = {"search": Permission.PLATES_SEARCH, "journey": Permission.JOURNEY_VIEW}


class PolicyRefused(SearchRefused):
    """The person may not make this search (role, regions, missing approval)."""


class AuditedSearch:
    """``SearchGuard`` for one search by ``actor`` over ``allowed_cameras``.

    ``approval`` is the id of the supervisor's approval the search runs
    under, and ``use_approval`` marks it used in the audit transaction.
    """

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        plate_index: Callable[[str], bytes],
        *,
        actor: Principal,
        allowed_cameras: Collection[int],
        needs_approval: bool = False,
        approval: int | None = None,
        use_approval: Callable[[Session], None] | None = None,
    ) -> None:
        self.db = db
        self.audit = audit
        self.plate_index = plate_index
        self.actor = actor
        self.allowed = frozenset(allowed_cameras)
        self.needs_approval = needs_approval
        self.approval = approval
        self.use_approval = use_approval

    def authorize(self, request: SearchRequest) -> None:
        if request.principal is not self.actor:
            raise PolicyRefused("the search is not made by the signed-in user")
        if not self.actor.can(PERMISSIONS[request.action]):
            raise PolicyRefused("your role does not allow this search")
        cameras = request.query.camera_ids
        if cameras is None or not set(cameras) <= self.allowed:
            raise PolicyRefused("the search reaches cameras outside your regions")
        if self.needs_approval and self.approval is None:
            raise PolicyRefused("this search needs a supervisor's approval")

    def record(
        self, request: SearchRequest, result: SearchResult | None, error: Exception | None
    ) -> None:
        query, why = request.query, request.justification
        if result is not None:
            outcome = "ok"
        elif isinstance(error, SearchRefused | ValueError):
            outcome = "refused"
        else:
            outcome = "error"
        details: dict[str, str | int | float | bool | None] = {
            "mode": query.mode.value,
            "window_days": round((query.end - query.start).total_seconds() / 86400, 2),
            "from": query.start.isoformat(),
            "to": query.end.isoformat(),
            "cameras": len(query.camera_ids or ()),
            "approval": self.approval,
        }
        if result is not None:
            details["truncated"] = result.truncated
        if error is not None:
            details["refusal"] = str(error)[:200]
        try:
            with self.db.write() as s:
                if result is not None and self.use_approval is not None:
                    self.use_approval(s)
                self.audit.record(
                    s,
                    ACTIONS[request.action],
                    outcome=outcome,
                    actor_id=self.actor.user_id,
                    actor=self.actor.username,
                    client_address=self.actor.client_address,
                    reason_code=why.reason.value,
                    case_number=why.case_number,
                    plate_index=self.plate_index(query.text),
                    result_count=len(result.reads) if result is not None else None,
                    details=details,
                )
        except SQLAlchemyError as exc:
            # Without its entry a search did not happen: results are withheld (503).
            logger.error("a search was refused: its audit entry could not be written")
            raise AuditUnavailableError("the search could not be recorded") from exc

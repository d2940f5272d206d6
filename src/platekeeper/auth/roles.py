"""Roles, the permissions each role grants, and a user's regional scope.

The table below is the whole access policy of the application: a route names
one permission, and a role either has it or the route answers 403. Roles do
not inherit from each other, so that granting one never silently grants
another's powers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    INVESTIGATOR = "investigator"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


ROLE_DESCRIPTIONS: Mapping[Role, str] = {
    Role.OPERATOR: "Watches live reads and reviews violations.",
    Role.INVESTIGATOR: "Searches plates and vehicle journeys, always with a reason and a case.",
    Role.SUPERVISOR: "Approves wide searches, keeps hotlists; second reviewer of violations.",
    Role.AUDITOR: "Reads the audit log and the transparency figures, nothing else.",
    Role.ADMINISTRATOR: "Manages users, cameras, settings, registry; no plate search by default.",
}


class Permission(StrEnum):
    """What a signed-in user may do. Route declarations name these."""

    READS_LIVE = "reads.live"
    PLATES_SEARCH = "plates.search"
    JOURNEY_VIEW = "journey.view"
    SEARCH_APPROVE = "search.approve"
    VIOLATIONS_REVIEW = "violations.review"
    VIOLATIONS_SECOND_REVIEW = "violations.second_review"
    EVIDENCE_EXPORT = "evidence.export"
    CAMERAS_VIEW = "cameras.view"
    CAMERAS_MANAGE = "cameras.manage"
    HOTLISTS_MANAGE = "hotlists.manage"
    REGISTRY_MANAGE = "registry.manage"
    USERS_MANAGE = "users.manage"
    SETTINGS_MANAGE = "settings.manage"
    AUDIT_VIEW = "audit.view"
    TRANSPARENCY_VIEW = "transparency.view"


_P = Permission

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset({_P.READS_LIVE, _P.VIOLATIONS_REVIEW, _P.CAMERAS_VIEW}),
    Role.INVESTIGATOR: frozenset(
        {_P.READS_LIVE, _P.PLATES_SEARCH, _P.JOURNEY_VIEW, _P.EVIDENCE_EXPORT, _P.CAMERAS_VIEW}
    ),
    Role.SUPERVISOR: frozenset(
        {
            _P.READS_LIVE,
            _P.PLATES_SEARCH,
            _P.JOURNEY_VIEW,
            _P.SEARCH_APPROVE,
            _P.VIOLATIONS_REVIEW,
            _P.VIOLATIONS_SECOND_REVIEW,
            _P.EVIDENCE_EXPORT,
            _P.CAMERAS_VIEW,
            _P.TRANSPARENCY_VIEW,
            # A hotlist is a standing search: the role that approves searches keeps it.
            _P.HOTLISTS_MANAGE,
        }
    ),
    Role.AUDITOR: frozenset({_P.AUDIT_VIEW, _P.TRANSPARENCY_VIEW}),
    Role.ADMINISTRATOR: frozenset(
        {
            _P.USERS_MANAGE,
            _P.CAMERAS_VIEW,
            _P.CAMERAS_MANAGE,
            _P.SETTINGS_MANAGE,
            # Loading the registry writes plates but shows none back.
            _P.REGISTRY_MANAGE,
        }
    ),
}

# What ``admin_may_search`` adds to the administrator role.
ADMIN_SEARCH_PERMISSIONS = frozenset({_P.PLATES_SEARCH, _P.JOURNEY_VIEW})


def permissions_for(role: Role, *, admin_may_search: bool = False) -> frozenset[Permission]:
    granted = ROLE_PERMISSIONS[role]
    if role is Role.ADMINISTRATOR and admin_may_search:
        granted = granted | ADMIN_SEARCH_PERMISSIONS
    return granted


@dataclass(frozen=True)
class Scope:
    """Which records a user may see: those of their own region, or all of
    them when the account was granted every region. Records outside the scope
    are answered as if they did not exist (404), never 403, so that their
    existence does not leak."""

    agency: str
    region: str
    all_regions: bool = False

    def covers(self, region: str) -> bool:
        return self.all_regions or region == self.region

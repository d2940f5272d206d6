"""The signed-in user as the rest of the application sees them."""

from __future__ import annotations

from dataclasses import dataclass

from platekeeper.auth.roles import Permission, Role, Scope


@dataclass(frozen=True)
class Principal:
    """Built afresh from the database for every request, so a role change or
    a disabled account takes effect at the next click, not the next sign-in."""

    user_id: int
    username: str
    display_name: str
    role: Role
    scope: Scope
    permissions: frozenset[Permission]
    session_id: int
    client_address: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def label(self) -> str:
        return f"{self.username} ({self.role.value})"

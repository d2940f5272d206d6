"""Who may call a route: every route declares it, and the app refuses to start otherwise.

A declaration is a FastAPI dependency built here — ``public()``,
``login_step()``, ``verify_link()``, ``signed_in()`` or ``requires(P)`` —
so that declaring and enforcing are the same line of code. At start-up
:func:`check_declarations` walks every route of the app and raises when one
has no declaration or more than one; there is no list of exempt paths to
forget to update.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from fastapi import Depends, Request
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from platekeeper.auth.errors import PermissionDeniedError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.dependencies.models import Dependant

    from platekeeper.ingest.camera_keys import VerifiedCamera
    from platekeeper.web.services import Services

SESSION_COOKIE = "__Host-platekeeper"


class AccessKind(StrEnum):
    PUBLIC = "public"  # anyone: sign-in page, health check, static assets
    LOGIN_STEP = "login_step"  # part of signing in; the service checks the pending stage
    VERIFY_LINK = "verify_link"  # a signed, expiring evidence link (public, rate limited)
    SIGNED_IN = "signed_in"  # any signed-in user
    PERMISSION = "permission"  # a signed-in user whose role grants the permission
    CAMERA = "camera"  # a request signed with a live camera key (no session)


@dataclass(frozen=True)
class Access:
    kind: AccessKind
    permission: Permission | None = None

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.permission.value}" if self.permission else self.kind.value

    @property
    def needs_session(self) -> bool:
        return self.kind in (AccessKind.SIGNED_IN, AccessKind.PERMISSION)


class NotSignedInError(Exception):
    """No valid session: pages redirect to sign-in, the API answers 401."""


class RouteGuard:
    """Base of the dependency objects that declare (and enforce) a route's access."""

    def __init__(self, access: Access) -> None:
        self.access = access

    def __repr__(self) -> str:
        return f"RouteGuard({self.access})"


class _OpenGuard(RouteGuard):
    def __call__(self) -> None:
        return None


class _SessionGuard(RouteGuard):
    def __call__(self, request: Request) -> Principal:
        principal = current_principal(request)
        if principal is None:
            raise NotSignedInError
        permission = self.access.permission
        if permission is not None and not principal.can(permission):
            raise PermissionDeniedError("Your role does not allow this.")
        return principal


def services_of(request: Request) -> Services:
    return cast("Services", request.app.state.services)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


_UNRESOLVED = object()


def current_principal(request: Request) -> Principal | None:
    """The signed-in user of this request (resolved once per request)."""
    resolved = getattr(request.state, "principal", _UNRESOLVED)
    if resolved is _UNRESOLVED:
        token = request.cookies.get(SESSION_COOKIE)
        resolved = services_of(request).auth.resolve(token, client_address(request))
        request.state.principal = resolved
    return cast("Principal | None", resolved)


def public() -> Any:
    return Depends(_OpenGuard(Access(AccessKind.PUBLIC)))


def login_step() -> Any:
    return Depends(_OpenGuard(Access(AccessKind.LOGIN_STEP)))


def verify_link() -> Any:
    return Depends(_OpenGuard(Access(AccessKind.VERIFY_LINK)))


class _CameraGuard(RouteGuard):
    """Reads the body (capped) and checks the camera's signature over it."""

    async def __call__(self, request: Request) -> SignedRequest:
        from fastapi import HTTPException
        from starlette.concurrency import run_in_threadpool

        from platekeeper.ingest.signing import SignatureError

        gateway = services_of(request).ingest
        if gateway is None:  # mounted only with ingest; a safety net
            raise HTTPException(status_code=404)
        body = await capped_body(request, gateway.max_body_bytes)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            camera = await run_in_threadpool(
                gateway.keys.verify, dict(request.headers), request.method, path, body
            )
        except SignatureError as exc:
            raise HTTPException(status_code=exc.status, detail=exc.reason) from None
        return SignedRequest(camera, body)


@dataclass(frozen=True)
class SignedRequest:
    camera: VerifiedCamera
    body: bytes


async def capped_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it is known to exceed ``limit``."""
    from fastapi import HTTPException

    too_large = HTTPException(status_code=413, detail=f"request body over {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def camera_signed() -> Any:
    return Depends(_CameraGuard(Access(AccessKind.CAMERA)))


def signed_in() -> Any:
    return Depends(_SessionGuard(Access(AccessKind.SIGNED_IN)))


def requires(permission: Permission) -> Any:
    return Depends(_SessionGuard(Access(AccessKind.PERMISSION, permission)))


# -- start-up check ---------------------------------------------------------

PUBLIC_MOUNTS = frozenset({"/static"})


class UndeclaredRouteError(RuntimeError):
    """A route has no access declaration (or several): the app must not start."""


def _guards(dependant: Dependant) -> list[RouteGuard]:
    found: list[RouteGuard] = [dependant.call] if isinstance(dependant.call, RouteGuard) else []
    for sub in dependant.dependencies:
        found.extend(_guards(sub))
    return found


def check_declarations(app: FastAPI) -> dict[str, Access]:
    """Map ``"METHOD path"`` to its access for every route; raise on any undeclared one."""
    table: dict[str, Access] = {}
    problems = []
    for context in iter_route_contexts(app.router.routes):
        original = context.original_route
        path = context.path or "?"
        dependant = getattr(context, "dependant", None)
        if isinstance(original, APIRoute) and dependant is not None:
            guards = {guard.access for guard in _guards(dependant)}
            methods = sorted(context.methods or ())
            if len(guards) != 1:
                what = "no access declaration" if not guards else f"conflicting {guards}"
                problems.append(f"{methods} {path}: {what}")
                continue
            access = next(iter(guards))
            for method in methods:
                table[f"{method} {path}"] = access
        elif isinstance(original, Mount) and original.path in PUBLIC_MOUNTS:
            table[f"GET {original.path}"] = Access(AccessKind.PUBLIC)
        else:
            problems.append(f"{path}: not a route with an access declaration")
    if problems:
        raise UndeclaredRouteError(
            "routes without a valid access declaration: " + "; ".join(problems)
        )
    return table

"""One answer per kind of failure, as a page or as JSON depending on the path.

Database errors answer 503: the most likely cause is that the database (and
with it the audit log) cannot be written, and an action whose audit entry
cannot be written must not happen — the transaction that holds both is rolled
back before this handler runs.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from platekeeper.audit.log import AuditUnavailableError
from platekeeper.auth.errors import (
    AccessError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from platekeeper.auth.passwords import PasswordPolicyError
from platekeeper.web.access import NotSignedInError
from platekeeper.web.rendering import render

logger = logging.getLogger(__name__)

UNAVAILABLE = (
    "The service cannot record this action right now, so it was not done. Try again later."
)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str) -> Response:
    if is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def status_of(exc: AccessError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, ConflictError):
        return 409
    return 422


def form_status(exc: Exception) -> int:
    """The status of a form page shown again with its error: a service's
    refusal as :func:`status_of` says, bad input 422."""
    return status_of(exc) if isinstance(exc, AccessError) else 422


def form_error(exc: Exception) -> str:
    """The line a form page shows for a refusal: the fields a model refused
    (never their values), else the service's message."""
    if isinstance(exc, ValidationError):
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors() if e["loc"])
        return f"Please check these fields: {fields}."
    return str(exc)


def install_error_handlers(app: FastAPI) -> None:
    async def not_signed_in(request: Request, _exc: Exception) -> Response:
        if is_api(request):
            return JSONResponse(
                {"detail": "Sign in first."},
                status_code=401,
                headers={"WWW-Authenticate": 'Cookie realm="platekeeper"'},
            )
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    async def access_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AccessError)
        return error_response(request, status_of(exc), str(exc))

    async def policy_error(request: Request, exc: Exception) -> Response:
        return error_response(request, 422, str(exc))

    async def unavailable(request: Request, exc: Exception) -> Response:
        logger.error("request failed on the database: %s", type(exc).__name__)
        return error_response(request, 503, UNAVAILABLE)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
        response = error_response(request, exc.status_code, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if is_api(request):
            errors = [
                {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type")}
                for e in exc.errors()
            ]
            return JSONResponse({"detail": errors}, status_code=422)
        fields = ", ".join(str(e.get("loc", ("?",))[-1]) for e in exc.errors())
        return error_response(request, 400, f"The form is incomplete or invalid ({fields}).")

    app.add_exception_handler(NotSignedInError, not_signed_in)
    app.add_exception_handler(AccessError, access_error)
    app.add_exception_handler(InvalidInputError, access_error)
    app.add_exception_handler(PasswordPolicyError, policy_error)
    app.add_exception_handler(AuditUnavailableError, unavailable)
    app.add_exception_handler(SQLAlchemyError, unavailable)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)

"""The driver's page: a signed, expiring link plus the plate number shows one
violation (public, rate-limited, audited; nothing else is reachable from it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Request, Response

from platekeeper.auth.errors import AccessError
from platekeeper.web.access import client_address, services_of, verify_link
from platekeeper.web.driver_links import DriverLinks, TooManyAttempts
from platekeeper.web.rendering import render

Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _links(request: Request) -> DriverLinks:
    found = services_of(request).driver_links
    if found is None:  # mounted only with the store; a safety net
        raise HTTPException(status_code=404)
    return found


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/verify/{token}", dependencies=[verify_link()], include_in_schema=False)
    def verify_form(request: Request, token: Token) -> Response:
        _links(request).violation_of(token)  # 404 unless a live link
        return render(request, "verify.html", {"token": token, "view": None, "error": None})

    @router.post("/verify/{token}", dependencies=[verify_link()], include_in_schema=False)
    def verify_submit(
        request: Request, token: Token, plate: Annotated[str, Form(max_length=32)]
    ) -> Response:
        links = _links(request)
        try:
            view = links.open(token, plate, client_address(request) or "?")
        except TooManyAttempts as exc:
            return render(
                request,
                "verify.html",
                {"token": token, "view": None, "error": str(exc)},
                status_code=429,
            )
        except AccessError as exc:
            from platekeeper.web.errors import status_of

            status = status_of(exc)
            if status == 404:
                raise
            return render(
                request,
                "verify.html",
                {"token": token, "view": None, "error": str(exc)},
                status_code=status,
            )
        return render(request, "verify.html", {"token": token, "view": view, "error": None})

    return router

"""Signing in and out: the pages and their ``/api/v1/login`` twins.

Each step is one call of :class:`platekeeper.auth.login.AuthService`; the
page and the API differ only in how they answer. The session cookie is
``__Host-`` prefixed (Secure, Path=/, no Domain), HttpOnly and
SameSite=Strict, and its value changes at every step.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, RedirectResponse

from platekeeper.auth.login import LoginStage, StepResult
from platekeeper.auth.principal import Principal
from platekeeper.web.access import (
    SESSION_COOKIE,
    client_address,
    current_principal,
    login_step,
    services_of,
    signed_in,
)
from platekeeper.web.rendering import render

STEP_PAGES = {
    LoginStage.CHANGE_PASSWORD: "/login/password",
    LoginStage.ENROL_TOTP: "/login/enrol",
    LoginStage.MFA: "/login/mfa",
    LoginStage.ACTIVE: "/",
}
TAGS: list[str | Enum] = ["sign-in"]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=256)
    password: str = Field(max_length=1024)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1024, description="The one-time or old password")
    new_password: str = Field(max_length=1024)


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=64, description="A TOTP code, or a recovery code")


class LoginState(BaseModel):
    stage: LoginStage | None = Field(description="Where the sign-in stands; null: start again")
    next: str = Field(description="The page of the next step")
    recovery_codes: list[str] = Field(
        default_factory=list, description="Shown once, right after TOTP enrolment"
    )


class EnrolmentView(BaseModel):
    secret: str = Field(description="The TOTP seed (base32), for typing into an app")
    otpauth_uri: str
    qr_svg: str = Field(description="The URI as an SVG QR code")


class Problem(BaseModel):
    detail: str
    stage: LoginStage | None = None


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, path="/", secure=True, httponly=True, samesite="strict"
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def _token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def _page_answer(
    request: Request, result: StepResult, template: str, *, fail_status: int = 422
) -> Response:
    if result.stage is None:
        response: Response = render(
            request, "login/start.html", {"error": result.error}, status_code=401
        )
        clear_session_cookie(response)
        return response
    if result.error is not None:
        return render(request, template, {"error": result.error}, status_code=fail_status)
    response = RedirectResponse(STEP_PAGES[result.stage], status_code=303)
    if result.token:
        set_session_cookie(response, result.token)
    return response


def _api_answer(result: StepResult, *, fail_status: int = 422) -> Response:
    if result.stage is None or result.error is not None:
        body = Problem(detail=result.error or "Sign-in failed.", stage=result.stage)
        response: Response = JSONResponse(
            body.model_dump(mode="json"), status_code=401 if result.stage is None else fail_status
        )
        if result.stage is None:
            clear_session_cookie(response)
        return response
    state = LoginState(
        stage=result.stage,
        next=STEP_PAGES[result.stage],
        recovery_codes=list(result.recovery_codes),
    )
    response = JSONResponse(state.model_dump(mode="json"))
    if result.token:
        set_session_cookie(response, result.token)
    return response


_FAILURES: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "Wrong credentials, locked, or expired sign-in"},
    422: {"model": Problem, "description": "The step was not accepted (reason in detail)"},
}


def build_router() -> APIRouter:  # noqa: PLR0915 (one small handler per step and form)
    router = APIRouter()

    @router.get("/login", dependencies=[login_step()], include_in_schema=False)
    def login_page(request: Request) -> Response:
        if current_principal(request) is not None:
            return RedirectResponse("/", status_code=303)
        pending = services_of(request).auth.pending(_token(request))
        if pending is not None:
            return RedirectResponse(STEP_PAGES[pending.stage], status_code=303)
        return render(request, "login/start.html", {"error": None})

    @router.post("/login", dependencies=[login_step()], include_in_schema=False)
    def login_submit(
        request: Request,
        username: Annotated[str, Form(max_length=256)],
        password: Annotated[str, Form(max_length=1024)],
    ) -> Response:
        result = services_of(request).auth.start(username, password, client_address(request))
        return _page_answer(request, result, "login/start.html", fail_status=401)

    @router.post(
        "/api/v1/login",
        dependencies=[login_step()],
        response_model=LoginState,
        responses=_FAILURES,
        tags=TAGS,
        summary="Sign in with user name and password (step 1)",
    )
    def login_api(request: Request, body: LoginRequest) -> Response:
        result = services_of(request).auth.start(
            body.username, body.password, client_address(request)
        )
        return _api_answer(result, fail_status=401)

    @router.get("/login/password", dependencies=[login_step()], include_in_schema=False)
    def password_page(request: Request) -> Response:
        pending = services_of(request).auth.pending(_token(request))
        if pending is None or pending.stage is not LoginStage.CHANGE_PASSWORD:
            return RedirectResponse("/login", status_code=303)
        return render(request, "login/password.html", {"error": None})

    @router.post("/login/password", dependencies=[login_step()], include_in_schema=False)
    def password_submit(
        request: Request,
        current_password: Annotated[str, Form(max_length=1024)],
        new_password: Annotated[str, Form(max_length=1024)],
        repeat_password: Annotated[str, Form(max_length=1024)],
    ) -> Response:
        if new_password != repeat_password:
            return render(
                request,
                "login/password.html",
                {"error": "The two new passwords differ."},
                status_code=422,
            )
        result = services_of(request).auth.change_password(
            _token(request), current_password, new_password, client_address(request)
        )
        return _page_answer(request, result, "login/password.html")

    @router.post(
        "/api/v1/login/password",
        dependencies=[login_step()],
        response_model=LoginState,
        responses=_FAILURES,
        tags=TAGS,
        summary="Replace the one-time password (first sign-in, or after a reset)",
    )
    def password_api(request: Request, body: PasswordChange) -> Response:
        result = services_of(request).auth.change_password(
            _token(request), body.current_password, body.new_password, client_address(request)
        )
        return _api_answer(result)

    @router.get("/login/enrol", dependencies=[login_step()], include_in_schema=False)
    def enrol_page(request: Request) -> Response:
        enrolment = services_of(request).auth.enrolment(_token(request))
        if enrolment is None:
            return RedirectResponse("/login", status_code=303)
        return render(
            request,
            "login/enrol.html",
            _enrol_context(enrolment.secret, enrolment.uri, enrolment.qr_svg, None),
        )

    @router.post("/login/enrol", dependencies=[login_step()], include_in_schema=False)
    def enrol_submit(request: Request, code: Annotated[str, Form(max_length=64)]) -> Response:
        svc = services_of(request)
        result = svc.auth.confirm_enrolment(_token(request), code, client_address(request))
        if result.stage is not None and result.error is not None:
            enrolment = svc.auth.enrolment(_token(request))
            if enrolment is None:
                return RedirectResponse("/login", status_code=303)
            context = _enrol_context(
                enrolment.secret, enrolment.uri, enrolment.qr_svg, result.error
            )
            return render(request, "login/enrol.html", context, status_code=422)
        if result.stage is None or result.error is not None:
            return _page_answer(request, result, "login/enrol.html")
        response = render(
            request,
            "login/recovery_codes.html",
            {"codes": result.recovery_codes, "next": STEP_PAGES[result.stage]},
        )
        if result.token:
            set_session_cookie(response, result.token)
        return response

    @router.get(
        "/api/v1/login/enrol",
        dependencies=[login_step()],
        response_model=EnrolmentView,
        responses={409: {"model": Problem, "description": "Not at the enrolment step"}},
        tags=TAGS,
        summary="The TOTP seed to enrol (step of a first sign-in)",
    )
    def enrol_api(request: Request) -> Response:
        enrolment = services_of(request).auth.enrolment(_token(request))
        if enrolment is None:
            return JSONResponse({"detail": "Not at the enrolment step."}, status_code=409)
        view = EnrolmentView(
            secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.qr_svg
        )
        return JSONResponse(view.model_dump(mode="json"))

    @router.post(
        "/api/v1/login/enrol",
        dependencies=[login_step()],
        response_model=LoginState,
        responses=_FAILURES,
        tags=TAGS,
        summary="Confirm TOTP enrolment with one code; answers the recovery codes once",
    )
    def enrol_confirm_api(request: Request, body: CodeRequest) -> Response:
        result = services_of(request).auth.confirm_enrolment(
            _token(request), body.code, client_address(request)
        )
        return _api_answer(result)

    @router.get("/login/mfa", dependencies=[login_step()], include_in_schema=False)
    def mfa_page(request: Request) -> Response:
        pending = services_of(request).auth.pending(_token(request))
        if pending is None or pending.stage is not LoginStage.MFA:
            return RedirectResponse("/login", status_code=303)
        return render(request, "login/mfa.html", {"error": None})

    @router.post("/login/mfa", dependencies=[login_step()], include_in_schema=False)
    def mfa_submit(request: Request, code: Annotated[str, Form(max_length=64)]) -> Response:
        result = services_of(request).auth.second_factor(
            _token(request), code, client_address(request)
        )
        return _page_answer(request, result, "login/mfa.html", fail_status=401)

    @router.post(
        "/api/v1/login/mfa",
        dependencies=[login_step()],
        response_model=LoginState,
        responses=_FAILURES,
        tags=TAGS,
        summary="Second factor: a TOTP code or a recovery code",
    )
    def mfa_api(request: Request, body: CodeRequest) -> Response:
        result = services_of(request).auth.second_factor(
            _token(request), body.code, client_address(request)
        )
        return _api_answer(result, fail_status=401)

    @router.post("/logout", include_in_schema=False)
    def logout(request: Request, _user: Annotated[Principal, signed_in()]) -> Response:
        services_of(request).auth.logout(_token(request), client_address(request))
        response = RedirectResponse("/login", status_code=303)
        clear_session_cookie(response)
        return response

    @router.post("/api/v1/logout", status_code=204, tags=TAGS, summary="End this session")
    def logout_api(request: Request, _user: Annotated[Principal, signed_in()]) -> Response:
        services_of(request).auth.logout(_token(request), client_address(request))
        response = Response(status_code=204)
        clear_session_cookie(response)
        return response

    return router


def _enrol_context(secret: str, uri: str, svg: str, error: str | None) -> dict[str, object]:
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    # The SVG is made by segno from our own URI; it contains no script.
    return {"secret": grouped, "uri": uri, "qr_svg": Markup(svg), "error": error}  # noqa: S704

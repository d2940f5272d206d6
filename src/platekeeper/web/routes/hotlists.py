"""Hotlists: the pages under /hotlists and their twins under /api/v1 (of
``platekeeper hotlist``), and the registry import (``platekeeper registry
import``).

Plates travel only in request and response bodies (never in a URL): an
entry is added by POST and addressed afterwards by its id. Each page and
its twin make the same call of :class:`Listings`, which audits it; a page
that shows plates is the audited listing of ``entries``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, RedirectResponse

from platekeeper.auth.errors import AccessError, InvalidInputError, NotFoundError
from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.rules.registry_import import ImportReport, RegistryImportError
from platekeeper.web.access import capped_body, requires, services_of
from platekeeper.web.errors import form_error, form_status
from platekeeper.web.listings import (
    MAX_REASON_CHARS,
    Actor,
    EntryDetail,
    EntryView,
    HotlistView,
    Listings,
    RegistryImportView,
)
from platekeeper.web.rendering import render

Keeper = Annotated[Principal, requires(Permission.HOTLISTS_MANAGE)]
RegistryAdmin = Annotated[Principal, requires(Permission.REGISTRY_MANAGE)]
TAGS: list[str | Enum] = ["hotlists"]
MAX_REGISTRY_BYTES = 64 * 1024 * 1024
MAX_EXPIRY_DAYS = 3650
# Caps on what a form may send; the service's own, smaller limits give the reasons.
_FORM_TEXT = 4 * MAX_REASON_CHARS
_FORM_SHORT = 200
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such hotlist or entry for your agency"},
    422: {"description": "Not a plate or pattern, a past expiry, or a reason too long"},
}


class NewHotlist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    priority: int = Field(default=5, ge=0, le=9, description="Of its alerts")
    description: str = Field(default="", max_length=MAX_REASON_CHARS)


class NewEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hotlist: str = Field(min_length=1, max_length=100, description="The hotlist's name")
    plate: str = Field(
        min_length=1, max_length=32, description="A plate, or a pattern with '*' and '?'"
    )
    reason: str = Field(default="", max_length=MAX_REASON_CHARS)
    expires_at: datetime | None = Field(default=None, description="With its UTC offset")


def _listings(request: Request) -> Listings:
    found = services_of(request).listings
    if found is None:  # mounted only with the store; a safety net
        raise HTTPException(status_code=404)
    return found


def _hotlist(listings: Listings, actor: Actor, hotlist_id: int) -> HotlistView:
    """One hotlist of the actor's agency, as the list shows it (no plates)."""
    for view in listings.hotlists(actor):
        if view.id == hotlist_id:
            return view
    raise NotFoundError("No such hotlist.")


def _whole(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdecimal() else None


def _priority(text: str) -> int:
    priority = _whole(text)
    if priority is None:
        raise InvalidInputError("A priority is a whole number from 0 to 9.")
    return priority


def _expiry(days: str, now: datetime) -> datetime | None:
    """The end of an entry that lasts ``days`` whole days (none when empty)."""
    if not days.strip():
        return None
    count = _whole(days)
    if count is None or not 1 <= count <= MAX_EXPIRY_DAYS:
        raise InvalidInputError(
            f"Expiry: a whole number of days from 1 to {MAX_EXPIRY_DAYS}, or empty for none."
        )
    return now + timedelta(days=count)


def _report(report: ImportReport, *, imported: bool) -> RegistryImportView:
    return RegistryImportView(
        imported=imported,
        lines=report.lines,
        valid=report.imported,
        refused=report.rejected_count,
        problems=[f"line {r.line}: {r.reason}" for r in report.rejected],
    )


def build_router() -> APIRouter:
    router = APIRouter()
    _add_pages(router)

    @router.get(
        "/api/v1/hotlists",
        response_model=list[HotlistView],
        tags=TAGS,
        summary="Hotlists of your agency with their number of live entries",
    )
    def hotlists(request: Request, actor: Keeper) -> list[HotlistView]:
        return _listings(request).hotlists(Actor.of(actor))

    @router.post(
        "/api/v1/hotlists",
        response_model=HotlistView,
        status_code=201,
        tags=TAGS,
        summary="Create a hotlist (for your agency)",
        responses=_ERRORS,
    )
    def create(request: Request, actor: Keeper, new: NewHotlist) -> HotlistView:
        return _listings(request).create_hotlist(
            Actor.of(actor), new.name, priority=new.priority, description=new.description
        )

    @router.get(
        "/api/v1/hotlists/{hotlist_id}/entries",
        response_model=list[EntryDetail],
        tags=TAGS,
        summary="The entries of a hotlist, with their plates (audited)",
        responses=_ERRORS,
    )
    def entries(request: Request, hotlist_id: int, actor: Keeper) -> list[EntryDetail]:
        return _listings(request).entries(Actor.of(actor), hotlist_id)

    @router.post(
        "/api/v1/hotlists/entries",
        response_model=EntryView,
        status_code=201,
        tags=TAGS,
        summary="Put a plate or pattern on a hotlist; recent reads are checked against it",
        responses=_ERRORS,
    )
    def add(request: Request, actor: Keeper, new: NewEntry) -> EntryView:
        return _listings(request).add_entry(
            Actor.of(actor),
            new.hotlist,
            new.plate,
            reason=new.reason,
            expires_at=new.expires_at,
        )

    @router.delete(
        "/api/v1/hotlists/entries/{entry_id}",
        response_model=EntryView,
        tags=TAGS,
        summary="Take an entry off its hotlist",
        responses=_ERRORS,
    )
    def remove(request: Request, entry_id: int, actor: Keeper) -> EntryView:
        return _listings(request).remove_entry(Actor.of(actor), entry_id)

    @router.post(
        "/api/v1/registry/import",
        response_model=RegistryImportView,
        tags=["registry"],
        summary="Import the vehicle registry from CSV (the request body, text/csv)",
        responses={
            413: {"description": "Over 64 MiB"},
            422: {"description": "A refused line or a broken file: nothing was imported"},
        },
    )
    async def registry_import(
        request: Request,
        actor: RegistryAdmin,
        dry_run: Annotated[bool, Query(description="Only check the file")] = False,
    ) -> Response:
        from starlette.concurrency import run_in_threadpool

        listings = _listings(request)
        body = await capped_body(request, MAX_REGISTRY_BYTES)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(status_code=422, detail="the file is not UTF-8 text") from None
        try:
            report = await run_in_threadpool(
                listings.import_registry_text, Actor.of(actor), text, dry_run=dry_run
            )
        except RegistryImportError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        view = _report(report, imported=not dry_run and report.rejected_count == 0)
        status = 422 if report.rejected_count else 200
        return JSONResponse(view.model_dump(), status_code=status)

    return router


def _add_pages(router: APIRouter) -> None:
    """The supervisors' pages: the agency's hotlists, and one list's entries."""

    def list_page(
        request: Request,
        actor: Principal,
        *,
        form: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        context = {
            "hotlists": _listings(request).hotlists(Actor.of(actor)),
            "form": form or {"priority": "5"},
            "error": error,
        }
        return render(request, "hotlists/list.html", context, status_code=status)

    def entries_page(
        request: Request,
        actor: Principal,
        hotlist_id: int,
        *,
        form: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        listings, who = _listings(request), Actor.of(actor)
        hotlist = _hotlist(listings, who, hotlist_id)
        context = {
            "hotlist": hotlist,
            "entries": listings.entries(who, hotlist_id),  # the audited listing
            "now": services_of(request).clock(),
            "form": form or {},
            "error": error,
        }
        return render(request, "hotlists/entries.html", context, status_code=status)

    @router.get("/hotlists", include_in_schema=False)
    def hotlists_page(request: Request, actor: Keeper) -> Response:
        return list_page(request, actor)

    @router.post("/hotlists", include_in_schema=False)
    def create_submit(
        request: Request,
        *,
        actor: Keeper,
        name: Annotated[str, Form(max_length=_FORM_SHORT)] = "",
        priority: Annotated[str, Form(max_length=_FORM_SHORT)] = "5",
        description: Annotated[str, Form(max_length=_FORM_TEXT)] = "",
    ) -> Response:
        form = {"name": name, "priority": priority, "description": description}
        try:
            made = _listings(request).create_hotlist(
                Actor.of(actor), name, priority=_priority(priority), description=description
            )
        except AccessError as exc:
            return list_page(
                request, actor, form=form, error=form_error(exc), status=form_status(exc)
            )
        return RedirectResponse(f"/hotlists/{made.id}", status_code=303)

    @router.get("/hotlists/{hotlist_id}", include_in_schema=False)
    def entries_view(request: Request, hotlist_id: int, actor: Keeper) -> Response:
        return entries_page(request, actor, hotlist_id)

    @router.post("/hotlists/{hotlist_id}/entries", include_in_schema=False)
    def add_submit(
        request: Request,
        hotlist_id: int,
        *,
        actor: Keeper,
        plate: Annotated[str, Form(max_length=_FORM_SHORT)] = "",
        days: Annotated[str, Form(max_length=_FORM_SHORT)] = "",
        reason: Annotated[str, Form(max_length=_FORM_TEXT)] = "",
    ) -> Response:
        listings, who = _listings(request), Actor.of(actor)
        hotlist = _hotlist(listings, who, hotlist_id)  # 404 before anything else
        form = {"plate": plate, "days": days, "reason": reason}
        try:
            if not plate.strip():
                raise InvalidInputError("Enter a plate, or a pattern with '*' and '?'.")
            expires_at = _expiry(days, services_of(request).clock())
            listings.add_entry(who, hotlist.name, plate, reason=reason, expires_at=expires_at)
        except AccessError as exc:
            return entries_page(
                request, actor, hotlist_id, form=form, error=form_error(exc),
                status=form_status(exc),
            )  # fmt: skip
        return RedirectResponse(f"/hotlists/{hotlist_id}", status_code=303)

    @router.post("/hotlists/entries/{entry_id}/remove", include_in_schema=False)
    def remove_submit(request: Request, entry_id: int, actor: Keeper) -> Response:
        removed = _listings(request).remove_entry(Actor.of(actor), entry_id)
        return RedirectResponse(f"/hotlists/{removed.hotlist_id}", status_code=303)

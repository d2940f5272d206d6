"""``platekeeper hotlist`` and ``platekeeper registry``: the wanted plates
and the vehicle registry the rules consult, kept from the command line.

The same service as ``/api/v1/hotlists`` and ``/api/v1/registry/import``
(``web.listings``): input checked in full before anything is written, every
change audited (actor ``cli:<user>``). A running server picks changes up
at its next hotlist sync (``rules.hotlist_sync_s``) and its registry cache
expiry (``rules.registry_cache_s``). A plate is printed only where it was
asked for (``hotlist list NAME``); a plate to add may come from standard
input (``-``) to keep it out of the shell's history.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platekeeper.commands.context import app_context, fail

if TYPE_CHECKING:
    from platekeeper.web.listings import Actor, Listings

hotlist_app = typer.Typer(help="Hotlists of wanted plates.", no_args_is_help=True)
registry_app = typer.Typer(help="The vehicle registry.", no_args_is_help=True)


@contextmanager
def _listings(ctx: typer.Context) -> Iterator[Listings]:
    """The listings service over the installation; an operator's bad input ends the command."""
    from sqlalchemy.exc import SQLAlchemyError

    from platekeeper.audit.log import AuditUnavailableError
    from platekeeper.auth.errors import AccessError
    from platekeeper.commands.webstack import (
        open_database,
        open_services,
        open_store_if_initialised,
    )

    settings = app_context(ctx).settings()
    store = open_store_if_initialised(settings)
    if store is None:
        fail("no installation here yet (run `platekeeper init`)")
        return
    db = open_database(settings, create=False)
    try:
        services = open_services(settings, db, store=store)
        assert services.listings is not None  # built whenever there is a store
        yield services.listings
    except AccessError as exc:
        fail(str(exc))
    except (AuditUnavailableError, SQLAlchemyError) as exc:
        fail(f"the database or its audit log cannot be written ({type(exc).__name__})")
    finally:
        store.close()
        db.dispose()


def _operator() -> Actor:
    """The operator at the command line (no scope limit), named as every
    command names them in the audit log."""
    from platekeeper.commands.webstack import cli_actor
    from platekeeper.web.listings import Actor

    return Actor(cli_actor())


def _plate_argument(plate: str) -> str:
    if plate != "-":
        return plate
    line = sys.stdin.readline().strip()
    if not line:
        fail("no plate on standard input")
    return line


def _expiry(expires: str | None, days: float | None) -> datetime | None:
    if expires is not None and days is not None:
        fail("give --expires or --days, not both")
    if days is not None:
        if days <= 0:
            fail("--days must be positive")
        return datetime.now(UTC) + timedelta(days=days)
    if expires is None:
        return None
    try:
        at = datetime.fromisoformat(expires)
    except ValueError:
        fail("--expires is a time written like 2026-04-01T00:00+05:00")
        raise AssertionError from None  # fail() exits
    if at.tzinfo is None:
        fail("--expires needs its UTC offset (e.g. +05:00 or Z)")
    return at


@hotlist_app.command("add")
def add(  # noqa: PLR0917 (typer passes options as arguments)
    ctx: typer.Context,
    hotlist: Annotated[str, typer.Argument(help="Name of the hotlist.")],
    plate: Annotated[
        str, typer.Argument(help="Plate or pattern ('*' any run, '?' one character); - for stdin.")
    ],
    reason: Annotated[str, typer.Option(help="Why it is wanted (kept encrypted).")] = "",
    expires: Annotated[
        str | None, typer.Option(help="When the entry ends, ISO 8601 with its UTC offset.")
    ] = None,
    days: Annotated[
        float | None, typer.Option(help="Or: the entry ends in this many days.")
    ] = None,
    create: Annotated[
        bool, typer.Option("--create", help="Create the hotlist if there is none of that name.")
    ] = False,
    priority: Annotated[
        int, typer.Option(min=0, max=9, help="Priority of a hotlist made by --create.")
    ] = 5,
) -> None:
    """Put a plate or pattern on a hotlist; a running server checks it against
    the reads of the last hour too."""
    text = _plate_argument(plate)
    until = _expiry(expires, days)
    with _listings(ctx) as listings:
        actor = _operator()
        if create and listings.store.hotlists.by_name(hotlist) is None:
            made = listings.create_hotlist(actor, hotlist, priority=priority)
            typer.echo(f"created hotlist {made.name} (id {made.id})")
        entry = listings.add_entry(actor, hotlist, text, reason=reason, expires_at=until)
    kind = "pattern" if entry.wildcard else "plate"
    ends = f", until {entry.expires_at:%Y-%m-%d %H:%M %Z}" if entry.expires_at else ""
    typer.echo(f"added entry {entry.id} ({kind}) to {entry.hotlist}{ends}")


@hotlist_app.command("list")
def list_(
    ctx: typer.Context,
    hotlist: Annotated[
        str | None, typer.Argument(help="Show this hotlist's entries, plates included (audited).")
    ] = None,
) -> None:
    """The hotlists with their number of live entries, or one hotlist's entries."""
    with _listings(ctx) as listings:
        actor = _operator()
        if hotlist is None:
            for view in listings.hotlists(actor):
                state = "" if view.active else " (inactive)"
                typer.echo(
                    f"{view.id}\t{view.name}\tpriority {view.priority}\t"
                    f"{view.entries} entries{state}"
                )
            return
        info = listings.store.hotlists.by_name(hotlist)
        if info is None:
            fail(f"no hotlist named {hotlist[:100]!r}")
            return
        entries = listings.entries(actor, info.id)
    for e in entries:
        ends = f"{e.expires_at:%Y-%m-%d %H:%M}" if e.expires_at else "never"
        typer.echo(f"{e.id}\t{e.plate}\tends {ends}\tadded {e.created_at:%Y-%m-%d}\t{e.reason}")


@hotlist_app.command("remove")
def remove(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="Id of the entry (from add or list).")],
) -> None:
    """Take an entry off its hotlist."""
    with _listings(ctx) as listings:
        entry = listings.remove_entry(_operator(), entry_id)
    typer.echo(f"removed entry {entry.id} from {entry.hotlist}")


@registry_app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="CSV with a header: plate,status[,country,...].", dir_okay=False)
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only check the file; write nothing.")
    ] = False,
) -> None:
    """Import the vehicle registry: every line valid, or nothing written (the
    refused lines are listed by number and reason, never by plate)."""
    from platekeeper.rules.registry_import import RegistryImportError

    try:
        stream = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        fail(f"cannot read {path.name}: {exc.strerror or exc}")
        return
    with stream, _listings(ctx) as listings:
        try:
            report = listings.import_registry(
                _operator(), stream, source=f"file:{path.name}", dry_run=dry_run
            )
        except RegistryImportError as exc:
            fail(f"{path.name}: {exc}; nothing was imported", code=1)
            return
    if report.rejected_count:
        typer.echo(report.summary(), err=True)
        fail(f"{path.name}: {report.rejected_count} lines refused; nothing was imported", code=1)
    verb = "valid (dry run: nothing written)" if dry_run else "imported"
    typer.echo(f"{report.lines} lines: {report.imported} {verb}")


def register(app: typer.Typer) -> None:
    app.add_typer(hotlist_app, name="hotlist")
    app.add_typer(registry_app, name="registry")

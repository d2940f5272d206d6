"""``platekeeper users``: account tasks that need the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from platekeeper.commands.context import app_context, fail

users_app = typer.Typer(help="User accounts.", no_args_is_help=True)


@users_app.command("create-admin")
def create_admin(
    ctx: typer.Context,
    username: Annotated[str, typer.Option(help="User name of the administrator.")] = "admin",
    agency: Annotated[str, typer.Option(help="Agency of the administrator.")] = "national",
    region: Annotated[str, typer.Option(help="Home region of the administrator.")] = "national",
) -> None:
    """Create the first administrator and print a one-time password, once."""
    from platekeeper.auth.errors import AccessError
    from platekeeper.commands.init import first_admin_lines
    from platekeeper.commands.webstack import cli_actor

    try:
        lines = first_admin_lines(
            app_context(ctx).settings(),
            actor=cli_actor(),
            username=username,
            agency=agency,
            region=region,
            existing_ok=False,
        )
    except AccessError as exc:
        fail(str(exc))
        return
    for line in lines:
        typer.echo(line)


@users_app.command("copy-from-data-dir")
def copy_from_data_dir(ctx: typer.Context) -> None:
    """Copy the accounts, approvals and audit log an earlier version kept in
    data/platekeeper.db into the store's database, which must hold none yet
    (sessions are not copied: everyone signs in again)."""
    from sqlalchemy.exc import SQLAlchemyError

    from platekeeper.commands.identity_copy import CopyRefused, copy_identity
    from platekeeper.commands.webstack import (
        cli_actor,
        database_path,
        is_embedded_file,
        open_audit_log,
        open_database,
    )
    from platekeeper.store.engine import Database
    from platekeeper.store.facade import StoreConfig

    settings = app_context(ctx).settings()
    path = database_path(settings)
    if is_embedded_file(settings, StoreConfig.from_settings(settings).database_url):
        fail(f"the store's database is {path} itself: nothing to copy")
    if not path.exists():
        fail(f"no {path} to copy from")
    target = open_database(settings, check_left_behind=False)
    source = Database.from_url(f"sqlite:///{path.absolute()}")
    try:
        report = copy_identity(source, target, open_audit_log(settings), actor=cli_actor())
    except CopyRefused as exc:
        fail(f"{exc}; nothing copied")
        return
    except SQLAlchemyError as exc:
        fail(f"copy failed, nothing copied: {type(exc).__name__}")
        return
    finally:
        source.dispose()
        target.dispose()
    for name, count in report.counts.items():
        typer.echo(f"{name}: {count} rows")
    typer.echo(f"copied; {path} is no longer read (move it away when `audit verify` passes)")

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
    from platekeeper.auth.bootstrap import create_first_admin
    from platekeeper.auth.errors import AccessError
    from platekeeper.commands.webstack import cli_actor, open_audit_log, open_database

    settings = app_context(ctx).settings()
    db = open_database(settings)
    try:
        credentials = create_first_admin(
            db,
            open_audit_log(settings),
            settings=settings.auth,
            username=username,
            agency=agency,
            region=region,
            actor=cli_actor(),
        )
    except AccessError as exc:
        fail(str(exc))
        return
    finally:
        db.dispose()
    typer.echo(f"administrator: {credentials.username}")
    typer.echo(f"one-time password: {credentials.password}")
    typer.echo("It is shown only now. The first sign-in sets a new password and TOTP.")


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

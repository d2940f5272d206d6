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

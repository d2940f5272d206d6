"""The ``platekeeper`` command: composes the sub-commands of every room."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from platekeeper import __version__
from platekeeper.commands import (
    camera,
    demo,
    edge,
    evidence,
    init,
    keys,
    lists,
    migrate,
    retention,
)
from platekeeper.commands import read as read_command
from platekeeper.commands.audit import audit_app
from platekeeper.commands.context import AppContext
from platekeeper.commands.serve import serve
from platekeeper.commands.sim import sim
from platekeeper.commands.users import users_app
from platekeeper.commands.worker import worker

app = typer.Typer(
    name="platekeeper",
    help="Automatic licence plate recognition for traffic enforcement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar="PLATEKEEPER_CONFIG",
            help="YAML settings file (secrets come from the environment, never from it).",
            dir_okay=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = AppContext(config_path=config)


@app.command()
def version() -> None:
    """Print the platekeeper version."""
    typer.echo(__version__)


app.command("read")(read_command.read)
app.command()(serve)
app.command()(sim)
app.command()(worker)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
for _command in (camera, demo, edge, evidence, init, migrate, keys, lists, retention):
    _command.register(app)


def main() -> None:
    app()

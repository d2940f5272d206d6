"""``platekeeper demo``: what ``make run`` starts on a new machine.

It brings an installation up from nothing, one idempotent step at a time:
``init`` when there is no master key yet (the first administrator with its
one-time password, printed once, and the certificate included), the first
administrator of an older installation that has none, then ``serve`` over
HTTPS on the loopback address with the simulated camera network feeding in.
Run again, it changes nothing that exists and just serves.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from platekeeper.commands.context import app_context, fail
from platekeeper.commands.serve import serve
from platekeeper.config import Settings


def prepare(settings: Settings, echo: Callable[[str], None] = print) -> None:
    """Initialise when there is no master key (which makes the first
    administrator and the certificate too); otherwise bring the schema up to
    date and create the first administrator only when there is none."""
    from platekeeper.commands.init import InitRefused, first_admin_lines, run_init
    from platekeeper.commands.migrate import upgrade_database
    from platekeeper.commands.webstack import is_initialised
    from platekeeper.crypto import CryptoError

    if not is_initialised(settings):
        try:
            run_init(settings, echo)
        except (InitRefused, CryptoError, OSError) as exc:
            fail(f"init failed: {exc}")
        return
    # An installation made by an earlier version: bring its schema up first.
    shown, before, after = upgrade_database(settings)
    if before != after:
        echo(f"database {shown} migrated from {before} to revision {after}")
    for line in first_admin_lines(settings, actor="demo"):
        echo(line)


def demo(ctx: typer.Context) -> None:
    """Initialise if needed, create the first administrator if none, and serve
    with the simulated camera network feeding in."""
    prepare(app_context(ctx).settings(), typer.echo)
    serve(ctx, host=None, port=None, no_tls=False, simulate=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

"""``platekeeper demo``: what ``make run`` starts on a new machine.

It brings an installation up from nothing, one idempotent step at a time:
``init`` when there is no master key yet, the first administrator (with its
one-time password, printed once) when there is none, then ``serve`` over
HTTPS on the loopback address. Run again, it changes nothing that exists and
just serves. The simulated camera network joins once camera ingest exists.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from platekeeper.commands.context import app_context, fail
from platekeeper.commands.serve import serve
from platekeeper.config import Settings


def prepare(settings: Settings, echo: Callable[[str], None] = print) -> None:
    """Initialise when there is no master key, create the first administrator
    when there is none; leave everything that exists as it is."""
    from platekeeper.auth.bootstrap import create_first_admin
    from platekeeper.auth.errors import ConflictError
    from platekeeper.commands.init import InitRefused, run_init
    from platekeeper.commands.migrate import upgrade_database
    from platekeeper.commands.webstack import is_initialised, open_database, open_services
    from platekeeper.crypto import CryptoError

    if not is_initialised(settings):
        try:
            run_init(settings, echo)
        except (InitRefused, CryptoError, OSError) as exc:
            fail(f"init failed: {exc}")
    else:
        # An installation made by an earlier version: bring its schema up first.
        shown, before, after = upgrade_database(settings)
        if before != after:
            echo(f"database {shown} migrated from {before} to revision {after}")
    db = open_database(settings)
    try:
        services = open_services(settings, db)
        credentials = create_first_admin(db, services.audit_log, settings=settings.auth)
    except ConflictError:
        echo("administrator: exists already (its password was shown when it was made)")
    else:
        echo(f"administrator: {credentials.username}")
        echo(f"one-time password: {credentials.password}")
        echo("It is shown only now. The first sign-in sets a new password and TOTP.")
    finally:
        db.dispose()


def demo(ctx: typer.Context) -> None:
    """Initialise if needed, create the first administrator if none, and serve
    with the simulated camera network feeding in."""
    prepare(app_context(ctx).settings(), typer.echo)
    serve(ctx, host=None, port=None, no_tls=False, simulate=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

"""``platekeeper serve``: the web app over HTTPS."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from platekeeper.commands.context import app_context, fail

logger = logging.getLogger(__name__)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on (web.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (web.port).")] = None,
    no_tls: Annotated[
        bool, typer.Option("--no-tls", help="Plain HTTP; allowed on loopback only.")
    ] = False,
    simulate: Annotated[
        bool,
        typer.Option("--simulate", help="Feed in the simulated camera network (sim.* settings)."),
    ] = False,
) -> None:
    """Serve the operator web app and its API (HTTPS by default)."""
    import uvicorn

    from platekeeper.commands.webstack import (
        open_database,
        open_services,
        open_store_if_initialised,
    )
    from platekeeper.ingest.wiring import running_door
    from platekeeper.web.app import create_app
    from platekeeper.web.tls import ensure_tls_certificate, is_loopback

    settings = app_context(ctx).settings()
    web = settings.web
    bind = host or web.host
    use_tls = web.tls and not no_tls
    if not use_tls and not is_loopback(bind):
        fail(f"refusing to serve plain HTTP on {bind}: TLS is required off the loopback address")
    db = open_database(settings)
    store = open_store_if_initialised(settings)
    stack = ExitStack()
    door = None
    if store is not None:
        stack.callback(store.close)
        door = stack.enter_context(running_door(settings, store))
    else:
        typer.echo("no master key yet (run `platekeeper init`): camera ingest is not served")
    app = create_app(settings, open_services(settings, db, ingest=door, store=store))
    tls_args: dict[str, str] = {}
    scheme = "http"
    if use_tls:
        files = ensure_tls_certificate(
            settings.data_dir, certificate=web.tls_certificate, private_key=web.tls_private_key
        )
        tls_args = {"ssl_certfile": str(files.certificate), "ssl_keyfile": str(files.private_key)}
        scheme = "https"
        if files.created:
            typer.echo(f"made a self-signed certificate: {files.certificate}")
    typer.echo(f"platekeeper listening on {scheme}://{bind}:{port or web.port}/")
    if simulate:
        if store is None or door is None:
            fail("the simulated network needs an initialised installation (platekeeper init)")
            raise AssertionError  # fail() exits
        from platekeeper.sim.feed import running_feed

        local = "127.0.0.1" if bind in ("0.0.0.0", "::", "localhost") else bind  # noqa: S104
        stack.enter_context(
            running_feed(
                settings,
                store.cameras,
                door.keys,
                f"{scheme}://{local}:{port or web.port}",
                Path(tls_args["ssl_certfile"]) if use_tls else None,
            )
        )
        typer.echo(
            f"simulated network: {settings.sim.vehicles} vehicles; live reads within a minute"
        )
    with stack:
        uvicorn.run(
            app,
            host=bind,
            port=port or web.port,
            server_header=False,
            proxy_headers=False,
            log_config=None,
            **tls_args,  # type: ignore[arg-type]
        )

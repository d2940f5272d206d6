"""``platekeeper serve``: the web app over HTTPS."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platekeeper.commands.context import app_context, fail

if TYPE_CHECKING:
    from collections.abc import Callable

    from platekeeper.alerts.bus import AlertBus
    from platekeeper.config import Settings

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

    from platekeeper.commands.rules_stack import (
        mqtt_topics,
        running_rules,
        signals_of,
        store_engine,
    )
    from platekeeper.commands.webstack import (
        is_initialised,
        open_database,
        open_services,
        open_store_if_initialised,
    )
    from platekeeper.ingest.wiring import running_door
    from platekeeper.sim.feed_run import SimWorld, history_lateness, running_feed
    from platekeeper.sim.rules_setup import engine_for
    from platekeeper.web.app import create_app
    from platekeeper.web.tls import ensure_tls_certificate, is_loopback

    settings = app_context(ctx).settings()
    web = settings.web
    bind = host or web.host
    use_tls = web.tls and not no_tls
    if not use_tls and not is_loopback(bind):
        fail(f"refusing to serve plain HTTP on {bind}: TLS is required off the loopback address")
    if simulate and not is_initialised(settings):
        fail("the simulated network needs an initialised installation (platekeeper init)")
    db = open_database(settings)
    store = open_store_if_initialised(settings)
    stack = ExitStack()
    door = bus = world = None
    refresh_rules: Callable[[], None] | None = None
    if store is not None:
        stack.callback(store.close)
        door = stack.enter_context(
            running_door(settings, store, topics=mqtt_topics(settings, store))
        )
        bus = _alerts(settings, stack)
        world = SimWorld.load(settings) if simulate else None
        engine = (
            engine_for(
                world.network,
                world.population,
                signals_of(settings, store),
                late_allowance_s=history_lateness(settings.sim),
            )
            if world
            else store_engine(settings, store)
        )
        # The simulated road keeps its own camera sites (zones by city).
        pipeline = stack.enter_context(
            running_rules(store, engine, bus, settings.rules, sync_cameras=world is None)
        )
        refresh_rules = pipeline.refresh_now
    else:
        typer.echo("no master key yet (run `platekeeper init`): camera ingest is not served")
    services = open_services(
        settings, db, ingest=door, store=store, alerts=bus, on_hotlist_change=refresh_rules
    )
    app = create_app(settings, services)
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
    if world is not None and store is not None and door is not None:
        local = "127.0.0.1" if bind in ("0.0.0.0", "::", "localhost") else bind  # noqa: S104
        stack.enter_context(
            running_feed(
                settings,
                world,
                cameras=store.cameras,
                keys=door.keys,
                base_url=f"{scheme}://{local}:{port or web.port}",
                certificate=Path(tls_args["ssl_certfile"]) if use_tls else None,
                announce=typer.echo,  # plates to search for: the terminal, never the logs
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


def _alerts(settings: Settings, stack: ExitStack) -> AlertBus:
    """The alert bus with its webhooks and MQTT publisher, stopped with the stack."""
    from platekeeper.alerts.service import AlertService

    service = AlertService(settings.alerts, settings.data_dir)
    service.start()
    stack.callback(service.stop)
    return service.bus

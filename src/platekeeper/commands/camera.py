"""``platekeeper camera``: cameras and their request-signing keys.

A camera's secret is printed once, when its key is issued, for the operator
to load into the camera or its edge agent; platekeeper keeps it only sealed.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platekeeper.commands.context import app_context, fail

if TYPE_CHECKING:
    from platekeeper.ingest.camera_keys import CameraKeys, IssuedKey
    from platekeeper.store.facade import Store

camera_app = typer.Typer(help="Cameras and their signing keys.", no_args_is_help=True)


@contextmanager
def _store(ctx: typer.Context) -> Iterator[Store]:
    from sqlalchemy.exc import SQLAlchemyError

    from platekeeper.crypto import CryptoError
    from platekeeper.store.errors import StoreError
    from platekeeper.store.facade import StoreConfig, open_store

    settings = app_context(ctx).settings()
    try:
        store = open_store(StoreConfig.from_settings(settings))
    except (StoreError, CryptoError, SQLAlchemyError, OSError) as exc:
        fail(str(exc))
        raise AssertionError from exc  # fail() exits; this keeps the types honest
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _keys(ctx: typer.Context) -> Iterator[tuple[Store, CameraKeys]]:
    """The store and its camera keys; an operator's bad input ends the command."""
    from platekeeper.ingest.camera_keys import CameraKeys
    from platekeeper.store.errors import InvalidInput

    with _store(ctx) as store:
        try:
            yield store, CameraKeys(store.db, store.vault)
        except InvalidInput as exc:
            fail(str(exc))


def _show(issued: IssuedKey) -> None:
    secret = base64.urlsafe_b64encode(issued.secret).decode().rstrip("=")
    typer.echo(f"camera: {issued.camera_code}")
    typer.echo(f"key id: {issued.key_id}")
    typer.echo(f"secret: {secret}")
    typer.echo("The secret is shown only now; load it into the camera's edge agent.")


@camera_app.command("add")
def add(  # noqa: PLR0917 (typer passes options as arguments)
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Unique camera code, e.g. TAS-AMIR-01.")],
    name: Annotated[str, typer.Option(help="Human name of the site and lens.")],
    bank: Annotated[str, typer.Option(help="Camera bank (site) the camera belongs to.")],
    agency: Annotated[str, typer.Option(help="Agency that runs it.")],
    region: Annotated[str, typer.Option(help="Region whose staff see its reads.")],
    lat: Annotated[float, typer.Option(help="Latitude, degrees.")],
    lon: Annotated[float, typer.Option(help="Longitude, degrees.")],
    heading: Annotated[float | None, typer.Option(help="Heading of view, degrees.")] = None,
) -> None:
    """Add a camera and issue its first signing key (the secret is shown once)."""
    from platekeeper.store.records import CameraSpec

    with _keys(ctx) as (store, keys):
        store.cameras.add(CameraSpec(code, name, bank, agency, region, lat, lon, heading=heading))
        issued = keys.issue(code)
    _show(issued)


@camera_app.command("key")
def new_key(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Code of an existing camera.")],
) -> None:
    """Issue another signing key for a camera (to rotate; revoke the old one after)."""
    with _keys(ctx) as (_, keys):
        issued = keys.issue(code)
    _show(issued)


@camera_app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="Key id to revoke (ck_...).")],
) -> None:
    """Revoke a camera key: its requests are refused from now on."""
    with _keys(ctx) as (_, keys):
        info = keys.revoke(key_id)
    typer.echo(f"revoked {info.key_id} of camera {info.camera_code}")


@camera_app.command("keys")
def list_keys(
    ctx: typer.Context,
    code: Annotated[str | None, typer.Argument(help="Only this camera's keys.")] = None,
) -> None:
    """List camera keys (ids and state; never the secrets)."""
    with _keys(ctx) as (_, keys):
        listed = keys.list(code)
    for key in listed:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        typer.echo(f"{key.camera_code}\t{key.key_id}\tissued {key.created_at:%Y-%m-%d}\t{state}")


@camera_app.command("provision-network")
def provision_network(
    ctx: typer.Context,
    keys_out: Annotated[
        Path, typer.Option("--keys-out", help="Where to write the keys (a secret, mode 0600).")
    ],
    cameras: Annotated[
        Path | None,
        typer.Option(
            "--cameras", help="Camera network file; the bundled Uzbek network by default."
        ),
    ] = None,
) -> None:
    """Add every bank of a camera network as a camera, key each (revoking the
    network's earlier keys) and write the keys for `platekeeper sim --server`."""
    from platekeeper.sim.feed import issue_keys, register_network
    from platekeeper.sim.keyfile import write_keys
    from platekeeper.sim.network import Network
    from platekeeper.sim.network_load import NetworkError

    try:
        network = Network.load(cameras)
    except NetworkError as exc:
        fail(str(exc))
        return
    with _keys(ctx) as (store, keys):
        added = register_network(store.cameras, network)
        issued = issue_keys(keys, network)
    try:
        write_keys(keys_out, issued)
    except OSError as exc:
        fail(f"cannot write {keys_out}: {exc.strerror or exc}")
    typer.echo(
        f"{len(issued)} cameras keyed ({added} new); keys written to {keys_out} (keep it secret)"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(camera_app, name="camera")

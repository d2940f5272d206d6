"""``platekeeper camera``: cameras and their request-signing keys.

A camera's secret is printed once, when its key is issued, for the operator
to load into the camera or its edge agent; platekeeper keeps it only sealed.
Every change is written to the audit log with the operating-system account
that ran the command, in the change's own transaction (the same service as
the administrators' camera pages).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platekeeper.commands.context import app_context, fail

if TYPE_CHECKING:
    from platekeeper.ingest.camera_keys import CameraKeys
    from platekeeper.store.facade import Store
    from platekeeper.web.camera_admin import Actor, CameraAdmin, IssuedCameraKey

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


@contextmanager
def _admin(ctx: typer.Context) -> Iterator[tuple[CameraAdmin, Actor]]:
    """The camera service over the store and the audit log, acting for the
    operator at the command line (every region); refusals end the command."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from platekeeper.auth.errors import AccessError
    from platekeeper.auth.roles import Scope
    from platekeeper.commands.webstack import cli_actor, open_audit_log, open_database
    from platekeeper.web.camera_admin import Actor, CameraAdmin

    settings = app_context(ctx).settings()
    with _store(ctx) as store:
        audit_db = open_database(settings)
        try:
            admin = CameraAdmin(store, audit_db, open_audit_log(settings))
            yield admin, Actor(cli_actor(), Scope("national", "national", all_regions=True))
        except AccessError as exc:
            fail(str(exc))
        except ValidationError as exc:
            fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        except SQLAlchemyError as exc:
            # Most likely the audit entry could not be written: the change was rolled back.
            fail(f"nothing was changed: the database refused the write ({type(exc).__name__})")
        finally:
            audit_db.dispose()


def _show(issued: IssuedCameraKey) -> None:
    typer.echo(f"camera: {issued.camera.code}")
    typer.echo(f"key id: {issued.key_id}")
    typer.echo(f"secret: {issued.secret}")
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
    from platekeeper.web.camera_admin import NewCamera

    with _admin(ctx) as (admin, actor):
        new = NewCamera(
            code=code,
            name=name,
            bank=bank,
            agency=agency,
            region=region,
            latitude=lat,
            longitude=lon,
            heading=heading,
        )
        issued = admin.add(actor, new)
    _show(issued)


@camera_app.command("key")
def new_key(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Code of an existing camera.")],
) -> None:
    """Issue another signing key for a camera (to rotate; revoke the old one after)."""
    with _admin(ctx) as (admin, actor):
        issued = admin.issue_key(actor, code)
    _show(issued)


@camera_app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="Key id to revoke (ck_...).")],
) -> None:
    """Revoke a camera key: its requests are refused from now on."""
    with _admin(ctx) as (admin, actor):
        info = admin.revoke_key(actor, key_id)
    typer.echo(f"revoked {info.key_id} of camera {info.camera}")


@camera_app.command("disable")
def disable(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Code of an existing camera.")],
) -> None:
    """Disable a camera: its requests are refused (its keys are kept)."""
    with _admin(ctx) as (admin, actor):
        admin.set_active(actor, code, active=False)
    typer.echo(f"camera {code} disabled")


@camera_app.command("enable")
def enable(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Code of an existing camera.")],
) -> None:
    """Enable a disabled camera again."""
    with _admin(ctx) as (admin, actor):
        admin.set_active(actor, code, active=True)
    typer.echo(f"camera {code} enabled")


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
    from platekeeper.commands.audited import audited_job
    from platekeeper.sim.feed_setup import issue_keys, register_network
    from platekeeper.sim.keyfile import write_keys
    from platekeeper.sim.network import Network
    from platekeeper.sim.network_load import NetworkError

    try:
        network = Network.load(cameras)
    except NetworkError as exc:
        fail(str(exc))
        return
    settings = app_context(ctx).settings()
    with (
        audited_job(
            settings, "camera.provision_network", target=str(cameras or "bundled")
        ) as details,
        _keys(ctx) as (store, keys),
    ):
        added = register_network(store.cameras, network)
        issued = issue_keys(keys, network)
        details.update(cameras=len(issued), added=added)
        try:
            write_keys(keys_out, issued)
        except OSError as exc:
            fail(f"cannot write {keys_out}: {exc.strerror or exc}")
    typer.echo(
        f"{len(issued)} cameras keyed ({added} new); keys written to {keys_out} (keep it secret)"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(camera_app, name="camera")

"""``platekeeper audit``: check and sign the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platekeeper.commands.context import app_context, fail

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            help="Extra Ed25519 public key (PEM) for checkpoints, e.g. from before a rotation.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check every entry, link and signed checkpoint; exit 1 when anything is wrong."""
    from platekeeper.audit.signing import key_id, load_public_key
    from platekeeper.audit.verify import verify_log
    from platekeeper.commands.webstack import checkpoint_public_keys, open_database

    settings = app_context(ctx).settings()
    db = open_database(settings, create=False)
    keys = {}
    for path in checkpoint_public_keys(settings, list(public_key or [])):
        try:
            key = load_public_key(path)
        except (OSError, ValueError) as exc:
            fail(f"cannot read public key {path}: {exc}")
            return
        keys[key_id(key)] = key
    report = verify_log(db, keys)
    typer.echo(
        f"{report.entries} entries, {report.checkpoints} signed checkpoints"
        + (f" (newest at entry {report.last_checkpoint_seq})" if report.last_checkpoint_seq else "")
    )
    if report.ok:
        typer.echo("audit log verified: no entry was edited, deleted or reordered")
        if report.unsigned_tail:
            typer.echo(f"note: {report.unsigned_tail} newest entries are not yet checkpointed")
        return
    typer.echo("AUDIT LOG DOES NOT VERIFY:", err=True)
    for problem in report.problems:
        typer.echo(f"  - {problem}", err=True)
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Sign the current head of the log now."""
    from platekeeper.commands.webstack import open_database, open_services

    settings = app_context(ctx).settings()
    db = open_database(settings, create=False)
    info = open_services(settings, db).audit_log.checkpoint(db)
    if info is None:
        typer.echo("nothing new to sign")
    else:
        typer.echo(f"signed checkpoint at entry {info.seq} with key {info.key_id}")

"""``platekeeper retention run``: delete expired data, destroy its keys."""

from __future__ import annotations

from typing import Annotated

import typer

from platekeeper.commands.context import app_context, fail

retention_app = typer.Typer(help="Retention of reads, evidence and keys.", no_args_is_help=True)


@retention_app.command("run")
def run(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be deleted; change nothing.")
    ] = False,
) -> None:
    """Apply the retention policies now (schedule this daily)."""
    from sqlalchemy.exc import SQLAlchemyError

    from platekeeper.crypto import CryptoError
    from platekeeper.retention.job import RetentionJob
    from platekeeper.store.errors import StoreError
    from platekeeper.store.facade import StoreConfig, open_store

    settings = app_context(ctx).settings()
    try:
        store = open_store(StoreConfig.from_settings(settings))
    except (StoreError, CryptoError, SQLAlchemyError) as exc:
        fail(str(exc))
        return
    try:
        report = RetentionJob(store).run(dry_run=dry_run)
    finally:
        store.close()
    for line in report.lines():
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")

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
    """Apply the retention policies now (schedule this daily); audited unless a dry run."""
    from contextlib import AbstractContextManager, nullcontext

    from sqlalchemy.exc import SQLAlchemyError

    from platekeeper.auth.trail import JsonScalar
    from platekeeper.commands.audited import audited_job
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
    # A dry run changes nothing, so it is not an administrative change to audit.
    job: AbstractContextManager[dict[str, JsonScalar]] = (
        nullcontext({}) if dry_run else audited_job(settings, "retention.run")
    )
    try:
        with job as details:
            report = RetentionJob(store).run(dry_run=dry_run)
            details.update(
                reads_deleted=report.reads_deleted,
                blobs_deleted=report.blobs_deleted,
                keys_destroyed=sum(report.keys_destroyed.values()),
                hotlist_entries_expired=report.hotlist_entries_expired,
                partitions_dropped=len(report.partitions_dropped),
            )
    finally:
        store.close()
    for line in report.lines():
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")

"""``platekeeper migrate``: bring the database schema to this version's head."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import typer

from platekeeper.commands.context import app_context, fail

if TYPE_CHECKING:
    from platekeeper.config import Settings


def quiet_alembic() -> None:
    """Alembic narrates every step at INFO; the commands print their own summary."""
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("alembic").setLevel(logging.WARNING)


def upgrade_database(settings: Settings) -> tuple[str, str | None, str | None]:
    """Migrate the store's database to head: (shown URL, revision before, after)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from platekeeper.store.engine import make_engine
    from platekeeper.store.facade import StoreConfig
    from platekeeper.store.migrate import upgrade

    quiet_alembic()
    config = StoreConfig.from_settings(settings)
    shown = make_url(config.database_url).render_as_string(hide_password=True)
    try:
        engine = make_engine(config.database_url)
        try:
            before, after = upgrade(engine)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        fail(f"cannot migrate {shown}: {type(exc).__name__}")
        raise AssertionError from exc  # fail() exits
    return shown, before, after


def migrate(ctx: typer.Context) -> None:
    """Apply pending database migrations (safe to run at every start)."""
    shown, before, after = upgrade_database(app_context(ctx).settings())
    if before == after:
        typer.echo(f"database {shown} is up to date (revision {after})")
    else:
        typer.echo(f"database {shown} migrated from {before or 'empty'} to revision {after}")


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate)

"""What every sub-command receives: where the config is, and the loaded settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from platekeeper.config import ConfigError, Settings, load_settings


@dataclass
class AppContext:
    """Carried in ``typer.Context.obj``; settings are loaded on first use."""

    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as exc:
                fail(str(exc))
        assert self._settings is not None
        return self._settings


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        obj = AppContext()
        ctx.find_root().obj = obj
    return obj


def fail(message: str, code: int = 2) -> None:
    """Print an error for the operator and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)

"""``platekeeper init``: make a new installation ready, one clear step at a time.

Each step does one thing, says what it did, and refuses to destroy anything
that exists: above all, an existing master key is never overwritten (that
would make every record unreadable). Later rooms add their own steps (the
first admin account, the TLS certificate) to ``init_steps``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from platekeeper.commands.context import app_context, fail
from platekeeper.commands.migrate import quiet_alembic
from platekeeper.config import Settings
from platekeeper.crypto import CryptoError
from platekeeper.crypto.master import MasterKey, load_keyring, write_key_file

if TYPE_CHECKING:
    from platekeeper.store.facade import StoreConfig

logger = logging.getLogger(__name__)


class InitRefused(Exception):
    """A step found something it must not overwrite."""


@dataclass
class InitContext:
    settings: Settings
    config: StoreConfig
    done: list[str] = field(default_factory=list)


InitStep = Callable[[InitContext], str]


def create_data_dir(ctx: InitContext) -> str:
    data_dir = ctx.config.data_dir
    if data_dir.exists():
        return f"data directory: {data_dir.absolute()} (exists)"
    data_dir.mkdir(mode=0o700, parents=True)
    return f"data directory: created {data_dir.absolute()} (mode 0700)"


def create_master_key(ctx: InitContext) -> str:
    if ctx.settings.master_key is not None:
        return "master key: taken from PLATEKEEPER_MASTER_KEY (no key file written)"
    path = ctx.config.master_key_file
    if path.exists():
        raise InitRefused(
            f"a master key already exists at {path}; refusing to overwrite it (this "
            "installation is initialised: use `platekeeper migrate` to update its database)"
        )
    vault = _sqlite_path(ctx.config.vault_url)
    if vault is not None and vault.exists() and vault.stat().st_size > 0:
        raise InitRefused(
            f"a key vault exists at {vault} but its master key does not; restore the master "
            "key (or set PLATEKEEPER_MASTER_KEY) instead of making a new one, which could "
            "not open it"
        )
    key = MasterKey.generate()
    write_key_file(path, key)
    return (
        f"master key: created {path} (mode 0600, fingerprint {key.fingerprint_hex}); "
        "back it up apart from the data"
    )


def migrate_database(ctx: InitContext) -> str:
    from sqlalchemy.engine import make_url

    from platekeeper.store.engine import make_engine
    from platekeeper.store.migrate import upgrade

    engine = make_engine(ctx.config.database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    shown = make_url(ctx.config.database_url).render_as_string(hide_password=True)
    return f"database: {shown} migrated from {before or 'empty'} to revision {after}"


def create_vault(ctx: InitContext) -> str:
    from sqlalchemy.engine import make_url

    from platekeeper.crypto.vault import KeyVault

    secret = ctx.settings.master_key
    keyring = load_keyring(
        secret.get_secret_value() if secret else None, ctx.config.master_key_file
    )
    vault = KeyVault.open(ctx.config.vault_url, keyring)
    try:
        from platekeeper.crypto.signing import Signer

        vault.system_key("blob-address")
        vault.system_key("blob-content")
        signer = Signer(vault.system_key("signing-ed25519", Signer.new_seed))
    finally:
        vault.dispose()
    public = ctx.config.data_dir / "keys" / "signing.pub"
    public.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    public.write_bytes(signer.public_key.pem())
    os.chmod(public, 0o644)
    shown = make_url(ctx.config.vault_url).render_as_string(hide_password=True)
    return (
        f"key vault: {shown} (signing key {signer.public_key.fingerprint}, public key in {public})"
    )


def _sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None


def init_steps() -> list[tuple[str, InitStep]]:
    """The steps of ``init``, in order. Rooms append theirs here."""
    return [
        ("data directory", create_data_dir),
        ("master key", create_master_key),
        ("database", migrate_database),
        ("key vault", create_vault),
    ]


def run_init(settings: Settings, echo: Callable[[str], None] = print) -> list[str]:
    from platekeeper.store.facade import StoreConfig

    quiet_alembic()
    ctx = InitContext(settings, StoreConfig.from_settings(settings))
    for _name, step in init_steps():
        line = step(ctx)
        ctx.done.append(line)
        echo(line)
    return ctx.done


def init(ctx: typer.Context) -> None:
    """Create the data directory, the master key (mode 0600) and the database."""
    settings = app_context(ctx).settings()
    try:
        run_init(settings, typer.echo)
    except InitRefused as exc:
        fail(str(exc))
    except (CryptoError, OSError) as exc:
        fail(f"init failed: {exc}")
    typer.echo("platekeeper is initialised.")


def register(app: typer.Typer) -> None:
    app.command("init")(init)

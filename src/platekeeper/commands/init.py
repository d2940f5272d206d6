"""``platekeeper init``: make a new installation ready, one clear step at a time.

Each step does one thing, says what it did, and refuses to destroy anything
that exists: above all, an existing master key is never overwritten (that
would make every record unreadable). The last steps make the first
administrator, whose one-time password is printed once and stored only as a
hash, and the TLS certificate: the operator's own (``--tls-cert``/``--tls-key``
or the ``web.tls_*`` settings), checked before anything is made, or a
self-signed one. Neither is ever made twice or overwritten.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    # The operator's certificate and key to copy into the data directory.
    tls_source: tuple[Path, Path] | None = None


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
    if before == after:  # e.g. made by `users create-admin` before init
        return f"database: {shown} is at revision {after} already"
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


def create_first_administrator(ctx: InitContext) -> str:
    """The first administrator with a one-time password, unless one exists."""
    return "\n".join(first_admin_lines(ctx.settings, actor="init"))


def first_admin_lines(
    settings: Settings,
    *,
    actor: str,
    username: str = "admin",
    agency: str = "national",
    region: str = "national",
    existing_ok: bool = True,
) -> list[str]:
    """Create the first administrator: the lines that show its one-time
    password. With ``existing_ok`` an administrator made before is a line
    too (init and demo run again); without it, a ``ConflictError``."""
    from platekeeper.auth.bootstrap import create_first_admin
    from platekeeper.auth.errors import ConflictError
    from platekeeper.commands.webstack import open_audit_log, open_database

    db = open_database(settings)
    try:
        credentials = create_first_admin(
            db,
            open_audit_log(settings),
            settings=settings.auth,
            username=username,
            agency=agency,
            region=region,
            actor=actor,
        )
    except ConflictError:
        if not existing_ok:
            raise
        return ["administrator: exists already (its password was shown when it was made)"]
    finally:
        db.dispose()
    return [
        f"administrator: {credentials.username}",
        f"one-time password: {credentials.password}",
        "It is shown only now. The first sign-in sets a new password and TOTP.",
    ]


def check_tls_plan(settings: Settings, given: tuple[Path, Path] | None) -> None:
    """Refuse a certificate init could not use, before any step has made anything."""
    from platekeeper.web.tls import CertificateError, check_certificate_pair, is_installed

    web = settings.web
    configured = web.tls_certificate is not None or web.tls_private_key is not None
    if given is not None and configured:
        raise InitRefused(
            "the certificate is set in the settings (web.tls_certificate, "
            "web.tls_private_key) and given to init; give it one way only"
        )
    if configured and (web.tls_certificate is None or web.tls_private_key is None):
        raise InitRefused("set both web.tls_certificate and web.tls_private_key, or neither")
    pair = given or (
        (web.tls_certificate, web.tls_private_key)
        if web.tls_certificate and web.tls_private_key
        else None
    )
    if pair is None:
        return
    try:
        check_certificate_pair(*pair)
    except CertificateError as exc:
        raise InitRefused(f"TLS certificate: {exc}") from None
    if given is not None:
        try:
            is_installed(settings.data_dir, given[0])
        except FileExistsError as exc:
            raise InitRefused(str(exc)) from None


def create_tls_certificate(ctx: InitContext) -> str:
    from platekeeper.web.tls import ensure_tls_certificate, install_certificate

    web = ctx.settings.web
    data_dir = ctx.config.data_dir
    if ctx.tls_source is not None:
        files = install_certificate(data_dir, *ctx.tls_source)
        verb = "copied the operator's certificate to" if files.created else "the operator's, in"
        return f"TLS certificate: {verb} {files.certificate} (key mode 0600)"
    if web.tls_certificate is not None and web.tls_private_key is not None:
        return f"TLS certificate: the operator's, {web.tls_certificate} (from the settings)"
    files = ensure_tls_certificate(data_dir)
    if not files.created:
        return f"TLS certificate: {files.certificate} (exists)"
    note = "" if web.tls else " (web.tls is off: serve uses plain HTTP on loopback)"
    return (
        f"TLS certificate: made a self-signed one, {files.certificate}; browsers will ask "
        f"to trust it, or give your own with --tls-cert/--tls-key{note}"
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
        ("administrator", create_first_administrator),
        ("TLS certificate", create_tls_certificate),
    ]


def run_init(
    settings: Settings,
    echo: Callable[[str], None] = print,
    *,
    tls_source: tuple[Path, Path] | None = None,
) -> list[str]:
    from platekeeper.store.facade import StoreConfig

    quiet_alembic()
    check_tls_plan(settings, tls_source)
    ctx = InitContext(settings, StoreConfig.from_settings(settings), tls_source=tls_source)
    for _name, step in init_steps():
        for line in step(ctx).splitlines():
            ctx.done.append(line)
            echo(line)
    return ctx.done


def init(
    ctx: typer.Context,
    tls_cert: Annotated[
        Path | None,
        typer.Option(
            "--tls-cert",
            help="Your PEM certificate (chain), copied to the data directory.",
            dir_okay=False,
        ),
    ] = None,
    tls_key: Annotated[
        Path | None,
        typer.Option(
            "--tls-key",
            help="Its unencrypted PEM private key (copied with mode 0600).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Create the data directory, the master key (mode 0600), the database, the
    first administrator (one-time password shown once) and the TLS certificate."""
    settings = app_context(ctx).settings()
    if (tls_cert is None) != (tls_key is None):
        fail("give --tls-cert and --tls-key together")
    source = (tls_cert, tls_key) if tls_cert is not None and tls_key is not None else None
    try:
        run_init(settings, typer.echo, tls_source=source)
    except InitRefused as exc:
        fail(str(exc))
    except (CryptoError, OSError) as exc:
        fail(f"init failed: {exc}")
    typer.echo("platekeeper is initialised.")


def register(app: typer.Typer) -> None:
    app.command("init")(init)

"""``platekeeper keys …``: master key rotation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platekeeper.commands.context import app_context, fail

keys_app = typer.Typer(help="Manage the master key.", no_args_is_help=True)


@keys_app.command("rotate")
def rotate(
    ctx: typer.Context,
    new_key_file: Annotated[
        Path | None,
        typer.Option(
            "--new-key-file",
            help="The new master key (mode 0600), when the current one comes from "
            "PLATEKEEPER_MASTER_KEY or a secrets file. With a key file, a new key is made.",
            dir_okay=False,
            exists=True,
        ),
    ] = None,
) -> None:
    """Re-wrap every data key under a new master key; the old key is destroyed.

    No record is re-encrypted: the rotation takes seconds at any data size.
    Audited: an entry before it starts (no entry, no rotation) and one with
    the outcome.
    """
    from platekeeper.commands.audited import audited_job
    from platekeeper.crypto import CryptoError
    from platekeeper.crypto.master import load_keyring, read_key_file
    from platekeeper.crypto.rotation import rotate_master_key
    from platekeeper.crypto.vault import KeyVault
    from platekeeper.store.facade import StoreConfig

    settings = app_context(ctx).settings()
    config = StoreConfig.from_settings(settings)
    secret = settings.master_key
    try:
        keyring = load_keyring(
            secret.get_secret_value() if secret else None, config.master_key_file
        )
        new_key = read_key_file(new_key_file) if new_key_file is not None else None
        with audited_job(settings, "keys.rotate") as details:
            vault = KeyVault.open(config.vault_url, keyring)
            try:
                report = rotate_master_key(vault, config.master_key_file, new_key)
            finally:
                vault.dispose()
            details.update(
                old_key=report.old_fingerprint,
                new_key=report.new_fingerprint,
                rewrapped=report.rewrapped,
                resumed=report.resumed,
            )
    except CryptoError as exc:
        fail(str(exc))
        return
    if report.resumed:
        typer.echo("finished an interrupted rotation")
    typer.echo(
        f"master key rotated: {report.old_fingerprint} -> {report.new_fingerprint} "
        f"({report.rewrapped} key(s) re-wrapped)"
    )
    if report.key_file is not None:
        typer.echo(f"new key in {report.key_file}; the old key was destroyed: back up the new one")
    else:
        typer.echo(
            "now replace PLATEKEEPER_MASTER_KEY (or its secrets file) with the new key "
            "and restart every platekeeper process"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")

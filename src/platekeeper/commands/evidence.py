"""``platekeeper evidence verify``: check an evidence package offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from platekeeper.commands.context import fail

evidence_app = typer.Typer(help="Signed evidence packages.", no_args_is_help=True)


@evidence_app.command("verify")
def verify(
    package: Annotated[Path, typer.Argument(help="The package (.zip).", dir_okay=False)],
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The authority's Ed25519 public key (PEM). Without it the key inside the "
            "package is used: that shows the package is intact, not who signed it.",
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check the signature and every file of a package; exit 1 when anything is wrong."""
    from platekeeper.crypto import CryptoError
    from platekeeper.crypto.signing import PublicKey
    from platekeeper.review.package import verify_package

    try:
        data = package.read_bytes()
    except OSError as exc:
        fail(f"cannot read {package}: {exc.strerror or exc}")
        return
    key = None
    if public_key is not None:
        try:
            key = PublicKey.from_pem(public_key.read_bytes())
        except (OSError, CryptoError) as exc:
            fail(f"cannot use the public key {public_key}: {exc}")
    result = verify_package(data, key)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "problems": result.problems,
                    "signer": result.signer,
                    "key": result.key_source,
                    "files": result.files,
                }
            )
        )
    elif result.ok:
        violation = result.violation or {}
        typer.echo(
            f"verified: violation {violation.get('id')} ({violation.get('offence')}), "
            f"{result.files} files, signed by key {result.signer}"
        )
        if result.key_source == "embedded":
            typer.echo(
                "note: checked with the key inside the package; pass --public-key with the "
                "authority's published key to prove who signed it"
            )
    else:
        for problem in result.problems:
            typer.echo(f"FAILED: {problem}", err=True)
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")

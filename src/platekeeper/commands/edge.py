"""``platekeeper edge``: the agent beside a camera bank.

It reads the stills a camera drops into a folder, keeps every read in its
encrypted outbox, and delivers them to the central server with the camera's
key. The secret comes from a file or ``PLATEKEEPER_EDGE_SECRET``, never from
the command line (where any local user could see it).
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from pathlib import Path
from typing import Annotated

import typer

from platekeeper.commands.context import app_context, fail

edge_app = typer.Typer(help="The edge agent beside a camera bank.", no_args_is_help=True)


def _secret(path: Path | None) -> bytes:
    text = os.environ.get("PLATEKEEPER_EDGE_SECRET")
    if path is not None:
        try:
            text = path.read_text().strip()
        except OSError as exc:
            fail(f"cannot read the secret file: {exc}")
    if not text:
        fail("give the camera secret with --secret-file or PLATEKEEPER_EDGE_SECRET")
        raise AssertionError  # fail() exits
    try:
        secret = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != 32:
        fail("the camera secret is not the one `platekeeper camera add` printed")
    return secret


@edge_app.command("run")
def run(  # noqa: PLR0917 (one parameter per command-line option)
    ctx: typer.Context,
    watch: Annotated[Path, typer.Option(help="Folder the camera writes its stills into.")],
    server: Annotated[str, typer.Option(help="Central server, e.g. https://ingest:8443.")],
    key_id: Annotated[str, typer.Option(help="The camera's key id (ck_...).")],
    secret_file: Annotated[
        Path | None, typer.Option(help="File holding the camera's secret.")
    ] = None,
    outbox: Annotated[Path, typer.Option(help="Outbox folder.")] = Path("edge-outbox"),
    country: Annotated[
        list[str] | None, typer.Option("--country", "-C", help="Plate syntaxes (repeatable).")
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option(help="CA certificate that signed the server's certificate.")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Process what is waiting, deliver it, and exit.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between folder scans.")] = 1.0,
) -> None:
    """Read a camera's stills, keep the reads in the outbox, deliver them."""
    import httpx

    from platekeeper.edge.folder import process_folder
    from platekeeper.edge.outbox import Outbox, OutboxFull
    from platekeeper.edge.uploader import Uploader
    from platekeeper.recognition import Recognizer

    secret = _secret(secret_file)
    if not watch.is_dir():
        fail(f"{watch} is not a folder")
    if server.startswith("http://") and not server.startswith(
        ("http://127.", "http://localhost", "http://[::1]")
    ):
        fail("refusing to send reads over plain HTTP off the loopback address")
    recognizer = Recognizer(app_context(ctx).settings().recognition)
    countries = [c.upper() for c in country] if country else None
    box = Outbox(outbox)
    verify: str | bool = str(ca_file) if ca_file else True
    with httpx.Client(base_url=server, verify=verify, timeout=30) as client:
        uploader = Uploader(box, client, key_id, secret)
        while True:
            try:
                done, failed = process_folder(watch, recognizer, box, countries=countries)
            except OutboxFull:
                done, failed = 0, 0
            if done or failed:
                typer.echo(f"read {done} image(s), {failed} failed; {box.pending()} to deliver")
            if once:
                uploader.drain()
                break
            while box.pending() and uploader.send_once():
                pass
            if box.pending():
                uploader.wait()
            else:
                time.sleep(interval)
    if uploader.state.alarm:
        fail(uploader.state.alarm)
    typer.echo(f"delivered {uploader.state.delivered} read(s)")
    box.close()


def register(app: typer.Typer) -> None:
    app.add_typer(edge_app, name="edge")

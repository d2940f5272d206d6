"""``platekeeper read``: read the plates in image files or folders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import track

from platekeeper.commands.context import app_context, fail

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def expand(paths: list[Path]) -> Iterator[Path]:
    """Files as given; folders walked for image files, in name order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in IMAGE_SUFFIXES:
                    yield child
        else:
            yield path


def read(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Image files or folders of images.")],
    country: Annotated[
        list[str] | None,
        typer.Option("--country", "-C", help="Consider only this country's syntaxes (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per plate.")] = False,
    top_n: Annotated[
        int | None, typer.Option("--top-n", min=1, max=50, help="Candidates kept per plate.")
    ] = None,
) -> None:
    """Read the licence plates in images. Exits 1 if any file could not be read."""
    from platekeeper.recognition import ImageError, Recognizer
    from platekeeper.recognition.syntax import select

    settings = app_context(ctx).settings().recognition
    if top_n is not None:
        settings = settings.model_copy(update={"top_n": top_n})
    countries = [c.upper() for c in country] if country else None
    try:
        select(countries or ())
    except ValueError as exc:
        fail(str(exc))
    files = list(expand(paths))
    if not files:
        fail("no image files found")
    recognizer = Recognizer(settings)
    err = Console(stderr=True)
    failed = 0
    for path in track(files, description="reading", console=err, disable=len(files) < 2):
        try:
            plates = recognizer.read_file(path, countries=countries)
        except ImageError as exc:
            failed += 1
            typer.echo(f"error: {path}: {exc}", err=True)
            continue
        if as_json:
            for plate in plates:
                typer.echo(json.dumps({"file": str(path), **plate.to_dict()}))
        elif not plates:
            typer.echo(f"{path}: no plate found")
        else:
            for plate in plates:
                where = f"{plate.country} {plate.format}" if plate.country else "no known syntax"
                typer.echo(
                    f"{path}: {plate.display or plate.text}  ({where}, {plate.confidence:.2f})"
                )
    if failed:
        typer.echo(f"{failed} of {len(files)} file(s) could not be read", err=True)
        raise typer.Exit(1)

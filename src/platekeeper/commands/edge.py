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
from typing import TYPE_CHECKING, Annotated

import typer

from platekeeper.commands.context import app_context, fail

if TYPE_CHECKING:
    from platekeeper.edge.outbox import Outbox
    from platekeeper.edge.phases import PhaseSender
    from platekeeper.edge.uploader import Uploader
    from platekeeper.recognition import Recognizer
    from platekeeper.video.signal_head import PhaseWatcher
    from platekeeper.video.stop_line import StopLine

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
    watch: Annotated[
        Path | None, typer.Option(help="Folder the camera writes its stills into.")
    ] = None,
    video: Annotated[
        str | None, typer.Option(help="Video file or rtsp:// stream to read passes from.")
    ] = None,
    sample_fps: Annotated[float, typer.Option(help="Video frames read per second.")] = 5.0,
    lane: Annotated[
        list[str] | None,
        typer.Option(
            help="Lane region x,y,w,h in pixels (repeatable, kerb lane first; video only): "
            "each read carries the number of the lane its plate is in."
        ),
    ] = None,
    rtsp_transport: Annotated[
        str, typer.Option(help="RTSP over 'tcp' (default) or 'udp'.")
    ] = "tcp",
    stop_line: Annotated[
        str | None,
        typer.Option(
            help="Red-light camera: the stop line X1,Y1,X2,Y2 in pixels, drawn where plates "
            "cross it; each read then carries its stop-line track (video only)."
        ),
    ] = None,
    approach_from: Annotated[
        str | None,
        typer.Option(help="A point X,Y on the side of the stop line vehicles come from."),
    ] = None,
    metres_per_pixel: Annotated[
        float, typer.Option(help="Rough scale at the stop line (the rule needs only the sign).")
    ] = 0.01,
    signal_head: Annotated[
        str | None,
        typer.Option(
            help="Read the signal phase from the video: the head's region x,y,w,h in pixels "
            "(video only; needs --signal-id)."
        ),
    ] = None,
    signal_id: Annotated[
        str | None,
        typer.Option(help="The id of that signal head at the server (<bank>-...)."),
    ] = None,
) -> None:
    """Read a camera's stills or video, keep the reads in the outbox, deliver them."""
    import httpx

    from platekeeper.edge.outbox import Outbox
    from platekeeper.edge.uploader import Uploader
    from platekeeper.recognition import Recognizer

    secret = _secret(secret_file)
    _check_source(watch, video, sample_fps, server, rtsp_transport)
    lanes = _lanes(lane or [])
    line = _stop_line(stop_line, approach_from, metres_per_pixel, video)
    head = _signal_head(signal_head, signal_id, video)
    recognizer = Recognizer(app_context(ctx).settings().recognition)
    countries = [c.upper() for c in country] if country else None
    box = Outbox(outbox)
    verify: str | bool = str(ca_file) if ca_file else True
    with httpx.Client(base_url=server, verify=verify, timeout=30) as client:
        uploader = Uploader(box, client, key_id, secret)
        phases = None
        if head is not None and signal_id is not None:
            from platekeeper.edge.phases import PhaseSender

            phases = PhaseSender(client, key_id, secret, signal_id)
        if video is not None:
            _run_video(
                video,
                recognizer,
                box,
                uploader,
                countries=countries,
                sample_fps=sample_fps,
                lanes=lanes,
                rtsp_transport=rtsp_transport,
                stop_line=line,
                signal=head,
                phases=phases,
            )
        elif watch is not None:
            _run_folder(
                watch, recognizer, box, uploader, countries=countries, once=once, interval=interval
            )
    box.close()
    if uploader.state.alarm:
        fail(uploader.state.alarm)
    typer.echo(f"delivered {uploader.state.delivered} read(s)")


def _stop_line(
    line: str | None, approach: str | None, metres_per_pixel: float, video: str | None
) -> StopLine | None:
    from platekeeper.video.stop_line import StopLine

    if line is None and approach is None:
        return None
    if line is None or approach is None:
        fail("a stop line needs both --stop-line and --approach-from")
        raise AssertionError  # fail() exits
    if video is None:
        fail("a stop line is for a video source (--video)")
    try:
        return StopLine.parse(line, approach, metres_per_pixel)
    except ValueError as exc:
        fail(str(exc))
        raise AssertionError from None  # fail() exits


def _signal_head(
    region: str | None, signal_id: str | None, video: str | None
) -> PhaseWatcher | None:
    from platekeeper.rules.signals import SIGNAL_ID
    from platekeeper.video.signal_head import PhaseWatcher, SignalHead

    if region is None and signal_id is None:
        return None
    if region is None or signal_id is None:
        fail("reading the signal needs both --signal-head and --signal-id")
        raise AssertionError  # fail() exits
    if video is None:
        fail("a signal head is read from a video source (--video)")
    if not SIGNAL_ID.match(signal_id):
        fail("the signal id is letters, digits, '.', '_', ':' and '-' (up to 64)")
    try:
        return PhaseWatcher(SignalHead.parse(region))
    except ValueError as exc:
        fail(str(exc))
        raise AssertionError from None  # fail() exits


def _lanes(values: list[str]) -> list[tuple[int, int, int, int]]:
    from platekeeper.store.reads import MAX_LANE

    if len(values) > MAX_LANE:
        fail(f"at most {MAX_LANE} lanes")
    lanes = []
    for value in values:
        parts = value.split(",")
        if len(parts) != 4 or not all(p.strip().isdigit() for p in parts):
            fail(f"a lane is x,y,w,h in whole pixels, not {value!r}")
        x, y, w, h = (int(p) for p in parts)
        if w < 16 or h < 16:
            fail(f"the lane {value!r} is smaller than 16x16 pixels")
        lanes.append((x, y, w, h))
    return lanes


def _check_source(
    watch: Path | None, video: str | None, sample_fps: float, server: str, rtsp_transport: str
) -> None:
    if (watch is None) == (video is None):
        fail("give exactly one source: --watch FOLDER or --video FILE|URL")
    if watch is not None and not watch.is_dir():
        fail(f"{watch} is not a folder")
    if not 0.5 <= sample_fps <= 30:
        fail("--sample-fps must be between 0.5 and 30")
    if rtsp_transport not in ("tcp", "udp"):
        fail("--rtsp-transport is tcp or udp")
    if server.startswith("http://") and not server.startswith(
        ("http://127.", "http://localhost", "http://[::1]")
    ):
        fail("refusing to send reads over plain HTTP off the loopback address")


def _run_folder(
    watch: Path,
    recognizer: Recognizer,
    box: Outbox,
    uploader: Uploader,
    *,
    countries: list[str] | None,
    once: bool,
    interval: float,
) -> None:
    from platekeeper.edge.folder import process_folder
    from platekeeper.edge.outbox import OutboxFull

    while True:
        try:
            done, failed = process_folder(watch, recognizer, box, countries=countries)
        except OutboxFull:
            done, failed = 0, 0
        if done or failed:
            typer.echo(f"read {done} image(s), {failed} failed; {box.pending()} to deliver")
        if once:
            uploader.drain()
            return
        while box.pending() and uploader.send_once():
            pass
        if box.pending():
            uploader.wait()
        else:
            time.sleep(interval)


def _run_video(
    uri: str,
    recognizer: Recognizer,
    box: Outbox,
    uploader: Uploader,
    *,
    countries: list[str] | None,
    sample_fps: float,
    lanes: list[tuple[int, int, int, int]],
    rtsp_transport: str,
    stop_line: StopLine | None = None,
    signal: PhaseWatcher | None = None,
    phases: PhaseSender | None = None,
) -> None:
    """Read the video to its end while a thread delivers; then drain."""
    import threading
    from datetime import UTC, datetime

    from platekeeper.edge.video import process_video
    from platekeeper.video.sources import SourceError

    local = Path(uri)
    started = (
        datetime.fromtimestamp(local.stat().st_mtime, UTC) if local.exists() else datetime.now(UTC)
    )
    stop = threading.Event()

    def deliver() -> None:
        while not stop.is_set():
            # Phases go from here too, never from the thread reading the video.
            phases_sent = phases is None or phases.flush()
            if box.pending() and not uploader.send_once():
                uploader.wait()
            elif not box.pending() or not phases_sent:
                stop.wait(0.5)

    worker = threading.Thread(target=deliver, daemon=True)
    worker.start()
    try:
        passes = process_video(
            uri,
            recognizer,
            box,
            started_at=started,
            countries=countries,
            sample_fps=sample_fps,
            lanes=lanes,
            rtsp_transport=rtsp_transport,
            stop_line=stop_line,
            signal=signal,
            on_phase=phases.queue if phases is not None else None,
        )
    except SourceError as exc:
        fail(str(exc))
    finally:
        stop.set()
        worker.join()
    typer.echo(f"read {passes} vehicle pass(es); {box.pending()} to deliver")
    if phases is not None:
        phases.flush()
        typer.echo(f"signal phases: {phases.sent} sent, {phases.refused} refused")
    uploader.drain()


def register(app: typer.Typer) -> None:
    app.add_typer(edge_app, name="edge")

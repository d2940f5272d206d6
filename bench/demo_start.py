"""How soon ``make run`` shows something: ``platekeeper demo`` from a fresh
data directory, timed until its simulated history is all sent.

    .venv/bin/python bench/demo_start.py [--max-seconds 600]

The demo runs as a child process in a temporary directory (removed at the
end) on a free port, exactly as ``make run`` starts it; this process only
watches its terminal lines (never echoed: one holds the administrator's
one-time password) and reads its SQLite database read-only. Printed, in
seconds from the moment the server listens:

- the first read on the live page (captured in its last 10 minutes);
- the first read the live loop sent (captured after the server started);
- the first violation in the review queue;
- the commuters named on the terminal (their history then searchable);
- the whole history sent (``sim/state.json`` has no backlog left);

and the reads and violations stored by then.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

LIVE_WINDOW_S = 600  # web.live_window_minutes' default


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _query(db: Path, sql: str, *args: object) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql, args).fetchone()[0] or 0)
    except sqlite3.Error:  # not created yet, or its schema not yet there
        return 0


def _backlog_left(data: Path) -> bool | None:
    try:
        return bool(json.loads((data / "sim" / "state.json").read_text()).get("backlog"))
    except (OSError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-seconds", type=float, default=600.0)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="pk-demo-start-"))
    env = {
        **os.environ,
        "PLATEKEEPER_DATA_DIR": str(data),
        "PLATEKEEPER_WEB__PORT": str(_free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PLATEKEEPER_MASTER_KEY", None)
    cli = Path(sys.executable).with_name("platekeeper")
    began = time.monotonic()
    process = subprocess.Popen(
        [str(cli), "demo"],
        env=env,
        cwd=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    marks: dict[str, float] = {}

    def watch_terminal() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if "listening on" in line:
                marks.setdefault("listening", time.monotonic())
            elif "commuters to search for" in line:
                marks.setdefault("commuters named", time.monotonic())

    threading.Thread(target=watch_terminal, daemon=True).start()
    db = data / "platekeeper.db"
    try:
        while time.monotonic() - began < args.max_seconds and process.poll() is None:
            time.sleep(0.25)
            if "listening" not in marks:
                continue
            now_us = int(time.time() * 1_000_000)
            started_us = now_us - int((time.monotonic() - marks["listening"]) * 1_000_000)
            checks = {
                "first read on the live page": (
                    "SELECT count(*) FROM reads WHERE captured_at >= ?",
                    now_us - LIVE_WINDOW_S * 1_000_000,
                ),
                "first read sent live": (
                    "SELECT count(*) FROM reads WHERE captured_at >= ?",
                    started_us,
                ),
                "first violation": ("SELECT count(*) FROM violations", None),
            }
            for name, (sql, arg) in checks.items():
                if name not in marks and _query(db, sql, *([arg] if arg else [])) > 0:
                    marks[name] = time.monotonic()
            if "history all sent" not in marks and _backlog_left(data) is False:
                marks["history all sent"] = time.monotonic()
                break
        reads = _query(db, "SELECT count(*) FROM reads")
        violations = _query(db, "SELECT count(*) FROM violations")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(data, ignore_errors=True)

    if "listening" not in marks:
        raise SystemExit("the demo did not start")
    zero = marks["listening"]
    print(
        f"platekeeper demo from a fresh data directory: listening {zero - began:.1f} s after start"
    )
    for name in (
        "first read on the live page",
        "first read sent live",
        "first violation",
        "commuters named",
        "history all sent",
    ):
        at = marks.get(name)
        shown = f"{at - zero:6.1f} s" if at is not None else "   not within the run"
        print(f"  {name:28s} {shown}")
    print(f"  then: {reads:,} reads and {violations:,} violations stored")


if __name__ == "__main__":
    main()

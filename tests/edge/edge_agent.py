"""A stand-in camera for the kill tests: puts ``count`` reads into the outbox
(each with the same key and time on every run, as a camera resending its
buffer would) while uploading, then drains. Killed at any moment and started
again, it carries on where the outbox says. Prints a line after each upload
attempt, so that a test can kill it mid-delivery on any machine.

    python edge_agent.py OUTBOX BASE_URL KEY_ID SECRET_HEX COUNT START_UNIX
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from platekeeper.edge.outbox import Outbox
from platekeeper.edge.uploader import Uploader


def read(n: int, start: datetime) -> dict[str, object]:
    return {
        "idempotency_key": f"pass-{n:06d}",
        "captured_at": (start + timedelta(seconds=n / 4)).isoformat(),
        "plate": f"01A{n % 1000:03d}BC",
        "confidence": 0.9,
    }


def main() -> None:
    outbox_dir, base, key_id, secret_hex, count, start_unix = sys.argv[1:7]
    start = datetime.fromtimestamp(float(start_unix), UTC)
    outbox = Outbox(Path(outbox_dir))
    with httpx.Client(base_url=base, timeout=5) as client:
        uploader = Uploader(
            outbox, client, key_id, bytes.fromhex(secret_hex), batch=40, max_backoff=0.5
        )
        for n in range(int(count)):
            outbox.put(read(n, start))
            if n % 50 == 49:
                if not uploader.send_once():
                    uploader.wait()
                print("sent", n + 1, flush=True)  # progress, for the test that kills it
        uploader.drain()
    outbox.close()


if __name__ == "__main__":
    main()

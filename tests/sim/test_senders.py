"""The feed's sender threads: each camera's batches in order from one
thread, all answered by ``wait``, everything sent by ``close``."""

from __future__ import annotations

import threading
import time
import zlib
from collections import defaultdict
from typing import Any

import pytest

from platekeeper.sim.senders import Senders


def test_a_cameras_batches_keep_their_order_across_threads() -> None:
    posted: dict[str, list[int]] = defaultdict(list)
    threads: dict[str, set[str]] = defaultdict(set)
    lock = threading.Lock()

    def post(camera: str, reads: list[dict[str, Any]]) -> None:
        time.sleep(0.001 * (hash(camera) % 3))  # uneven answers
        with lock:
            posted[camera].append(reads[0]["n"])
            threads[camera].add(threading.current_thread().name)

    senders = Senders(post, 4)
    cameras = [f"CAM-{i:02d}" for i in range(12)]
    for n in range(40):
        for camera in cameras:
            senders.send(camera, [{"n": n}])
    senders.wait()
    assert all(posted[c] == list(range(40)) for c in cameras)
    assert all(len(threads[c]) == 1 for c in cameras)  # one thread a camera
    assert len(set().union(*threads.values())) > 1  # and more than one in all
    senders.send(cameras[0], [{"n": 40}])
    senders.close()
    assert posted[cameras[0]][-1] == 40


def test_one_sender_posts_at_once_and_a_failed_post_does_not_stop_a_thread() -> None:
    posted: list[str] = []
    assert Senders(lambda camera, _reads: posted.append(camera)).threads == 1
    Senders(lambda camera, _reads: posted.append(camera)).send("CAM-01", [])
    assert posted == ["CAM-01"]

    def flaky(camera: str, _reads: list[dict[str, Any]]) -> None:
        if camera == "BAD":
            raise RuntimeError("refused")
        posted.append(camera)

    senders = Senders(flaky, 2)
    # A camera of the same group as the failing one: its thread goes on.
    group = zlib.crc32(b"BAD") % 2
    names = (f"CAM-{i:02d}" for i in range(99))
    same = next(c for c in names if zlib.crc32(c.encode()) % 2 == group)
    senders.send("BAD", [])
    senders.send("BAD", [])
    senders.send(same, [])
    senders.close()
    assert posted[-1] == same
    with pytest.raises(ValueError, match="sender threads"):
        Senders(flaky, 0)

"""Letting a capture stream out in (accelerated) simulated time or at a fixed
rate, for feeding a server live or load-testing it.

The clock and the sleep are parameters so the pacing can be checked without
waiting; by default they are the monotonic clock and ``time.sleep``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator

from platekeeper.sim.captures import Capture

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``2h`` or ``7d`` as seconds; ValueError otherwise."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(f"not a duration: {text!r} (write 90s, 15m, 2h or 7d)")
    return float(match.group(1)) * _UNIT[match.group(2)]


def paced(
    captures: Iterable[Capture],
    *,
    origin_ts: float,
    speed: float = 0.0,
    rate: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Capture]:
    """Yield captures no earlier than their due time.

    With ``rate``, the n-th capture is due n / rate seconds after the first
    one is asked for, whatever its simulated time (a load test). Otherwise,
    with ``speed`` > 0, a capture is due (ts - origin_ts) / speed seconds after
    the start: ``speed`` simulated seconds pass per second. With neither, as
    fast as they come.
    """
    if rate is not None and rate <= 0:
        raise ValueError("the rate must be positive")
    if speed < 0:
        raise ValueError("the speed cannot be negative")
    if rate is None and speed == 0:
        yield from captures
        return
    started = clock()
    for n, capture in enumerate(captures):
        ahead = n / rate if rate is not None else (capture.ts - origin_ts) / speed
        due = started + ahead
        wait = due - clock()
        if wait > 0:
            sleep(wait)
        yield capture

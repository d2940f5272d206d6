"""A bounded buffer of the latest reads, for checking a new hotlist entry
against what the cameras saw just before it was added.

Bounded twice: by age (``window_s`` behind the newest read) and by count
(``max_reads``), whichever bites first. A deployment with the store wired in
asks the store instead (a blind-index search over the last day); this buffer
is what a worker holds without one, and what the tests use.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from platekeeper.rules.model import ReadEvent


class RecentReadsBuffer:
    """The last reads that carried a plate, oldest first."""

    def __init__(self, window_s: float = 3600.0, max_reads: int = 100_000) -> None:
        if window_s <= 0 or max_reads <= 0:
            raise ValueError("the window and the size must be positive")
        self.window_s = window_s
        self._reads: deque[ReadEvent] = deque(maxlen=max_reads)
        self._newest = float("-inf")

    def add(self, read: ReadEvent) -> None:
        if read.plate is None:
            return
        self._reads.append(read)
        self._newest = max(self._newest, read.ts)
        horizon = self._newest - self.window_s
        reads = self._reads
        while reads and reads[0].ts < horizon:
            reads.popleft()

    def since(self, ts: float) -> Iterator[ReadEvent]:
        """Reads captured at or after ``ts`` (newest last)."""
        return (r for r in list(self._reads) if r.ts >= ts)

    def __len__(self) -> int:
        return len(self._reads)

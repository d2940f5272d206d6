"""The memory that makes findings idempotent: each dedup key is let through
once within a horizon of stream time.

Keys name an offence and the passes it rests on (never a plate), so the same
offence for the same pass is one finding whichever rule raised it, however
often the read was delivered, and in whatever order a section's two reads
came. Memory is bounded by the horizon and by ``max_keys``; beyond the
horizon the store's unique key on violations takes over.
"""

from __future__ import annotations

from collections import OrderedDict


class DedupMemory:
    """Keys seen in the last ``horizon_s`` seconds of stream time."""

    def __init__(self, horizon_s: float = 86400.0, max_keys: int = 2_000_000) -> None:
        if horizon_s <= 0 or max_keys <= 0:
            raise ValueError("the horizon and the size must be positive")
        self.horizon_s = horizon_s
        self.max_keys = max_keys
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._newest = float("-inf")

    def first(self, key: str, ts: float) -> bool:
        """True the first time ``key`` is offered (within the horizon)."""
        keys = self._keys
        if key in keys:
            return False
        keys[key] = ts
        self._newest = max(self._newest, ts)
        horizon = self._newest - self.horizon_s
        while keys and (len(keys) > self.max_keys or next(iter(keys.values())) < horizon):
            keys.popitem(last=False)
        return True

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

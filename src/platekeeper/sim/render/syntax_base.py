"""The plate-series record and the small random helpers the syntax modules share."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Generator = np.random.Generator


@dataclass(frozen=True)
class PlateFormat:
    """One plate series of one country.

    ``pattern`` is a full-match regular expression on the canonical text (A-Z,
    0-9, no separators); its groups are the fields a renderer lays out.
    ``lines`` are the layouts the series is issued in (1 one line, 2 two lines).
    ``weight`` is the series' share when a country's series are mixed at random.
    """

    key: str
    country: str
    description: str
    pattern: str
    example: str
    style: str
    generate: Callable[[Generator], str]
    lines: tuple[int, ...] = (1,)
    weight: float = 1.0

    def matches(self, text: str) -> bool:
        """True when ``text`` (canonical form) is a valid string of this series."""
        return re.fullmatch(self.pattern, text) is not None

    def fields(self, text: str) -> tuple[str, ...]:
        """The capture groups of ``text`` (ValueError when it does not match)."""
        m = re.fullmatch(self.pattern, text)
        if m is None:
            raise ValueError(f"text does not match the {self.key} syntax")
        return tuple(g or "" for g in m.groups())


def pick(rng: Generator, items: Sequence[str]) -> str:
    """One item, uniformly."""
    return items[int(rng.integers(0, len(items)))]


def letters(rng: Generator, alphabet: str, n: int) -> str:
    """``n`` letters drawn uniformly from ``alphabet``."""
    idx = rng.integers(0, len(alphabet), size=n)
    return "".join(alphabet[int(i)] for i in idx)


def digits(rng: Generator, n: int, *, nonzero: bool = False) -> str:
    """``n`` digits; with ``nonzero`` the all-zero group (never issued) is avoided."""
    while True:
        out = "".join(str(int(d)) for d in rng.integers(0, 10, size=n))
        if not nonzero or out.strip("0"):
            return out

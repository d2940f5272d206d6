"""Hotlist entries and the index that matches a plate against all of them.

An entry is a canonical plate (``01A123BC``) or a pattern in which ``*``
stands for any run of characters and ``?`` for exactly one (``01A123??``,
``40*``), as the store's hotlist table keeps them. Entries may expire.

Matching must stay cheap with a hundred thousand entries: exact entries are
a dict look-up; a wildcard entry is filed under its literal prefix or suffix
(whichever is longer), so a plate is compared only with the few patterns
that share its first or last characters. Patterns with neither (``*12*``)
are scanned; there are few, since a pattern needs two known characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from platekeeper.recognition.text import normalise_plate

MIN_LITERAL = 2
MAX_PATTERN = 16
_ALLOWED = re.compile(r"^[A-Z0-9*?]+$")


def canonical_pattern(pattern: str) -> str:
    """The canonical form of a plate or pattern (upper case, Latin letters,
    separators dropped); ``ValueError`` when it is not one."""
    raw = pattern.strip().upper()
    out = ""
    for part in re.split(r"([*?])", raw):
        if part in ("*", "?"):
            out += part
            continue
        stripped = re.sub(r"[ \-.·]", "", part)
        literal = normalise_plate(stripped)
        if len(literal) != len(stripped):  # a character no plate has: refuse, never drop
            raise ValueError("a hotlist entry holds only plate characters, '*' and '?'")
        out += literal
    if not out or not _ALLOWED.match(out):
        raise ValueError("a hotlist entry holds only plate characters, '*' and '?'")
    if len(out) > MAX_PATTERN:
        raise ValueError(f"a hotlist entry is at most {MAX_PATTERN} characters")
    if ("*" in out or "?" in out) and sum(c not in "*?" for c in out) < MIN_LITERAL:
        raise ValueError(f"a pattern needs at least {MIN_LITERAL} known characters")
    return out


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else c for c in pattern))


@dataclass(frozen=True, slots=True)
class HotlistEntry:
    """One plate or pattern on a hotlist. ``expires`` is UTC seconds (None:
    never). ``pattern`` must be canonical (see :func:`canonical_pattern`)."""

    entry_id: str
    list_name: str
    pattern: str = field(repr=False)
    expires: float | None = None
    priority: int = 0
    reason: str = field(default="", repr=False)
    created: float | None = None

    @property
    def wildcard(self) -> bool:
        return "*" in self.pattern or "?" in self.pattern

    def active(self, ts: float) -> bool:
        return self.expires is None or ts < self.expires


@dataclass(frozen=True, slots=True)
class _Wild:
    entry: HotlistEntry
    regex: re.Pattern[str]


class HotlistIndex:
    """Every live hotlist entry, indexed for matching one plate at a time."""

    def __init__(self, entries: Iterable[HotlistEntry] = ()) -> None:
        self._exact: dict[str, list[HotlistEntry]] = {}
        self._prefix: dict[int, dict[str, list[_Wild]]] = {}
        self._suffix: dict[int, dict[str, list[_Wild]]] = {}
        self._scan: list[_Wild] = []
        self._by_id: dict[str, HotlistEntry] = {}
        for entry in entries:
            self.add(entry)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[HotlistEntry]:
        return iter(self._by_id.values())

    def get(self, entry_id: str) -> HotlistEntry | None:
        return self._by_id.get(entry_id)

    def add(self, entry: HotlistEntry) -> None:
        """Add (or replace, by id) an entry."""
        if canonical_pattern(entry.pattern) != entry.pattern:
            raise ValueError("hotlist patterns must be canonical (see canonical_pattern)")
        if entry.entry_id in self._by_id:
            self.remove(entry.entry_id)
        self._by_id[entry.entry_id] = entry
        if not entry.wildcard:
            self._exact.setdefault(entry.pattern, []).append(entry)
            return
        wild = _Wild(entry, _regex(entry.pattern))
        table, key = self._slot(entry.pattern)
        if table is None:
            self._scan.append(wild)
        else:
            table.setdefault(len(key), {}).setdefault(key, []).append(wild)

    def remove(self, entry_id: str) -> bool:
        entry = self._by_id.pop(entry_id, None)
        if entry is None:
            return False
        if not entry.wildcard:
            bucket = self._exact[entry.pattern]
            bucket[:] = [e for e in bucket if e.entry_id != entry_id]
            if not bucket:
                del self._exact[entry.pattern]
            return True
        table, key = self._slot(entry.pattern)
        if table is None:
            self._scan[:] = [w for w in self._scan if w.entry.entry_id != entry_id]
        else:
            group = table[len(key)]
            group[key] = [w for w in group[key] if w.entry.entry_id != entry_id]
            if not group[key]:
                del group[key]
            if not group:
                del table[len(key)]
        return True

    def _slot(self, pattern: str) -> tuple[dict[int, dict[str, list[_Wild]]] | None, str]:
        head = re.match(r"[A-Z0-9]*", pattern)
        tail = re.search(r"[A-Z0-9]*$", pattern)
        prefix = head.group(0) if head else ""
        suffix = tail.group(0) if tail else ""
        if not prefix and not suffix:
            return None, ""
        if len(prefix) >= len(suffix):
            return self._prefix, prefix
        return self._suffix, suffix[::-1]

    def match(self, plate: str, ts: float | None = None) -> list[HotlistEntry]:
        """Entries matching ``plate`` (live at ``ts`` when given), highest priority first."""
        found: list[HotlistEntry] = list(self._exact.get(plate, ()))
        if self._prefix:
            _grouped(self._prefix, plate, plate, found)
        if self._suffix:
            _grouped(self._suffix, plate[::-1], plate, found)
        found.extend(w.entry for w in self._scan if w.regex.fullmatch(plate))
        if ts is not None:
            found = [e for e in found if e.expires is None or ts < e.expires]
        if len(found) > 1:
            found.sort(key=lambda e: (-e.priority, e.entry_id))
        return found

    def purge_expired(self, ts: float) -> int:
        """Drop entries expired at ``ts``; returns how many."""
        gone = [
            e.entry_id for e in self._by_id.values() if e.expires is not None and e.expires <= ts
        ]
        for entry_id in gone:
            self.remove(entry_id)
        return len(gone)


def _grouped(
    table: dict[int, dict[str, list[_Wild]]], key: str, plate: str, found: list[HotlistEntry]
) -> None:
    """Add the patterns filed under a prefix of ``key`` that match ``plate``."""
    n = len(key)
    for length, group in table.items():
        if length <= n:
            for w in group.get(key[:length], ()):
                if w.regex.fullmatch(plate):
                    found.append(w.entry)

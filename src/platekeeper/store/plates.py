"""Validation of plate strings and wildcard patterns given to the store.

The canonical form comes from ``recognition.text.normalise_plate``; this
module decides what input is acceptable at all, so that nothing is silently
dropped (a character outside the plate alphabet is an error, not a deletion).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from platekeeper.recognition.text import normalise_plate
from platekeeper.store.errors import InvalidInput

MAX_PLATE_CHARS = 12
MAX_RAW_CHARS = 32
# Letters and digits of any script, with the separators printed on plates.
_RAW_PLATE = re.compile(r"^[^\W_]+(?:[ \-.·]?[^\W_]+)*$")
# What recognition hands over almost always: the canonical form already.
_CANONICAL = re.compile(rf"[0-9A-Z]{{1,{MAX_PLATE_CHARS}}}")
_ALNUM = re.compile(r"[^\W_]")


def canonical_plate(text: str) -> str:
    """The canonical plate for ``text``, or ``InvalidInput`` with the reason."""
    if not isinstance(text, str):
        raise InvalidInput("the plate must be text")
    if _CANONICAL.fullmatch(text):
        return text
    raw = text.strip()
    if not raw:
        raise InvalidInput("the plate is empty")
    if len(raw) > MAX_RAW_CHARS:
        raise InvalidInput(f"the plate is longer than {MAX_RAW_CHARS} characters")
    if not _RAW_PLATE.match(raw):
        raise InvalidInput(
            "the plate may hold only letters and digits, separated by single spaces, "
            "hyphens or dots"
        )
    plate = normalise_plate(raw)
    if len(plate) != len(_ALNUM.findall(raw)):
        raise InvalidInput("the plate holds letters that no plate alphabet uses")
    if len(plate) > MAX_PLATE_CHARS:
        raise InvalidInput(f"the plate has more than {MAX_PLATE_CHARS} characters")
    return plate


@dataclass(frozen=True)
class WildcardPattern:
    """A plate pattern: ``*`` any run of characters, ``?`` exactly one."""

    text: str
    regex: re.Pattern[str]
    literal_chars: int

    def matches(self, plate: str) -> bool:
        return self.regex.fullmatch(plate) is not None


def parse_wildcard(text: str, min_literal: int = 2) -> WildcardPattern:
    """Parse a pattern such as ``01A*`` or ``?1A12?BC``.

    At least ``min_literal`` known characters are required: ``*`` alone is
    not a search, it is a dump.
    """
    raw = text.strip().upper()
    if not raw:
        raise InvalidInput("the pattern is empty")
    if len(raw) > MAX_RAW_CHARS:
        raise InvalidInput(f"the pattern is longer than {MAX_RAW_CHARS} characters")
    parts: list[str] = []
    literal = ""
    count = 0
    for ch in raw:
        if ch in "*?":
            if literal:
                parts.append(re.escape(_canonical_fragment(literal)))
                count += len(_canonical_fragment(literal))
                literal = ""
            parts.append(".*" if ch == "*" else ".")
        else:
            literal += ch
    if literal:
        fragment = _canonical_fragment(literal)
        parts.append(re.escape(fragment))
        count += len(fragment)
    if count < min_literal:
        raise InvalidInput(f"the pattern needs at least {min_literal} known characters")
    canonical = "".join(parts)
    return WildcardPattern(text=raw, regex=re.compile(canonical), literal_chars=count)


def _canonical_fragment(fragment: str) -> str:
    stripped = re.sub(r"[ \-.·]", "", fragment)
    if not stripped:
        return ""
    plate = normalise_plate(stripped)
    if len(plate) != len(stripped):
        raise InvalidInput("the pattern may hold only plate characters, '*' and '?'")
    return plate

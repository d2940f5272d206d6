"""Country plate syntaxes, kept as data in ``syntaxes/*.yaml``.

A format's ``layout`` is written the way the plate prints it, groups separated
by spaces::

    D        a digit
    L        a letter of the country's plate alphabet (``letters:``, default A–Z)
    X        a letter or a digit
    [EH]     one of the listed characters
    {region} one of the strings of the named set (``sets:``)
    D{2,3}   two or three digits (any unit may carry a repeat count)

Each layout expands into fixed-length templates, one list of allowed
characters per position, which the correction step matches the OCR against.

A format may also say ``weight`` (how likely it is against the country's
others, 1 by default), ``min_digits`` (digits it always holds, counted among
what the recogniser read as digits) and ``lines: 2`` (printed on two lines).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from platekeeper.recognition.text import ALPHABET

SYNTAX_DIR = Path(__file__).parent / "syntaxes"
DIGITS = frozenset("0123456789")
LATIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_UNIT = re.compile(r"(D|L|X|\[[A-Z0-9]+\]|\{[a-z_]+\})(\{(\d+)(?:,(\d+))?\})?")


class SyntaxError_(ValueError):
    """A syntax file that does not follow the layout grammar."""


@dataclass(frozen=True, slots=True)
class Span:
    """Positions that must together spell one string of a named set."""

    start: int
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Template:
    """One concrete length of a format: allowed characters per position."""

    format_id: str
    country: str
    weight: float
    allowed: tuple[frozenset[str], ...]
    spans: tuple[Span, ...]
    groups: tuple[int, ...]
    """Length of each printed group, to lay the text out for display."""
    min_digits: int = 0

    def __len__(self) -> int:
        return len(self.allowed)

    def display(self, text: str) -> str:
        parts, start = [], 0
        for size in self.groups:
            parts.append(text[start : start + size])
            start += size
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class PlateFormat:
    id: str
    country: str
    title: str
    example: str
    layout: str
    weight: float
    templates: tuple[Template, ...]
    min_digits: int = 0
    lines: int = 1
    """Printed on this many lines (a motorcycle's square plate: 2)."""


@dataclass(frozen=True, slots=True)
class CountrySyntax:
    country: str
    name: str
    band: tuple[str, ...]
    """Text printed beside the registration (country code band) that is not part of it."""
    formats: tuple[PlateFormat, ...]
    equivalent: tuple[str, ...]
    """Character groups the plates of this country print identically (e.g. US 0/O)."""


def expand_layout(
    layout: str,
    *,
    format_id: str,
    country: str,
    weight: float,
    letters: frozenset[str],
    sets: dict[str, tuple[str, ...]],
    min_digits: int = 0,
) -> tuple[Template, ...]:
    """All fixed-length templates a layout allows."""
    units: list[tuple[int, list[Any]]] = []  # (group index, choices)
    for group_index, group in enumerate(layout.split()):
        pos = 0
        while pos < len(group):
            match = _UNIT.match(group, pos)
            if match is None:
                raise SyntaxError_(
                    f"{format_id}: cannot parse layout {layout!r} at {group[pos:]!r}"
                )
            pos = match.end()
            unit, lo, hi = match.group(1), match.group(3), match.group(4)
            low = int(lo) if lo else 1
            high = int(hi) if hi else low
            if unit.startswith("{"):
                name = unit[1:-1]
                if name not in sets:
                    raise SyntaxError_(f"{format_id}: unknown set {name!r}")
                if lo:
                    raise SyntaxError_(f"{format_id}: a named set cannot repeat")
                units.append((group_index, [("span", sets[name])]))
                continue
            chars = _unit_chars(unit, letters)
            units.append((group_index, [("chars", chars, n) for n in range(low, high + 1)]))
    templates = []
    for combo in itertools.product(*(choices for _, choices in units)):
        allowed: list[frozenset[str]] = []
        spans: list[Span] = []
        group_sizes = [0] * len(layout.split())
        for (group_index, _), choice in zip(units, combo, strict=True):
            if choice[0] == "span":
                options: tuple[str, ...] = choice[1]
                length = len(options[0])
                spans.append(Span(len(allowed), options))
                for i in range(length):
                    allowed.append(frozenset(o[i] for o in options))
                group_sizes[group_index] += length
            else:
                allowed.extend([choice[1]] * choice[2])
                group_sizes[group_index] += choice[2]
        templates.append(
            Template(
                format_id=format_id,
                country=country,
                weight=weight,
                allowed=tuple(allowed),
                spans=tuple(spans),
                groups=tuple(size for size in group_sizes if size),
                min_digits=min_digits,
            )
        )
    return tuple(templates)


def _unit_chars(unit: str, letters: frozenset[str]) -> frozenset[str]:
    classes = {"D": DIGITS, "L": letters, "X": letters | DIGITS}
    return classes.get(unit) or frozenset(unit[1:-1])


def _parse_country(entry: dict[str, Any], source: str) -> CountrySyntax:
    try:
        country = str(entry["country"]).upper()
        letters = frozenset(str(entry.get("letters", "".join(sorted(LATIN)))))
        if not letters <= LATIN:
            raise SyntaxError_(f"{source}: letters must be Latin A–Z")
        sets = {
            str(name): tuple(str(v) for v in values)
            for name, values in (entry.get("sets") or {}).items()
        }
        for name, values in sets.items():
            if not values or len({len(v) for v in values}) != 1:
                raise SyntaxError_(f"{source}: set {name!r} must hold strings of one length")
            if any(ch not in ALPHABET for v in values for ch in v):
                raise SyntaxError_(f"{source}: set {name!r} has characters outside A–Z 0–9")
        formats = []
        for fmt in entry["formats"]:
            weight = float(fmt.get("weight", 1.0))
            min_digits = int(fmt.get("min_digits", 0))
            lines = int(fmt.get("lines", 1))
            if lines not in (1, 2):
                raise SyntaxError_(f"{source}: {fmt['id']}: lines must be 1 or 2")
            templates = expand_layout(
                str(fmt["layout"]),
                format_id=str(fmt["id"]),
                country=country,
                weight=weight,
                letters=letters,
                sets=sets,
                min_digits=min_digits,
            )
            formats.append(
                PlateFormat(
                    id=str(fmt["id"]),
                    country=country,
                    title=str(fmt.get("title", fmt["id"])),
                    example=str(fmt.get("example", "")),
                    layout=str(fmt["layout"]),
                    weight=weight,
                    templates=templates,
                    min_digits=min_digits,
                    lines=lines,
                )
            )
        return CountrySyntax(
            country=country,
            name=str(entry.get("name", country)),
            band=tuple(str(b).upper() for b in entry.get("band") or ()),
            formats=tuple(formats),
            equivalent=tuple(str(e).upper() for e in entry.get("equivalent") or ()),
        )
    except (KeyError, TypeError) as exc:
        raise SyntaxError_(f"{source}: missing or malformed field ({exc})") from exc


def load_syntaxes(directory: Path = SYNTAX_DIR) -> dict[str, CountrySyntax]:
    """Every country syntax in ``directory`` (a file holds one country or a list)."""
    countries: dict[str, CountrySyntax] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = data if isinstance(data, list) else [data]
        for entry in entries:
            syntax = _parse_country(entry, path.name)
            if syntax.country in countries:
                raise SyntaxError_(f"{path.name}: country {syntax.country} defined twice")
            countries[syntax.country] = syntax
    return countries


@cache
def builtin_syntaxes() -> dict[str, CountrySyntax]:
    """The syntaxes that ship with platekeeper (loaded once)."""
    return load_syntaxes()


def select(countries: Iterable[str] = ()) -> tuple[CountrySyntax, ...]:
    """The built-in syntaxes of ``countries`` (all of them when empty)."""
    available = builtin_syntaxes()
    wanted = [c.upper() for c in countries]
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise ValueError(
            f"unknown country code(s) {', '.join(unknown)}; known: {', '.join(sorted(available))}"
        )
    return tuple(available[c] for c in wanted) if wanted else tuple(available.values())


def templates_of(syntaxes: Sequence[CountrySyntax]) -> tuple[Template, ...]:
    return tuple(t for s in syntaxes for f in s.formats for t in f.templates)

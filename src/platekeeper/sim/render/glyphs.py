"""Stroke skeletons of a plate-like typeface drawn here, so no font file (and no
font licence) is involved.

The letter forms follow the engineering grotesques that plates use (DIN 1451
Mittelschrift and its relatives): a constant stroke, flat terminals, elliptic
bowls, flat-cut apexes. Each glyph is a list of paths in a unit box where x runs
0..1 across the glyph's ink width and y runs 0..1 from cap height down to the
baseline; the coordinates are the stroke *centre lines*, and the rasteriser
(``font.py``) maps them so that the ink exactly fills the box. Curves are
super-ellipse arcs whose exponent is a parameter of the look: 2 gives the round
bowls of GOST/DIN, 3-4 the squarer bowls of FE-Schrift-like plate faces.

Path commands (angles in degrees; y points down, so 90 is the bottom of an
ellipse, 270 the top, and increasing angles run clockwise on screen):

- ``("M", x, y)`` start a new path at a point,
- ``("L", x, y)`` straight line to a point,
- ``("A", cx, cy, rx, ry, a0, a1)`` arc from angle a0 to a1 (either direction),
- ``("E", cx, cy, rx, ry[, boost])`` a closed ellipse (a path of its own),
  ``boost`` added to the look's exponent,
- ``("Z",)`` close the current path (mitred corner where it meets its start).
"""

from __future__ import annotations

from typing import Final

Cmd = tuple[str, ...] | tuple[str | float, ...]

# Advance widths (ink width / cap height) of a DIN-Mittelschrift-like face.
# Digits share one width, as on every plate face (tabular figures).
DIGIT_WIDTH: Final = 0.53
WIDTHS: Final[dict[str, float]] = {
    **dict.fromkeys("023456789", DIGIT_WIDTH),
    "1": 0.36,
    "A": 0.58,
    "B": 0.53,
    "C": 0.53,
    "D": 0.54,
    "E": 0.47,
    "F": 0.45,
    "G": 0.55,
    "H": 0.54,
    "I": 0.0,  # exactly one stroke wide: resolved by the rasteriser
    "J": 0.46,
    "K": 0.54,
    "L": 0.44,
    "M": 0.64,
    "N": 0.54,
    "O": 0.56,
    "P": 0.51,
    "Q": 0.56,
    "R": 0.53,
    "S": 0.51,
    "T": 0.50,
    "U": 0.53,
    "V": 0.57,
    "W": 0.78,
    "X": 0.56,
    "Y": 0.57,
    "Z": 0.49,
    "-": 0.34,
}

# Glyphs that are the same skeleton whatever the look.
_BASE: Final[dict[str, tuple[Cmd, ...]]] = {
    # The zero is a little squarer than the O (a sixth value raises the
    # super-ellipse exponent), as on most plate faces.
    "0": (("E", 0.5, 0.5, 0.5, 0.5, 0.9),),
    "O": (("E", 0.5, 0.5, 0.5, 0.5),),
    "1": (("M", 0.08, 0.26), ("L", 0.72, 0.0), ("L", 0.72, 1.0)),
    "2": (
        ("A", 0.5, 0.27, 0.5, 0.27, 168, 380),
        ("L", 0.0, 1.0),
        ("L", 1.0, 1.0),
    ),
    "4": (("M", 0.74, 1.0), ("L", 0.74, 0.0), ("L", 0.0, 0.68), ("L", 0.97, 0.68)),
    "5": (
        ("M", 0.93, 0.0),
        ("L", 0.12, 0.0),
        ("L", 0.09, 0.47),
        ("A", 0.5, 0.68, 0.5, 0.31, 234, 512),
    ),
    "6": (
        ("A", 0.5, 0.5, 0.5, 0.5, 318, 180),
        ("L", 0.0, 0.66),
        ("A", 0.5, 0.66, 0.5, 0.34, 180, -180),
    ),
    "7": (("M", 0.0, 0.0), ("L", 1.0, 0.0), ("L", 0.3, 1.0)),
    "8": (("E", 0.5, 0.235, 0.44, 0.235), ("E", 0.5, 0.725, 0.5, 0.275)),
    "A": (("M", 0.0, 1.0), ("L", 0.5, 0.0), ("L", 1.0, 1.0), ("M", 0.17, 0.68), ("L", 0.83, 0.68)),
    "B": (
        ("M", 0.0, 0.47),
        ("L", 0.58, 0.47),
        ("A", 0.58, 0.235, 0.38, 0.235, 90, -90),
        ("L", 0.0, 0.0),
        ("L", 0.0, 1.0),
        ("L", 0.56, 1.0),
        ("A", 0.56, 0.735, 0.44, 0.265, 90, -90),
        ("L", 0.0, 0.47),
    ),
    "C": (("A", 0.5, 0.5, 0.5, 0.5, 322, 38),),
    "D": (
        ("M", 0.0, 0.0),
        ("L", 0.42, 0.0),
        ("A", 0.42, 0.5, 0.58, 0.5, 270, 450),
        ("L", 0.0, 1.0),
        ("Z",),
    ),
    "E": (
        ("M", 1.0, 0.0),
        ("L", 0.0, 0.0),
        ("L", 0.0, 1.0),
        ("L", 1.0, 1.0),
        ("M", 0.0, 0.48),
        ("L", 0.86, 0.48),
    ),
    "F": (("M", 1.0, 0.0), ("L", 0.0, 0.0), ("L", 0.0, 1.0), ("M", 0.0, 0.5), ("L", 0.86, 0.5)),
    "G": (("A", 0.5, 0.5, 0.5, 0.5, 322, 0), ("L", 0.52, 0.5)),
    "H": (
        ("M", 0.0, 0.0),
        ("L", 0.0, 1.0),
        ("M", 1.0, 0.0),
        ("L", 1.0, 1.0),
        ("M", 0.0, 0.49),
        ("L", 1.0, 0.49),
    ),
    "I": (("M", 0.5, 0.0), ("L", 0.5, 1.0)),
    "J": (("M", 1.0, 0.0), ("L", 1.0, 0.68), ("A", 0.5, 0.68, 0.5, 0.32, 0, 155)),
    "K": (
        ("M", 0.0, 0.0),
        ("L", 0.0, 1.0),
        ("M", 0.98, 0.0),
        ("L", 0.0, 0.64),
        ("M", 0.33, 0.43),
        ("L", 1.0, 1.0),
    ),
    "L": (("M", 0.0, 0.0), ("L", 0.0, 1.0), ("L", 1.0, 1.0)),
    "M": (("M", 0.0, 1.0), ("L", 0.0, 0.0), ("L", 0.5, 0.72), ("L", 1.0, 0.0), ("L", 1.0, 1.0)),
    "N": (("M", 0.0, 1.0), ("L", 0.0, 0.0), ("L", 1.0, 1.0), ("L", 1.0, 0.0)),
    "P": (
        ("M", 0.0, 1.0),
        ("L", 0.0, 0.0),
        ("L", 0.52, 0.0),
        ("A", 0.52, 0.27, 0.48, 0.27, 270, 450),
        ("L", 0.0, 0.54),
    ),
    "Q": (("E", 0.5, 0.5, 0.5, 0.5), ("M", 0.6, 0.72), ("L", 1.0, 1.02)),
    "R": (
        ("M", 0.0, 1.0),
        ("L", 0.0, 0.0),
        ("L", 0.54, 0.0),
        ("A", 0.54, 0.26, 0.44, 0.26, 270, 450),
        ("L", 0.0, 0.52),
        ("M", 0.46, 0.52),
        ("L", 1.0, 1.0),
    ),
    "S": (
        ("A", 0.5, 0.25, 0.47, 0.25, 332, 128),
        ("A", 0.5, 0.74, 0.5, 0.26, 308, 512),
    ),
    "T": (("M", 0.0, 0.0), ("L", 1.0, 0.0), ("M", 0.5, 0.0), ("L", 0.5, 1.0)),
    "U": (("M", 0.0, 0.0), ("L", 0.0, 0.64), ("A", 0.5, 0.64, 0.5, 0.36, 180, 0), ("L", 1.0, 0.0)),
    "V": (("M", 0.0, 0.0), ("L", 0.5, 1.0), ("L", 1.0, 0.0)),
    "W": (("M", 0.0, 0.0), ("L", 0.23, 1.0), ("L", 0.5, 0.22), ("L", 0.77, 1.0), ("L", 1.0, 0.0)),
    "X": (("M", 0.0, 0.0), ("L", 1.0, 1.0), ("M", 1.0, 0.0), ("L", 0.0, 1.0)),
    "Y": (("M", 0.0, 0.0), ("L", 0.5, 0.52), ("L", 1.0, 0.0), ("M", 0.5, 0.52), ("L", 0.5, 1.0)),
    "Z": (("M", 0.03, 0.0), ("L", 1.0, 0.0), ("L", 0.0, 1.0), ("L", 1.0, 1.0)),
    "-": (("M", 0.0, 0.52), ("L", 1.0, 0.52)),
}

# Alternative forms, chosen by a look's variant flags.
_VARIANTS: Final[dict[str, dict[str, tuple[Cmd, ...]]]] = {
    # Flat-topped 3 (DIN, FE-Schrift) versus the round-topped 3 (GOST, US faces).
    "flat3": {
        "3": (
            ("M", 0.04, 0.0),
            ("L", 0.96, 0.0),
            ("A", 0.5, 0.695, 0.5, 0.305, 256, 510),
        )
    },
    "round3": {
        "3": (
            ("A", 0.5, 0.24, 0.45, 0.24, 196, 450),
            ("L", 0.32, 0.48),
            ("M", 0.32, 0.48),
            ("L", 0.5, 0.48),
            ("A", 0.5, 0.74, 0.5, 0.26, 270, 512),
        )
    },
    # 6 and 9 with a straight spine (DIN) versus a curved one (GOST, Charles Wright).
    "straight6": {
        "6": (("M", 0.8, 0.0), ("A", 0.5, 0.66, 0.5, 0.34, 205, -155)),
    },
    # A 1 with a foot serif, as on UK and many US faces.
    "foot1": {
        "1": (
            ("M", 0.1, 0.24),
            ("L", 0.62, 0.0),
            ("L", 0.62, 1.0),
            ("M", 0.1, 1.0),
            ("L", 1.0, 1.0),
        )
    },
    # A 4 whose diagonal stops short of the stem top (open 4).
    "open4": {
        "4": (
            ("M", 0.58, 0.0),
            ("L", 0.0, 0.68),
            ("L", 1.0, 0.68),
            ("M", 0.76, 0.3),
            ("L", 0.76, 1.0),
        )
    },
}


def _rotated(cmds: tuple[Cmd, ...]) -> tuple[Cmd, ...]:
    """The same skeleton turned by 180 degrees (6 -> 9)."""
    out: list[Cmd] = []
    for cmd in cmds:
        op = cmd[0]
        vals = [float(v) for v in cmd[1:]]
        if op in ("M", "L"):
            out.append((op, 1.0 - vals[0], 1.0 - vals[1]))
        elif op == "E":
            out.append((op, 1.0 - vals[0], 1.0 - vals[1], vals[2], vals[3]))
        else:
            out.append(
                (op, 1.0 - vals[0], 1.0 - vals[1], vals[2], vals[3], vals[4] + 180, vals[5] + 180)
            )
    return tuple(out)


def skeleton(ch: str, variants: frozenset[str]) -> tuple[Cmd, ...]:
    """The path commands for one character under a set of variant flags."""
    for flag in sorted(variants):
        table = _VARIANTS.get(flag, {})
        if ch in table:
            return table[ch]
        if ch == "9" and "6" in table:
            return _rotated(table["6"])
    if ch == "3":
        return _VARIANTS["flat3"]["3"]
    if ch == "9":
        return _rotated(_BASE["6"])
    try:
        return _BASE[ch]
    except KeyError:
        raise ValueError(f"no glyph for {ch!r}") from None


def supported(ch: str) -> bool:
    """True when the typeface has a glyph for this character."""
    return ch in WIDTHS

"""Plate text normalisation shared by recognition, search and the blind indexes.

A plate is stored and compared in one canonical form: upper-case Latin letters
and digits, no separators. Cyrillic letters that share a glyph with a Latin one
(Russian and Kazakh plates use only those) become that Latin letter, so the
same physical plate has one spelling whichever alphabet the OCR answered in.
"""

from __future__ import annotations

import re

# Cyrillic capitals that look like Latin capitals, as used on RU/KZ/UZ plates.
_CYRILLIC_TO_LATIN = str.maketrans(
    {
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "У": "Y",
        "Х": "X",
    }
)

# The classic OCR confusions, each class mapped to one representative. Two
# plates with the same skeleton could be the same plate misread.
CONFUSION_CLASSES: tuple[str, ...] = ("0ODQ", "1IL", "8B", "5S", "2Z", "6G")
_SKELETON = str.maketrans({ch: group[0] for group in CONFUSION_CLASSES for ch in group})

_NOT_PLATE_CHAR = re.compile(r"[^A-Z0-9]")

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def normalise_plate(text: str) -> str:
    """Canonical form: upper case, Cyrillic look-alikes to Latin, only A–Z and 0–9."""
    return _NOT_PLATE_CHAR.sub("", text.upper().translate(_CYRILLIC_TO_LATIN))


def confusion_skeleton(text: str) -> str:
    """The normalised plate with every confusable character replaced by its class
    representative (0/O/D/Q→0, 1/I/L→1, 8/B→8, 5/S→5, 2/Z→2, 6/G→6)."""
    return normalise_plate(text).translate(_SKELETON)


def confusable(a: str, b: str) -> bool:
    """True when two single characters are the same or in one confusion class."""
    return a == b or a.translate(_SKELETON) == b.translate(_SKELETON)

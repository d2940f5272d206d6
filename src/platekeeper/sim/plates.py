"""Uzbek plate numbers for the simulated fleet (the series in use since 2008).

Private vehicles: region, one letter, three digits, two letters
(``01 A 123 BC``). Legal entities: region, three digits, three letters
(``01 123 ABC``). The region is the two-digit code of the registering region
(01 Tashkent city, 10 Tashkent region … 95 Karakalpakstan). Letters are Latin
A-Z without I, as the traffic police describe the standard. Plates are kept
canonical (no spaces, ``01A123BC``) as the recognition engine returns them;
:func:`display` spaces them as printed.

Motorcycles and trailers have series of their own that the recognition
syntaxes do not cover yet; the simulation gives motorcycles private-format
plates.
"""

from __future__ import annotations

import random
import re
from enum import StrEnum
from typing import Final

UZ_LETTERS: Final = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
UZ_REGION_CODES: Final = (
    "01",
    "10",
    "20",
    "25",
    "30",
    "40",
    "50",
    "60",
    "70",
    "75",
    "80",
    "85",
    "90",
    "95",
)

_PRIVATE = re.compile(rf"^([0-9]{{2}})([{UZ_LETTERS}])([0-9]{{3}})([{UZ_LETTERS}]{{2}})$")
_COMPANY = re.compile(rf"^([0-9]{{2}})([0-9]{{3}})([{UZ_LETTERS}]{{3}})$")


class PlateFormat(StrEnum):
    """Format ids as in the recognition syntaxes (``recognition/syntaxes/uz.yaml``)."""

    PRIVATE = "uz-private"
    COMPANY = "uz-company"


def _digits(rng: random.Random) -> str:
    # 000 is not issued.
    return f"{rng.randint(1, 999):03d}"


def private_plate(rng: random.Random, region: str) -> str:
    """A private plate of ``region``: ``01A123BC``."""
    letters = rng.choices(UZ_LETTERS, k=3)
    return f"{region}{letters[0]}{_digits(rng)}{letters[1]}{letters[2]}"


def company_plate(rng: random.Random, region: str) -> str:
    """A legal-entity plate of ``region``: ``01123ABC``."""
    return f"{region}{_digits(rng)}{''.join(rng.choices(UZ_LETTERS, k=3))}"


def make_plate(rng: random.Random, region: str, fmt: PlateFormat) -> str:
    if fmt is PlateFormat.PRIVATE:
        return private_plate(rng, region)
    return company_plate(rng, region)


def plate_format(plate: str) -> PlateFormat | None:
    """The format of a canonical plate, or None when it is neither Uzbek format."""
    if _PRIVATE.match(plate):
        return PlateFormat.PRIVATE
    if _COMPANY.match(plate):
        return PlateFormat.COMPANY
    return None


def region_of(plate: str) -> str:
    return plate[:2]


def is_valid(plate: str, regions: tuple[str, ...] = UZ_REGION_CODES) -> bool:
    """Whether ``plate`` is a canonical Uzbek private or company plate of a known region."""
    private, company = _PRIVATE.match(plate), _COMPANY.match(plate)
    if private:
        digits = private.group(3)
    elif company:
        digits = company.group(2)
    else:
        return False
    return plate[:2] in regions and digits != "000"


def display(plate: str) -> str:
    """The plate as printed: ``01 A 123 BC`` or ``01 123 ABC``."""
    m = _PRIVATE.match(plate)
    if m:
        return " ".join(m.groups())
    m = _COMPANY.match(plate)
    if m:
        return " ".join(m.groups())
    return plate

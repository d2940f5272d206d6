"""Uzbek plate series (the system introduced on 1 October 2008).

Believed format, from public descriptions: the Cabinet of Ministers resolution
No. 131 of 27 June 2007 (its annexes list the regional codes and the plate
types; the "DAV" series for state bodies was added later), the state standard
O'zDSt 640:2014 as quoted by the Interior Ministry's traffic department in 2019
("the letter I is not used"), and the German, French and Italian Wikipedia
articles on Uzbek registration plates. It is this project's reading, not an
official specification:

- Plates are 520 x 112 mm (EU size), white with black characters and border;
  on the left a two-digit region code in a field closed by a vertical bar; on
  the right the national flag with "UZ" under it. Characters are in the German
  FE-Schrift style. Letters are Latin A-Z except I.
- ``uz_private``   private cars: region, letter, 3 digits, 2 letters
  (``01 A 123 BC``).
- ``uz_company``   legal entities: region, 3 digits, 3 letters (``01 123 ABC``).
- ``uz_government`` state bodies' service cars, the "DAV" series: the
  legal-entity layout with the letters DAV (``01 123 DAV``); the exact
  numbering is not documented in the sources and is a guess.
- ``uz_trailer``   trailers: region, 4 digits, 2 letters (``01 1234 AB``); on
  two-line plates the 4 digits are on top and the letters below, with flag and
  UZ in the lower right corner.
- ``uz_moto``      motorcycles: region, 3 digits, 2 letters (``01 123 AB``),
  issued on a two-line plate.
- ``uz_diplomatic`` green plate, white characters: D, T or X then 6 digits
  (the first 3 encode the mission's country), or CMD then 3 digits for heads of
  mission; no region field.
- ``uz_foreign_company`` green plate, white characters: region, M, 6 digits
  (foreign companies and joint ventures).
- ``uz_foreigner`` yellow plate, black characters: region, H, 6 digits
  (vehicles of foreign residents).
- ``uz_temporary`` T then 6 digits, region code on the right, no flag.

Region codes (a region owns a block of codes; the first one is by far the most
common on the road, the others are issued as the block fills): 01-09 Tashkent
city, 10-19 Tashkent region, 20-24 Sirdaryo, 25-29 Jizzakh, 30-39 Samarkand,
40-49 Fergana, 50-59 Namangan, 60-69 Andijan, 70-74 Qashqadaryo,
75-79 Surxondaryo, 80-84 Bukhara, 85-89 Navoiy, 90-94 Xorazm,
95-99 Karakalpakstan.

Not implemented for want of a source: police and military series, tractor
plates (a pictogram, 3 digits and 2 letters, from 2013), pre-2008 plates.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from platekeeper.sim.render.syntax_base import Generator, PlateFormat, digits, letters, pick

UZ_LETTERS: Final = "ABCDEFGHJKLMNOPQRSTUVWXYZ"

# (region, first code, last code, share of registered vehicles; shares are
# rough, weighted towards the capital).
UZ_REGIONS: Final[tuple[tuple[str, int, int, float], ...]] = (
    ("Tashkent city", 1, 9, 0.26),
    ("Tashkent region", 10, 19, 0.11),
    ("Sirdaryo", 20, 24, 0.03),
    ("Jizzakh", 25, 29, 0.04),
    ("Samarkand", 30, 39, 0.1),
    ("Fergana", 40, 49, 0.09),
    ("Namangan", 50, 59, 0.07),
    ("Andijan", 60, 69, 0.08),
    ("Qashqadaryo", 70, 74, 0.07),
    ("Surxondaryo", 75, 79, 0.05),
    ("Bukhara", 80, 84, 0.05),
    ("Navoiy", 85, 89, 0.03),
    ("Xorazm", 90, 94, 0.04),
    ("Karakalpakstan", 95, 99, 0.04),
)

# The main codes named for each region (what most plates on the road carry).
UZ_MAIN_CODES: Final = (
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

_REGION_RE: Final = "(0[1-9]|[1-9][0-9])"


def region_code(rng: Generator) -> str:
    """A region code: region by share, then mostly its main code."""
    shares = np.array([r[3] for r in UZ_REGIONS])
    _, first, last, _ = UZ_REGIONS[int(rng.choice(len(UZ_REGIONS), p=shares / shares.sum()))]
    if rng.random() < 0.7:
        return f"{first:02d}"
    return f"{int(rng.integers(first, last + 1)):02d}"


def region_name(code: str) -> str:
    """The region a two-digit code belongs to (ValueError when none)."""
    n = int(code)
    for name, first, last, _ in UZ_REGIONS:
        if first <= n <= last:
            return name
    raise ValueError(f"not an Uzbek region code: {code!r}")


def _private(rng: Generator) -> str:
    return (
        region_code(rng)
        + letters(rng, UZ_LETTERS, 1)
        + digits(rng, 3, nonzero=True)
        + letters(rng, UZ_LETTERS, 2)
    )


def _company(rng: Generator) -> str:
    return region_code(rng) + digits(rng, 3, nonzero=True) + letters(rng, UZ_LETTERS, 3)


def _government(rng: Generator) -> str:
    return region_code(rng) + digits(rng, 3, nonzero=True) + "DAV"


def _trailer(rng: Generator) -> str:
    return region_code(rng) + digits(rng, 4, nonzero=True) + letters(rng, UZ_LETTERS, 2)


def _moto(rng: Generator) -> str:
    return region_code(rng) + digits(rng, 3, nonzero=True) + letters(rng, UZ_LETTERS, 2)


def _diplomatic(rng: Generator) -> str:
    if rng.random() < 0.1:
        return "CMD" + digits(rng, 3, nonzero=True)
    return pick(rng, "DTX") + digits(rng, 6, nonzero=True)


def _foreign_company(rng: Generator) -> str:
    return region_code(rng) + "M" + digits(rng, 6, nonzero=True)


def _foreigner(rng: Generator) -> str:
    return region_code(rng) + "H" + digits(rng, 6, nonzero=True)


def _temporary(rng: Generator) -> str:
    return "T" + digits(rng, 6, nonzero=True) + region_code(rng)


_L = f"[{UZ_LETTERS}]"


def uz_formats() -> list[PlateFormat]:
    """The Uzbek series as :class:`PlateFormat` records."""
    return [
        PlateFormat(
            "uz_private",
            "UZ",
            "Uzbekistan private: region, letter, 3 digits, 2 letters",
            rf"{_REGION_RE}({_L})([0-9]{{3}})({_L}{{2}})",
            "01A123BC",
            "uz",
            _private,
            (1,),
            1.0,
        ),
        PlateFormat(
            "uz_company",
            "UZ",
            "Uzbekistan legal entity: region, 3 digits, 3 letters",
            rf"{_REGION_RE}([0-9]{{3}})({_L}{{3}})",
            "01123ABC",
            "uz",
            _company,
            (1,),
            0.35,
        ),
        PlateFormat(
            "uz_government",
            "UZ",
            "Uzbekistan state bodies (DAV series, believed layout): region, 3 digits, DAV",
            rf"{_REGION_RE}([0-9]{{3}})(DAV)",
            "01123DAV",
            "uz",
            _government,
            (1,),
            0.02,
        ),
        PlateFormat(
            "uz_trailer",
            "UZ",
            "Uzbekistan trailer: region, 4 digits, 2 letters",
            rf"{_REGION_RE}([0-9]{{4}})({_L}{{2}})",
            "011234AB",
            "uz",
            _trailer,
            (1, 2),
            0.04,
        ),
        PlateFormat(
            "uz_moto",
            "UZ",
            "Uzbekistan motorcycle (two-line): region, 3 digits, 2 letters",
            rf"{_REGION_RE}([0-9]{{3}})({_L}{{2}})",
            "01123AB",
            "uz",
            _moto,
            (2,),
            0.02,
        ),
        PlateFormat(
            "uz_diplomatic",
            "UZ",
            "Uzbekistan diplomatic (green): D/T/X and 6 digits, or CMD and 3 digits",
            r"(CMD(?=[0-9]{3}$)|[DTX](?=[0-9]{6}$))([0-9]{3,6})",
            "D123456",
            "uz",
            _diplomatic,
            (1,),
            0.01,
        ),
        PlateFormat(
            "uz_foreign_company",
            "UZ",
            "Uzbekistan foreign company (green): region, M, 6 digits",
            rf"{_REGION_RE}(M)([0-9]{{6}})",
            "01M123456",
            "uz",
            _foreign_company,
            (1,),
            0.01,
        ),
        PlateFormat(
            "uz_foreigner",
            "UZ",
            "Uzbekistan foreign resident (yellow): region, H, 6 digits",
            rf"{_REGION_RE}(H)([0-9]{{6}})",
            "01H123456",
            "uz",
            _foreigner,
            (1,),
            0.01,
        ),
        PlateFormat(
            "uz_temporary",
            "UZ",
            "Uzbekistan temporary: T, 6 digits, region on the right",
            rf"(T)([0-9]{{6}}){_REGION_RE}",
            "T12345601",
            "uz",
            _temporary,
            (1,),
            0.01,
        ),
    ]

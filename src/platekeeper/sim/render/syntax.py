"""Plate syntaxes: what a valid plate string looks like in each country, and
random valid strings drawn deterministically from a numpy Generator.

A :class:`PlateFormat` names one series (``uz_private``, ``ru_private``,
``de``, ``us_ca`` ...). Its ``pattern`` is a full-match regular expression on
the canonical text (upper-case A-Z and 0-9, no separators: what recognition
outputs and what the store indexes); its capture groups are the fields the
renderer lays out (region box, letters, digits). ``lines`` lists the layouts
the series is issued in (1 = one line, 2 = two lines / square plate).

The Uzbek series and their sources are in ``syntax_uz.py``; the other countries
are here. Everything marked "believed" is this project's reading of public
descriptions of those plate systems (Wikipedia articles on each country's
vehicle registration plates and the national regulations they cite), not an
official specification.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import numpy as np

from platekeeper.sim.render.syntax_base import Generator, PlateFormat, digits, letters, pick
from platekeeper.sim.render.syntax_uz import uz_formats


def _words(text: str) -> tuple[str, ...]:
    """The space-separated words of ``text`` (keeps the data tables short)."""
    return tuple(text.split())


# Russia: GOST R 50577-2018 type 1. Only the twelve Cyrillic letters that have
# Latin twins are used; they are written here as their Latin look-alikes.
RU_LETTERS = "ABEKMHOPCTYX"
RU_REGIONS = (
    *(f"{i:02d}" for i in range(1, 96)),
    *_words(
        "102 113 116 121 123 124 125 126 134 136 138 142 147 150 152 154 159 161 163 164 173 "
        "174 177 178 186 190 196 197 199 277 299 716 725 750 761 763 774 777 790 797 799 977"
    ),
)

# Kazakhstan 2012 system: regions 01-20 (believed numbering after 2018/2022 changes).
KZ_REGIONS = tuple(f"{i:02d}" for i in range(1, 21))
KZ_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"

SK_DISTRICTS = _words(
    "BA BL BB BJ BN BR BS BT CA DK DS DT GA GL HC HE IL KA KE KK KM KN KS LC LE LM LV MA "
    "MI ML MT NM NO NR NZ PB PD PE PK PN PO PP PT PU RA RK RS RV SA SB SC SE SI SK SL SN "
    "SO SP SV TN TO TR TS TT TV VK VT ZA ZC ZH ZM ZV"
)
SK_LETTERS = "ABCDEFGHJKLMNPRSTUVXYZ"

CZ_REGIONS = "ABCEHJKLMPSTUZ"

PL_AREAS = _words(
    "WA WB WE WH WI WJ WK WN WT WU WW WX WY KR KK KN KT KBC KCH KMI KNS KOS KRA KWA GD GA "
    "GS GKA GWE PO PZ PN PK PL PGN LU LB LC LZ DW DJ DL DB SK SG SB SC SY SO SZ EL ES EP "
    "ER BI BS BL CB CT CG FZ FG NO NE ZS ZK RZ RK RP TK OP OK"
)
PL_SERIES_LETTERS = "ACEFGHJKLMNPRSTUVWXY"

DE_DISTRICTS = _words(
    "B M HH K F S D DO E HB H L DD N BO MS KA MA WI BN AC KI HRO SN PB OS BI GE OB MZ HD "
    "FR UL A R PF BS WOB GI KS KL LU MG RE RS WN EN ME SU GT HAM HER REC TR SB"
)
DE_LETTERS = "ABCDEFGHIJKLMNOPRSTUVWXYZ"

GB_AREA_FIRST = "ABCDEFGHKLMNOPRSVWY"
GB_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"
GB_AGES = (*(f"{y:02d}" for y in range(2, 26)), *(f"{y}" for y in range(51, 76)))

BR_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _ru(rng: Generator) -> str:
    return (
        letters(rng, RU_LETTERS, 1)
        + digits(rng, 3, nonzero=True)
        + letters(rng, RU_LETTERS, 2)
        + pick(rng, RU_REGIONS)
    )


def _ru_trailer(rng: Generator) -> str:
    return letters(rng, RU_LETTERS, 2) + digits(rng, 4, nonzero=True) + pick(rng, RU_REGIONS)


def _ru_moto(rng: Generator) -> str:
    return digits(rng, 4, nonzero=True) + letters(rng, RU_LETTERS, 2) + pick(rng, RU_REGIONS)


def _kz(rng: Generator) -> str:
    return digits(rng, 3, nonzero=True) + letters(rng, KZ_LETTERS, 3) + pick(rng, KZ_REGIONS)


def _kz_company(rng: Generator) -> str:
    return digits(rng, 3, nonzero=True) + letters(rng, KZ_LETTERS, 2) + pick(rng, KZ_REGIONS)


def _sk(rng: Generator) -> str:
    return pick(rng, SK_DISTRICTS) + digits(rng, 3) + letters(rng, SK_LETTERS, 2)


def _cz(rng: Generator) -> str:
    third = digits(rng, 1) if rng.random() < 0.8 else letters(rng, "ABCDEFHJKLMNPRSTUVXYZ", 1)
    return str(rng.integers(1, 10)) + pick(rng, CZ_REGIONS) + third + digits(rng, 4)


_PL_TAILS_2 = ("DDDDD", "DDDDL", "DDDLL", "DLDDD", "DLLDD")
_PL_TAILS_3 = ("LDDD", "DDLL", "DLDD", "DDDL", "DLLD", "LLDD", "DDDDD", "DDDLL")


def _pl(rng: Generator) -> str:
    area = pick(rng, PL_AREAS)
    tail = pick(rng, _PL_TAILS_2 if len(area) == 2 else _PL_TAILS_3)
    out = []
    for i, kind in enumerate(tail):
        if kind == "D":
            low = 1 if i == 0 else 0
            out.append(str(rng.integers(low, 10)))
        else:
            out.append(pick(rng, PL_SERIES_LETTERS))
    return area + "".join(out)


def _de(rng: Generator) -> str:
    district = pick(rng, DE_DISTRICTS)
    n_letters = int(rng.integers(1, 3))
    max_digits = min(4, 8 - len(district) - n_letters)
    n_digits = int(rng.integers(1, max_digits + 1))
    suffix = "E" if rng.random() < 0.06 and len(district) + n_letters + n_digits < 8 else ""
    number = str(rng.integers(1, 10)) + digits(rng, n_digits - 1)
    return district + letters(rng, DE_LETTERS, n_letters) + number + suffix


def _gb(rng: Generator) -> str:
    area = pick(rng, GB_AREA_FIRST) + pick(rng, GB_LETTERS.replace("Z", ""))
    return area + pick(rng, GB_AGES) + letters(rng, GB_LETTERS, 3)


def _br_old(rng: Generator) -> str:
    return letters(rng, BR_LETTERS, 3) + digits(rng, 4)


def _br_mercosur(rng: Generator) -> str:
    return (
        letters(rng, BR_LETTERS, 3) + digits(rng, 1) + letters(rng, BR_LETTERS, 1) + digits(rng, 2)
    )


def _us_template(templates: Sequence[str]) -> Callable[[Generator], str]:
    """A generator filling one of several templates: L letter, D digit, X either."""

    def generate(rng: Generator) -> str:
        template = pick(rng, templates)
        out = []
        for kind in template:
            if kind == "L":
                out.append(pick(rng, "ABCDEFGHJKLMNPRSTUVWXYZ"))
            elif kind == "D":
                out.append(str(rng.integers(0, 10)))
            elif kind == "X":
                out.append(pick(rng, "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"))
            else:
                out.append(kind)
        return "".join(out)

    return generate


def _us_regex(templates: Sequence[str]) -> str:
    parts = []
    for t in templates:
        parts.append("".join({"L": "[A-Z]", "D": "[0-9]", "X": "[A-Z0-9]"}.get(c, c) for c in t))
    return "(" + "|".join(parts) + ")"


# US state series (believed common passenger formats; the renderer draws a
# state look for each). US plates are listed as "US" with the state in the key.
US_STATES: dict[str, tuple[str, ...]] = {
    "ca": ("DLLLDDD",),
    "tx": ("LLLDDDD", "LLDLDDD"),
    "ny": ("LLLDDDD",),
    "fl": ("LLLLDD", "LLLDLL", "DDDLLL"),
    "il": ("LLDDDDD", "LDDDDDD"),
    "pa": ("LLLDDDD",),
    "oh": ("LLLDDDD",),
    "az": ("LLLDDDD", "DLLDDD"),
    "wa": ("LLLDDDD", "DDDLLLL"),
    "ga": ("LLLDDDD", "DDDDLLL"),
    "generic": ("LLLDDD", "DDDLLL", "DLLDDD", "LLDDDD", "LLLDD", "DDDDD", "LLLLDDD", "XXXXXXXX"),
}


@cache
def plate_formats() -> dict[str, PlateFormat]:
    """Every plate series that can be generated and rendered, by key."""
    fmts = uz_formats()
    fmts += [
        PlateFormat(
            "ru_private",
            "RU",
            "Russia type 1: letter, 3 digits, 2 letters, region (2-3 digits)",
            rf"([{RU_LETTERS}])([0-9]{{3}})([{RU_LETTERS}]{{2}})([0-9]{{2,3}})",
            "A123BC77",
            "ru",
            _ru,
            (1, 2),
            1.0,
        ),
        PlateFormat(
            "ru_trailer",
            "RU",
            "Russia type 2 (trailers): 2 letters, 4 digits, region",
            rf"([{RU_LETTERS}]{{2}})([0-9]{{4}})([0-9]{{2,3}})",
            "AB123477",
            "ru",
            _ru_trailer,
            (1,),
            0.1,
        ),
        PlateFormat(
            "ru_moto",
            "RU",
            "Russia type 4 (motorcycles, square): 4 digits over 2 letters, region",
            rf"([0-9]{{4}})([{RU_LETTERS}]{{2}})([0-9]{{2,3}})",
            "1234AB77",
            "ru",
            _ru_moto,
            (2,),
            0.05,
        ),
        PlateFormat(
            "kz_private",
            "KZ",
            "Kazakhstan 2012: 3 digits, 3 letters, region 01-20",
            rf"([0-9]{{3}})([{KZ_LETTERS}]{{3}})(0[1-9]|1[0-9]|20)",
            "123ABC02",
            "kz",
            _kz,
            (1, 2),
            1.0,
        ),
        PlateFormat(
            "kz_company",
            "KZ",
            "Kazakhstan 2012 legal entities: 3 digits, 2 letters, region",
            rf"([0-9]{{3}})([{KZ_LETTERS}]{{2}})(0[1-9]|1[0-9]|20)",
            "123AB02",
            "kz",
            _kz_company,
            (1,),
            0.3,
        ),
        PlateFormat(
            "sk",
            "SK",
            "Slovakia: district (2 letters), 3 digits, 2 letters",
            rf"({'|'.join(SK_DISTRICTS)})([0-9]{{3}})([{SK_LETTERS}]{{2}})",
            "BA123AB",
            "eu",
            _sk,
            (1, 2),
        ),
        PlateFormat(
            "cz",
            "CZ",
            "Czechia: digit, region letter, digit or letter, 4 digits",
            rf"([1-9][{CZ_REGIONS}][0-9A-Z])([0-9]{{4}})",
            "1A23456",
            "eu",
            _cz,
            (1, 2),
        ),
        PlateFormat(
            "pl",
            "PL",
            "Poland: area (2-3 letters), then 4-5 digits/letters",
            rf"({'|'.join(sorted(PL_AREAS, key=len, reverse=True))})([0-9A-Z]{{4,5}})",
            "WA12345",
            "eu",
            _pl,
            (1, 2),
        ),
        PlateFormat(
            "de",
            "DE",
            "Germany: district (1-3), 1-2 letters, 1-4 digits, optional E",
            rf"({'|'.join(sorted(DE_DISTRICTS, key=len, reverse=True))})([A-Z]{{1,2}})"
            r"([1-9][0-9]{0,3})(E?)",
            "BAB1234",
            "eu",
            _de,
            (1, 2),
        ),
        PlateFormat(
            "gb",
            "GB",
            "United Kingdom 2001: area (2 letters), age (2 digits), 3 letters",
            rf"([{GB_AREA_FIRST}][A-Y])([0-9]{{2}})([{GB_LETTERS}]{{3}})",
            "AB12CDE",
            "eu",
            _gb,
            (1, 2),
        ),
        PlateFormat(
            "br_old",
            "BR",
            "Brazil 1990-2018: 3 letters, 4 digits (grey plate)",
            r"([A-Z]{3})([0-9]{4})",
            "ABC1234",
            "br",
            _br_old,
            (1,),
        ),
        PlateFormat(
            "br_mercosur",
            "BR",
            "Brazil Mercosur 2018: 3 letters, digit, letter, 2 digits",
            r"([A-Z]{3})([0-9][A-Z][0-9]{2})",
            "ABC1D23",
            "br",
            _br_mercosur,
            (1, 2),
        ),
    ]
    for state, templates in US_STATES.items():
        fmts.append(
            PlateFormat(
                f"us_{state}",
                "US",
                f"United States ({state}): {', '.join(templates)}",
                _us_regex(templates),
                _us_template(templates)(np.random.default_rng(0)),
                "us",
                _us_template(templates),
                (1,),
                0.4 if state == "generic" else 0.1,
            )
        )
    return {f.key: f for f in fmts}


def formats_of(country: str) -> list[PlateFormat]:
    """The series of one country (ISO code as used here: UZ, RU, KZ, SK, CZ, PL,
    DE, GB, US, BR)."""
    found = [f for f in plate_formats().values() if f.country == country.upper()]
    if not found:
        raise ValueError(f"no plate formats for country {country!r}")
    return found


def random_format(rng: Generator, keys: Sequence[str] | None = None) -> PlateFormat:
    """Pick a series among ``keys`` (all when None), by each series' weight."""
    table = plate_formats()
    chosen = [table[k] for k in keys] if keys else list(table.values())
    weights = np.array([f.weight for f in chosen], float)
    return chosen[int(rng.choice(len(chosen), p=weights / weights.sum()))]


def random_plate(rng: Generator, fmt: str | PlateFormat) -> str:
    """A random valid canonical plate string of one series."""
    f = plate_formats()[fmt] if isinstance(fmt, str) else fmt
    return f.generate(rng)

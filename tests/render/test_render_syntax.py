"""Plate syntaxes: every generated string is valid for its series, draws are
reproducible, and the Uzbek series follow their documented rules."""

from __future__ import annotations

import re

import numpy as np
import pytest

from platekeeper.recognition.text import normalise_plate
from platekeeper.sim.render import formats_of, plate_formats, random_format, random_plate
from platekeeper.sim.render.syntax_uz import UZ_MAIN_CODES, UZ_REGIONS, region_name

ALL = sorted(plate_formats())


@pytest.mark.parametrize("key", ALL)
def test_generated_strings_match_their_syntax(key: str) -> None:
    fmt = plate_formats()[key]
    rng = np.random.default_rng(123)
    for _ in range(300):
        text = random_plate(rng, key)
        assert fmt.matches(text), (key, text)
        assert normalise_plate(text) == text  # already canonical
        assert "".join(fmt.fields(text)) == text
    assert fmt.matches(fmt.example)


@pytest.mark.parametrize("key", ALL)
def test_syntax_rejects_obvious_garbage(key: str) -> None:
    fmt = plate_formats()[key]
    for bad in ("", "!!!!", "a123bc77", "0" * 12):
        assert not fmt.matches(bad)
    with pytest.raises(ValueError, match="does not match"):
        fmt.fields("!!!!")


def test_same_seed_same_plates() -> None:
    a = [random_plate(np.random.default_rng(7), k) for k in ALL]
    b = [random_plate(np.random.default_rng(7), k) for k in ALL]
    assert a == b
    c = [random_plate(np.random.default_rng(8), k) for k in ALL]
    assert a != c


def test_uzbek_private_and_company_layouts() -> None:
    rng = np.random.default_rng(1)
    private = [random_plate(rng, "uz_private") for _ in range(2000)]
    company = [random_plate(rng, "uz_company") for _ in range(2000)]
    assert all(re.fullmatch(r"[0-9]{2}[A-Z][0-9]{3}[A-Z]{2}", p) for p in private)
    assert all(re.fullmatch(r"[0-9]{2}[0-9]{3}[A-Z]{3}", p) for p in company)
    # O'zDSt 640:2014: the letter I is never issued.
    assert not any("I" in p[2:] for p in private + company)
    regions = {p[:2] for p in private + company}
    for code in regions:
        region_name(code)  # every code belongs to a region
    # The main code of every region shows up in a sample this size.
    assert set(UZ_MAIN_CODES) <= regions
    # Tashkent city (01-09) is the most common origin.
    tashkent = sum(1 for p in private if 1 <= int(p[:2]) <= 9)
    assert tashkent / len(private) > 0.15


def test_uzbek_region_table_covers_01_to_99_once() -> None:
    covered = [n for _, lo, hi, _ in UZ_REGIONS for n in range(lo, hi + 1)]
    assert sorted(covered) == list(range(1, 100))
    with pytest.raises(ValueError, match="region code"):
        region_name("00")


def test_russian_plates_use_only_the_twelve_letters() -> None:
    rng = np.random.default_rng(2)
    for _ in range(500):
        text = random_plate(rng, "ru_private")
        letters = {c for c in text if c.isalpha()}
        assert letters <= set("ABEKMHOPCTYX")
        assert 8 <= len(text) <= 9


def test_random_format_respects_keys_and_weights() -> None:
    rng = np.random.default_rng(3)
    picks = [random_format(rng, ("uz_private", "uz_company")).key for _ in range(3000)]
    assert set(picks) == {"uz_private", "uz_company"}
    # Weights 1.0 : 0.35.
    share = picks.count("uz_private") / len(picks)
    assert 0.68 < share < 0.80
    assert {f.country for f in formats_of("us")} == {"US"}
    with pytest.raises(ValueError, match="no plate formats"):
        formats_of("XX")

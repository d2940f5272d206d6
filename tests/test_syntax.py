"""Country syntaxes as data, and correction towards them."""

from pathlib import Path

import numpy as np
import pytest

from platekeeper.recognition.correct import correct
from platekeeper.recognition.ppocr import CharPosterior
from platekeeper.recognition.syntax import (
    SyntaxError_,
    builtin_syntaxes,
    expand_layout,
    load_syntaxes,
    select,
)
from platekeeper.recognition.text import ALPHABET

LATIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def posterior(spec: str, certainty: float = 0.97) -> list[CharPosterior]:
    """Recogniser output: each char is certain, or 'a/b' splits mass between two."""
    chars = []
    for token in spec.split():
        options = token.split("/")
        probs = np.full(len(ALPHABET), 1e-6, dtype=np.float32)
        weights = [0.6, 0.4] if len(options) == 2 else [1.0]
        for option, weight in zip(options, weights, strict=True):
            probs[ALPHABET.index(option)] = weight
        chars.append(CharPosterior(probs / probs.sum(), certainty, 0.0))
    return chars


def test_every_builtin_country_loads() -> None:
    countries = builtin_syntaxes()
    for code in ("UZ", "RU", "KZ", "SK", "CZ", "PL", "DE", "GB", "US", "BR"):
        assert code in countries
        assert countries[code].formats


def test_layout_expansion_counts_lengths() -> None:
    templates = expand_layout(
        "L DDD LL D{2,3}", format_id="x", country="RU", weight=1.0, letters=LATIN, sets={}
    )
    assert sorted(len(t) for t in templates) == [8, 9]
    assert templates[0].display("A123BC77") == "A 123 BC 77"


def test_named_sets_constrain_positions() -> None:
    uz = select(["UZ"])
    # "00" is not a Uzbek region code: the private format cannot match it.
    best = correct(posterior("0 0 A 1 2 3 B C"), uz)[0]
    assert best.format_id is None
    best = correct(posterior("0 1 A 1 2 3 B C"), uz)[0]
    assert (best.text, best.format_id, best.display) == ("01A123BC", "uz-private", "01 A 123 BC")


def test_confusions_are_corrected_towards_the_format() -> None:
    # The OCR saw O and I where the Uzbek company format needs digits, and 8
    # where it needs a letter.
    best = correct(posterior("O 1 1 2 I A 8 C"), select(["UZ"]))[0]
    assert (best.text, best.format_id, best.country) == ("01121ABC", "uz-company", "UZ")


def test_uzbek_zero_and_o_are_decided_by_the_layout() -> None:
    # A certain 0 where the private series letter stands is the letter O (the
    # two differ only in width), not a rarer trailer plate with four digits.
    best = correct(posterior("7 5 0 3 2 6 M T"), select(["UZ"]))[0]
    assert (best.text, best.format_id) == ("75O326MT", "uz-private")
    # ...and an O where the layout needs a digit is a zero.
    best = correct(posterior("O 1 A 1 O 3 B C"), select(["UZ"]))[0]
    assert (best.text, best.format_id) == ("01A103BC", "uz-private")


def test_words_are_not_plates_for_want_of_a_digit() -> None:
    # A state name, a slogan or a make fits a vanity or Polish layout only
    # if its O or I is taken for a digit: a format's minimum of digits counts
    # what the recogniser read as digits.
    for word, country in (
        ("NORTHERN", "US"),
        ("SPORT", "US"),
        ("RESIDENT", "US"),
        ("RENAULT", "PL"),
    ):
        best = correct(posterior(" ".join(word)), select([country]))[0]
        assert best.format_id is None, (word, best)
    best = correct(posterior("S P O R T 2"), select(["US"]))[0]
    assert (best.text, best.format_id) == ("SPORT2", "us-generic")


def test_ocr_alternatives_decide_between_lookalikes() -> None:
    # Second place of a Czech plate is a letter: the OCR's own alternative wins.
    best = correct(posterior("1 8/B 2 3 4 5 6"), select(["CZ"]))[0]
    assert best.text == "1B23456"


def test_never_invents_characters() -> None:
    # Seven characters cannot become an eight-character Uzbek plate.
    for reading in correct(posterior("0 1 A 1 2 3 B"), select(["UZ"])):
        assert len(reading.text) <= 7


def test_unsure_extra_character_may_be_dropped() -> None:
    chars = posterior("B A 1 2 3 A B")
    logo = posterior("7/1", certainty=0.4)
    best = correct([*chars[:5], *logo, *chars[5:]], select(["SK"]))[0]
    assert (best.text, best.format_id) == ("BA123AB", "sk-standard")


def test_country_band_is_not_part_of_the_registration() -> None:
    best = correct(posterior("S K B A 1 2 3 A B"), select(["SK"]))[0]
    assert best.text == "BA123AB"


def test_candidates_are_ranked_and_bounded() -> None:
    found = correct(posterior("R K 7 5 5 A J/I"), select(["SK"]), top_n=3)
    assert 1 <= len(found) <= 3
    assert found[0].rank_score >= found[-1].rank_score


def test_unknown_country_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown country"):
        select(["XX"])


def test_bad_syntax_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "country: ZZ\nformats:\n  - id: zz\n    layout: 'DD ?? LL'\n"
    )
    with pytest.raises(SyntaxError_, match="cannot parse layout"):
        load_syntaxes(tmp_path)

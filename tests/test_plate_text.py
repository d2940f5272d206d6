"""Canonical plate text and the confusion skeleton used for fuzzy search."""

from platekeeper.recognition.text import confusable, confusion_skeleton, normalise_plate


def test_normalise_strips_separators_and_case() -> None:
    assert normalise_plate("01 a 123-bc") == "01A123BC"


def test_cyrillic_lookalikes_become_latin() -> None:
    assert normalise_plate("А123ВС 77") == "A123BC77"


def test_skeleton_folds_confusions() -> None:
    assert confusion_skeleton("O1 Q 8S6-GZ") == confusion_skeleton("01 0 B56-62")
    assert confusion_skeleton("01A123BC") != confusion_skeleton("01A124BC")


def test_confusable_pairs() -> None:
    assert confusable("0", "D")
    assert confusable("I", "L")
    assert not confusable("A", "4")
